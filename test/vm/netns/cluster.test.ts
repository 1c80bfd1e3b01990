// A swarm of three netns machines, made and broken for real: each machine's process in its own
// network namespace with its own IP, `docker swarm init/join` through the machines' sockets with the
// real docker CLI, an OpenSSH console on the namespace's address, kernel partitions (the cut leader
// loses its leadership and the others elect one; healed, it rejoins), a kernel delay and loss, faults
// that outlive a restart, and a removal that leaves no namespace, interface or process behind.

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, swarmRole } from '../../../vm/engine-api.ts';
import type { LocalDriver } from '../../../vm/local/driver.ts';
import { sshArgs } from '../../../vm/local/ssh-command.ts';
import { Machines, type Machine } from '../../../vm/machines.ts';
import { run } from '../../../vm/netns/command.ts';
import { links, namespaces, namespacePids } from '../../../vm/netns/network.ts';
import { labNetPlan } from '../../../vm/netns/plan.ts';
import { MachineStore } from '../../../vm/store.ts';
import { isGone, waitFor } from '../helpers.ts';
import { docker, netnsHome, netnsSkipReason, reapNetns } from './helpers.ts';

const NAMES = ['m1', 'm2', 'm3'];
let home: string;
let machines: Machines;
const m: Record<string, Machine> = {};

function ssh(x: Machine, command: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ssh', sshArgs(x.driver.ssh(), command), { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`ssh ${x.config.name}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

async function leaderOf(among: Machine[]): Promise<Machine | undefined> {
  for (const x of among) if ((await swarmRole(x.paths.socket).catch(() => '')) === 'leader') return x;
  return undefined;
}

/** Whether a TCP connection from inside `from`'s namespace to ip:port opens within the time. */
async function connectsFrom(from: Machine, ip: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  const code = `const s = require('net').connect(${port}, '${ip}', () => process.exit(0)); s.setTimeout(${timeoutMs}, () => process.exit(2)); s.on('error', () => process.exit(1))`;
  return run('ip', ['netns', 'exec', from.config.netns!.namespace, process.execPath, '-e', code]).then(
    () => true,
    () => false,
  );
}

/** The time a TCP connection from the host to ip:port takes to open (ms). */
function connectTime(ip: string, port: number, timeoutMs = 3_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const s = net.connect({ host: ip, port, timeout: timeoutMs }, () => {
      s.destroy();
      resolve(performance.now() - started);
    });
    s.on('timeout', () => s.destroy(new Error(`no connection to ${ip}:${port} within ${timeoutMs} ms`)));
    s.on('error', reject);
  });
}

function post(socketPath: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within 10 s`)));
    req.end(data);
  });
}

/**
 * The shortest of a few writes through the machine's API (each a label on its own node, committed
 * through Raft), timed from the request to the answer: no docker CLI start-up in the figure.
 */
async function writeTime(x: Machine): Promise<number> {
  const id = (await getJson<{ Swarm: { NodeID: string } }>(x.paths.socket, '/info')).body.Swarm.NodeID;
  const times: number[] = [];
  for (let attempt = 0; times.length < 3 && attempt < 10; attempt++) {
    const got = await getJson<{ Version: { Index: number }; Spec: { Labels?: Record<string, string> } }>(x.paths.socket, `/nodes/${id}`, 10_000);
    if (got.status !== 200) throw new Error(`node inspect on ${x.config.name}: ${got.status} ${JSON.stringify(got.body)}`);
    const node = got.body;
    const started = performance.now();
    const r = await post(x.paths.socket, `/nodes/${id}/update?version=${node.Version.Index}`, { ...node.Spec, Labels: { ...node.Spec.Labels, probe: String(attempt) } });
    const took = performance.now() - started;
    // The node's own status changes its version too: read it again and retry.
    if (r.status !== 200 && r.text.includes('out of sequence')) continue;
    if (r.status !== 200) throw new Error(`node update on ${x.config.name}: ${r.status} ${r.text}`);
    times.push(took);
  }
  if (times.length < 3) throw new Error(`node update on ${x.config.name}: out of sequence 10 times`);
  return Math.min(...times);
}

describe.skipIf(netnsSkipReason !== undefined)(`netns machines${netnsSkipReason ? ` — skipped: ${netnsSkipReason}` : ''}`, () => {
  beforeAll(async () => {
    home = await netnsHome();
    machines = new Machines(new MachineStore({ home }));
  });
  afterAll(() => reapNetns(home));

  it('three machines, each in its own namespace with its own IP; swarm init and join through their sockets', async () => {
    const created = await Promise.all(NAMES.map((n) => machines.create(n, { driver: 'local', isolation: 'netns' })));
    for (const x of created) m[x.config.name] = x;
    const plan = labNetPlan(home);
    for (const x of created) {
      expect(x.config).toMatchObject({ isolation: 'netns', swarmPort: 2377, sshPort: 22, netns: { bridge: plan.bridge, hostIp: plan.hostIp } });
      expect(x.config.ip.startsWith(`${plan.prefix}.`)).toBe(true);
      // The pid file names the machine's own node process (ip netns exec ran it in place), in the namespace.
      const p = (await (x.driver as LocalDriver).process())!;
      expect(p.command).toContain('machine.mjs');
      expect((await run('ip', ['netns', 'identify', String(p.pid)])).trim()).toBe(x.config.netns!.namespace);
      expect(await x.driver.status()).toBe('Running');
    }
    expect(new Set(created.map((x) => x.config.ip)).size).toBe(3);

    const ip1 = m.m1!.config.ip;
    expect(await docker(m.m1!, 'swarm', 'init', '--advertise-addr', ip1)).toContain('Swarm initialized');
    const token = await docker(m.m1!, 'swarm', 'join-token', '-q', 'manager');
    for (const n of ['m2', 'm3']) expect(await docker(m[n]!, 'swarm', 'join', '--token', token, `${ip1}:2377`)).toContain('This node joined a swarm as a manager.');
    await waitFor(async () => (await docker(m.m1!, 'node', 'ls', '--format', '{{.ManagerStatus}}').catch(() => '')).split('\n').filter(Boolean).length === 3, 20_000, 'three managers');
    const addrs = await docker(m.m1!, 'node', 'ls', '-q').then((ids) => docker(m.m1!, 'node', 'inspect', '--format', '{{.ManagerStatus.Addr}}', ...ids.split('\n')));
    expect(addrs.split('\n').sort()).toEqual(created.map((x) => `${x.config.ip}:2377`).sort());
  });

  it("OpenSSH reaches a machine's console on its namespace address, port 22", async () => {
    const out = await ssh(m.m2!, ['ip', '-4', '-br', 'addr', 'show', 'dev', 'eth0', ';', 'docker', 'info', '--format', "'{{.Swarm.LocalNodeState}}'"]);
    expect(out).toContain(`${m.m2!.config.ip}/24`);
    expect(out).toContain('active');
  });

  it('a partition from given peers drops their packets both ways, and only theirs', async () => {
    const [a, b, c] = [m.m1!, m.m2!, m.m3!];
    await a.driver.partition!([b.config.ip]);
    expect(await connectsFrom(b, a.config.ip, 2377)).toBe(false);
    expect(await connectsFrom(c, a.config.ip, 2377)).toBe(true);
    expect(await a.driver.faults!()).toEqual({ partition: [b.config.ip], delayMs: 0, lossPercent: 0, applied: true });
    await a.driver.heal!();
    expect(await a.driver.faults!()).toBeUndefined();
    expect(await connectsFrom(b, a.config.ip, 2377)).toBe(true);
  });

  it('a partition of the leader from all: the others elect a new leader, the cut one has none; heal: it rejoins', async () => {
    const all = NAMES.map((n) => m[n]!);
    await waitFor(async () => (await leaderOf(all)) !== undefined, 20_000, 'a leader');
    const old = (await leaderOf(all))!;
    const others = all.filter((x) => x !== old);
    await old.driver.partition!('all');
    expect(await run('ip', ['netns', 'exec', old.config.netns!.namespace, 'nft', 'list', 'table', 'inet', 'swarmlab_partition'])).toContain(`ip saddr != ${old.config.netns!.hostIp} drop`);
    await waitFor(async () => (await leaderOf(others)) !== undefined, 20_000, 'a new leader among the others');
    await waitFor(async () => (await swarmRole(old.paths.socket)) !== 'leader', 20_000, 'the cut leader steps down');
    await expect(docker(old, 'node', 'ls')).rejects.toThrow(/leader/i);
    // The console still works: the host's bridge address is never cut.
    expect(await ssh(old, ['echo', 'still', 'here'])).toBe('still here\n');

    await old.driver.heal!();
    await waitFor(
      async () => (await docker(old, 'node', 'ls', '--format', '{{.ManagerStatus}}').catch(() => '')).split('\n').filter(Boolean).sort().join() === 'Leader,Reachable,Reachable',
      30_000,
      'the healed manager sees a leader and three reachable managers',
    );
  });

  it('delay: writes through the delayed machine take that much longer; loss 100 %: nothing gets through; heal ends both', async () => {
    const x = m.m3!;
    const reachesLeader = () => waitFor(async () => (await docker(x, 'node', 'ls').then(() => true, () => false)), 20_000, 'a leader that m3 reaches');
    // The swarm settled after the partition before.
    await reachesLeader();
    const before = await writeTime(x);
    await x.driver.delay!(400);
    expect(await x.driver.faults!()).toMatchObject({ delayMs: 400, lossPercent: 0, applied: true });
    const delayed = await writeTime(x);
    expect(delayed).toBeGreaterThanOrEqual(380);
    expect(before).toBeLessThan(380);
    // With netem the kernel delays everything the machine sends, its SYN-ACKs too (without it, the
    // machine's transport delays its cluster traffic: the writes above).
    if ((await run('tc', ['-n', x.config.netns!.namespace, 'qdisc', 'show', 'dev', 'eth0'])).includes('netem')) {
      expect(await connectTime(x.config.ip, 22)).toBeGreaterThanOrEqual(380);
    }

    await x.driver.delay!(0, 100);
    await expect(connectTime(x.config.ip, 22, 1_000)).rejects.toThrow('no connection');
    await x.driver.heal!();
    expect(await x.driver.faults!()).toBeUndefined();
    expect(await connectTime(x.config.ip, 22)).toBeLessThan(1_000);
    // Lossy at 100 %, m3 was cut off: if it led, the others elected another leader meanwhile.
    await reachesLeader();
    expect(await writeTime(x)).toBeLessThan(380);
  });

  it('faults outlive a restart: made again in the new namespace; a fault set while stopped applies at start', async () => {
    const [a, b] = [m.m1!, m.m2!];
    await b.driver.partition!([a.config.ip]);
    await b.driver.stop();
    await b.driver.partition!([m.m3!.config.ip]);
    expect(await b.driver.faults!()).toMatchObject({ partition: [a.config.ip, m.m3!.config.ip] });
    await b.driver.start();
    expect(await connectsFrom(a, b.config.ip, 2377)).toBe(false);
    expect(await connectsFrom(m.m3!, b.config.ip, 2377)).toBe(false);
    await b.driver.heal!();
    expect(await connectsFrom(a, b.config.ip, 2377)).toBe(true);
  });

  it('rm: no namespace, veth or process left; the bridge goes with the last machine (one whose config is corrupt, by rm -f)', async () => {
    const plan = labNetPlan(home);
    const pids: number[] = [];
    for (const n of NAMES) pids.push(...(await namespacePids(m[n]!.config.netns!.namespace)));
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await machines.remove('m1');
    expect(await namespaces()).not.toContain(m.m1!.config.netns!.namespace);
    expect(await links()).not.toContain(m.m1!.config.netns!.veth);
    expect(await links()).toContain(plan.bridge);
    await machines.remove('m2');
    await writeFile(m.m3!.paths.config, '{"version": 1, "na');
    await expect(machines.remove('m3')).rejects.toThrow('is corrupt');
    await machines.remove('m3', true);
    const left = [...(await namespaces()), ...(await links())].filter((n) => n.startsWith(plan.bridge));
    expect(left).toEqual([]);
    for (const pid of pids) expect(await isGone(pid)).toBe(true);
  });
});
