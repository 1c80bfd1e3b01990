// Service networking on netns machines: three machines, each swarmd in its own network namespace
// with its own IP. The routing mesh listens on every machine's namespace address, so a published
// whoami answers through each of them, from the host (over the lab bridge) and from inside another
// machine's namespace, including through the machine that runs no task of it; and a task on one
// machine reaches a service on another by name over an overlay network (nslookup tasks.api, then
// wget http://api/). Everything (processes, namespaces, veths, bridge) is removed afterwards.

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machines, type Machine } from '../../../vm/machines.ts';
import { run } from '../../../vm/netns/command.ts';
import { MachineStore } from '../../../vm/store.ts';
import { waitFor } from '../helpers.ts';
import { docker, netnsHome, netnsSkipReason, reapNetns } from './helpers.ts';

const NAMES = ['m1', 'm2', 'm3'];
let home: string;
let machines: Machines;
const m: Record<string, Machine> = {};

/** The whoami task that answered GET /api at ip:port from the host, on a new connection. */
function whoFromHost(ip: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path: '/api', agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(body) as { task: string }).task : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** The same from inside a machine's namespace, with curl as a user would. */
async function whoFromNamespace(from: Machine, ip: string, port: number): Promise<string | undefined> {
  const out = await run('ip', ['netns', 'exec', from.config.netns!.namespace, 'curl', '-sS', '--max-time', '3', `http://${ip}:${port}/api`]).catch(() => '');
  try {
    return (JSON.parse(out) as { task: string }).task;
  } catch {
    return undefined;
  }
}

async function runningTasks(service: string): Promise<{ name: string; node: string }[]> {
  const out = await docker(m.m1!, 'service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Name}} {{.Node}} {{.CurrentState}}');
  return out
    .split('\n')
    .filter((l) => / Running /.test(l))
    .map((l) => {
      const [name, node] = l.split(' ') as [string, string];
      return { name, node };
    });
}

async function logs(service: string): Promise<string> {
  return docker(m.m1!, 'service', 'logs', '--raw', service).catch((err: Error) => err.message);
}

describe.skipIf(netnsSkipReason !== undefined)(`service networking on netns machines${netnsSkipReason ? ` — skipped: ${netnsSkipReason}` : ''}`, () => {
  beforeAll(async () => {
    home = await netnsHome();
    machines = new Machines(new MachineStore({ home }));
    const created = await Promise.all(NAMES.map((n) => machines.create(n, { driver: 'local', isolation: 'netns' })));
    for (const x of created) m[x.config.name] = x;
    await docker(m.m1!, 'swarm', 'init', '--advertise-addr', m.m1!.config.ip);
    const token = await docker(m.m1!, 'swarm', 'join-token', '-q', 'worker');
    for (const n of ['m2', 'm3']) await docker(m[n]!, 'swarm', 'join', '--token', token, `${m.m1!.config.ip}:2377`);
    await waitFor(async () => (await docker(m.m1!, 'node', 'ls', '--format', '{{.Status}}').catch(() => '')).split('\n').filter((s) => s === 'Ready').length === 3, 30_000, 'three ready nodes');
  }, 120_000);
  afterAll(() => reapNetns(home), 60_000);

  it("a published port answers on every machine's namespace address, from the host and from another namespace, including the machine with no task", async () => {
    await docker(m.m1!, 'service', 'create', '--detach', '--name', 'web', '--publish', '8080:80', '--replicas', '2', '--replicas-max-per-node', '1', '--constraint', 'node.role==worker', 'swarmlab/whoami');
    await waitFor(async () => (await runningTasks('web')).length === 2, 30_000, 'web: 2 running tasks');
    const nodes = new Set((await runningTasks('web')).map((t) => t.node));
    expect(nodes).toEqual(new Set(['m2', 'm3']));
    for (const name of NAMES) {
      const ip = m[name]!.config.ip;
      // From the host, over the lab bridge: both tasks answer through every machine (m1 has none).
      const seen = new Set<string>();
      await waitFor(
        async () => {
          const who = await whoFromHost(ip, 8080);
          if (who) seen.add(who);
          return seen.size === 2;
        },
        20_000,
        `answers from both web tasks through ${name} (${ip}:8080) from the host`,
      );
      // From inside the namespace of another machine.
      const from = m[name === 'm1' ? 'm2' : 'm1']!;
      await waitFor(async () => (await whoFromNamespace(from, ip, 8080))?.startsWith('web.') ?? false, 10_000, `curl from ${from.config.name}'s namespace to ${name} (${ip}:8080)`);
    }
    // Nothing listens on 8080 on the host's own bridge address: the mesh is the machines'.
    expect(await whoFromHost(m.m1!.config.netns!.hostIp, 8080)).toBeUndefined();
  }, 90_000);

  it('a task on one machine reaches a service on another by name over an overlay network (tasks.api, then http://api/)', async () => {
    await docker(m.m1!, 'network', 'create', '-d', 'overlay', 'appnet');
    await docker(m.m1!, 'service', 'create', '--detach', '--name', 'api', '--network', 'appnet', '--constraint', 'node.hostname==m2', 'swarmlab/whoami');
    await waitFor(async () => (await runningTasks('api')).length === 1, 30_000, 'api: 1 running task');
    const inspect = JSON.parse(await docker(m.m1!, 'service', 'ps', 'api', '--filter', 'desired-state=running', '-q').then((id) => docker(m.m1!, 'inspect', '--type', 'task', id))) as { NetworksAttachments: { Network: { Spec: { Name: string } }; Addresses: string[] }[] }[];
    const apiAddr = inspect[0]!.NetworksAttachments.find((a) => a.Network.Spec.Name === 'appnet')!.Addresses[0]!.split('/')[0]!;
    await docker(m.m1!, 'service', 'create', '--detach', '--name', 'client', '--network', 'appnet', '--restart-condition', 'none', '--constraint', 'node.hostname==m3', 'busybox', 'sh', '-c', 'nslookup tasks.api; wget -qO- http://api/api');
    await waitFor(async () => /"service":"api"/.test(await logs('client')), 30_000, 'the client task logs api\'s answer');
    const out = await logs('client');
    expect(out).toMatch(/Name:\s+tasks\.api/);
    expect(out).toContain(`Address: ${apiAddr}`);
    const answer = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as { service: string; node: string };
    expect(answer).toMatchObject({ service: 'api', node: 'm2' });
    const client = (await docker(m.m1!, 'service', 'ps', 'client', '--format', '{{.Node}}')).split('\n')[0];
    expect(client).toBe('m3');
  }, 90_000);
});
