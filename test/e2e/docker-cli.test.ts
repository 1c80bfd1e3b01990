// The Docker tutorials' walk-through with the real `docker` CLI against real swarmd processes:
// https://docs.docker.com/engine/swarm/swarm-tutorial/ — init, join, inspect, scale, drain,
// rolling update, rollback, logs, remove, leave.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, waitFor, type SwarmdProcess } from './swarmd-process.ts';

const lab = new Lab();
let m1: SwarmdProcess, m2: SwarmdProcess, w1: SwarmdProcess, w2: SwarmdProcess;

beforeAll(async () => {
  [m1, m2, w1, w2] = await Promise.all([
    lab.node({ name: 'manager1', ip: '127.0.0.11', args: ['--inactive'] }),
    lab.node({ name: 'manager2', ip: '127.0.0.12', args: ['--inactive'] }),
    lab.node({ name: 'worker1', ip: '127.0.0.13', args: ['--inactive'] }),
    lab.node({ name: 'worker2', ip: '127.0.0.14', args: ['--inactive'] }),
  ]);
});
afterAll(() => lab.cleanup());

async function ok(n: SwarmdProcess, ...args: string[]): Promise<string> {
  const r = await n.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${lab.logs()}`);
  return r.stdout;
}

/** `docker service ps` rows: name, node, desired, current. */
async function ps(service: string): Promise<{ name: string; node: string; desired: string; current: string }[]> {
  const out = await ok(m1, 'service', 'ps', service, '--format', '{{.Name}}|{{.Node}}|{{.DesiredState}}|{{.CurrentState}}');
  return out.trim().split('\n').filter(Boolean).map((l) => {
    const [name, node, desired, current] = l.split('|') as [string, string, string, string];
    return { name, node, desired, current };
  });
}

const running = async (service: string) => (await ps(service)).filter((t) => t.desired === 'Running' && t.current.startsWith('Running'));

describe('the swarm tutorial with the docker CLI', () => {
  it('starts with swarm mode inactive', async () => {
    expect(await ok(m1, 'info', '--format', '{{.Swarm.LocalNodeState}}')).toBe('inactive\n');
    const r = await m1.docker('node', 'ls');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
  });

  it('docker swarm init --advertise-addr, then join workers and a manager with the printed commands', async () => {
    const init = await ok(m1, 'swarm', 'init', '--advertise-addr', '127.0.0.11');
    expect(init).toMatch(/Swarm initialized: current node \(\w+\) is now a manager\./);
    const join = init.match(/docker swarm join --token (SWMTKN-1-\S+) (\S+:\d+)/);
    expect(join).not.toBeNull();
    const [, workerToken, addr] = join!;
    expect(addr).toMatch(/^127\.0\.0\.11:\d+$/);
    for (const w of [w1, w2]) expect(await ok(w, 'swarm', 'join', '--token', workerToken!, addr!)).toContain('This node joined a swarm as a worker.');
    const mgrJoin = await ok(m1, 'swarm', 'join-token', 'manager');
    const managerToken = mgrJoin.match(/--token (SWMTKN-1-\S+)/)![1]!;
    expect(managerToken).not.toBe(workerToken);
    expect(await ok(m2, 'swarm', 'join', '--token', managerToken, addr!)).toContain('This node joined a swarm as a manager.');
  });

  it('docker node ls shows four ready nodes with the leader', async () => {
    // A manager just joined is Ready before the leader has heard from its Raft member (Reachable).
    await waitFor(
      async () => {
        const rows = (await ok(m1, 'node', 'ls', '--format', '{{.Status}} {{.ManagerStatus}}')).split('\n').filter(Boolean);
        return rows.filter((s) => s.startsWith('Ready')).length === 4 && rows.includes('Ready Reachable');
      },
      20_000,
      'four ready nodes, manager2 reachable',
      () => lab.logs(),
    );
    const ls = await ok(m1, 'node', 'ls');
    expect(ls).toMatch(/^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION/);
    expect(ls).toMatch(/\*\s+manager1\s+Ready\s+Active\s+Leader/);
    expect(ls).toMatch(/manager2\s+Ready\s+Active\s+Reachable/);
    expect(ls).toMatch(/worker1\s+Ready\s+Active\s+\S/);
  });

  it('docker info shows the swarm', async () => {
    const info = await ok(m1, 'info');
    expect(info).toContain('Swarm: active');
    expect(info).toContain('Is Manager: true');
    expect(info).toMatch(/Managers: 2/);
    expect(info).toMatch(/Nodes: 4/);
    const winfo = await ok(w1, 'info');
    expect(winfo).toContain('Is Manager: false');
  });

  it('a worker cannot manage the swarm', async () => {
    const r = await w1.docker('service', 'ls');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.");
  });

  it('docker service create --replicas 1 --name helloworld alpine ping', async () => {
    // `ping` as a container's first process ignores SIGTERM, so Docker kills it after the grace
    // period (10 s by default): a short one keeps the rolling update below quick.
    const out = await m1.docker('service', 'create', '--replicas', '1', '--name', 'helloworld', '--stop-grace-period', '1s', 'alpine', 'ping', 'localhost');
    expect(out.code).toBe(0);
    // No registry: the CLI warns and goes on, as with an image it cannot resolve.
    expect(out.stderr).toContain('could not be accessed on a registry to record');
    await waitFor(async () => (await ok(m1, 'service', 'ls')).match(/helloworld\s+replicated\s+1\/1\s+alpine/) !== null, 20_000, 'helloworld 1/1', () => lab.logs());
  });

  it('docker service inspect --pretty', async () => {
    const out = await ok(m1, 'service', 'inspect', '--pretty', 'helloworld');
    expect(out).toMatch(/Name:\s+helloworld/);
    expect(out).toMatch(/Replicas:\s+1/);
    expect(out).toMatch(/Image:\s+alpine/);
    expect(out).toMatch(/Args:\s+ping localhost/);
  });

  it('docker service scale helloworld=5 spreads the tasks', async () => {
    await ok(m1, 'service', 'scale', 'helloworld=5', '--detach');
    await waitFor(async () => (await running('helloworld')).length === 5, 20_000, 'five running', () => lab.logs());
    const nodes = new Set((await running('helloworld')).map((t) => t.node));
    expect(nodes.size).toBe(4);
  });

  it('docker node update --availability drain moves the tasks away, with history', async () => {
    await ok(m1, 'node', 'update', '--availability', 'drain', 'worker1');
    expect(await ok(m1, 'node', 'inspect', '--format', '{{.Spec.Availability}}', 'worker1')).toBe('drain\n');
    await waitFor(async () => {
      const r = await running('helloworld');
      return r.length === 5 && r.every((t) => t.node !== 'worker1');
    }, 20_000, 'drained', () => lab.logs());
    const table = await ok(m1, 'service', 'ps', 'helloworld');
    expect(table).toMatch(/\\_ helloworld\.\d\s+alpine:latest\s+worker1\s+Shutdown/);
    await ok(m1, 'node', 'update', '--availability', 'active', 'worker1');
    expect(await ok(m1, 'node', 'inspect', '--format', '{{.Spec.Availability}}', 'worker1')).toBe('active\n');
  });

  it('docker service update --image with parallelism and delay, then rollback', async () => {
    await ok(m1, 'service', 'update', '--detach', '--image', 'alpine:3.19', '--update-parallelism', '2', '--update-delay', '1s', 'helloworld');
    await waitFor(async () => (await ok(m1, 'service', 'inspect', '--format', '{{.UpdateStatus.State}}', 'helloworld')).trim() === 'completed', 40_000, 'update completed', () => lab.logs());
    const images = (await ok(m1, 'service', 'ps', 'helloworld', '--filter', 'desired-state=running', '--format', '{{.Image}}')).trim().split('\n');
    expect(images).toEqual(Array(5).fill('alpine:3.19'));
    const pretty = await ok(m1, 'service', 'inspect', '--pretty', 'helloworld');
    expect(pretty).toMatch(/Parallelism:\s+2/);
    expect(pretty).toMatch(/Delay:\s+1s/);

    await ok(m1, 'service', 'rollback', '--detach', 'helloworld');
    await waitFor(async () => (await ok(m1, 'service', 'inspect', '--format', '{{.UpdateStatus.State}}', 'helloworld')).trim() === 'rollback_completed', 40_000, 'rollback completed', () => lab.logs());
    expect(await ok(m1, 'service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', 'helloworld')).toMatch(/^alpine(:latest)?\n$/);
  });

  it('docker service logs gathers every task\'s output across the nodes', async () => {
    const out = await ok(m1, 'service', 'logs', '--tail', '2', 'helloworld');
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const l of lines) expect(l).toMatch(/^helloworld\.\d\.\w+@(manager|worker)\d\s+\| (64 bytes from 127\.0\.0\.1: seq=\d+ ttl=64 time=|PING localhost \(127\.0\.0\.1\): 56 data bytes)/);
    const nodes = new Set(lines.map((l) => l.match(/@(\S+)/)![1]));
    expect(nodes.size).toBeGreaterThan(1);
  });

  it('docker service rm removes the tasks everywhere', async () => {
    await ok(m1, 'service', 'rm', 'helloworld');
    expect(await ok(m1, 'service', 'ls', '-q')).toBe('');
    const r = await m1.docker('service', 'ps', 'helloworld');
    expect(r.stderr).toContain('no such service: helloworld');
  });

  it('docker swarm leave: a worker leaves, a manager needs --force', async () => {
    expect(await ok(w2, 'swarm', 'leave')).toContain('Node left the swarm.');
    expect(await ok(w2, 'info', '--format', '{{.Swarm.LocalNodeState}}')).toBe('inactive\n');
    await waitFor(async () => (await ok(m1, 'node', 'ls', '--filter', 'name=worker2', '--format', '{{.Status}}')).trim() === 'Down', 20_000, 'worker2 down', () => lab.logs());
    const r = await m2.docker('swarm', 'leave');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('You are attempting to leave the swarm on a node that is participating as a manager.');
  });
});
