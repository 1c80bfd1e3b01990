// Failover for real: five swarmd processes (3 managers, 2 workers) on loopback, killed, stopped
// and restarted with signals, driven and observed with the real docker CLI.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, waitFor, type SwarmdProcess } from './swarmd-process.ts';

const lab = new Lab();
const nodes = new Map<string, SwarmdProcess>();
const get = (name: string) => nodes.get(name)!;

async function ok(n: SwarmdProcess, ...args: string[]): Promise<string> {
  const r = await n.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${n.name} failed (${r.code}): ${r.stderr}\n${lab.logs()}`);
  return r.stdout;
}

/** A manager that answers, other than the ones given. */
async function anyManager(...except: string[]): Promise<SwarmdProcess> {
  for (const name of ['m1', 'm2', 'm3']) {
    if (except.includes(name)) continue;
    const r = await get(name).docker('node', 'ls', '-q');
    if (r.code === 0) return get(name);
  }
  throw new Error('no manager answers');
}

interface Task {
  name: string;
  node: string;
  desired: string;
  current: string;
  image: string;
}

async function tasks(via: SwarmdProcess, service: string): Promise<Task[]> {
  const out = await ok(via, 'service', 'ps', service, '--no-trunc', '--format', '{{.Name}}|{{.Node}}|{{.DesiredState}}|{{.CurrentState}}|{{.Image}}');
  return out.trim().split('\n').filter(Boolean).map((l) => {
    const [name, node, desired, current, image] = l.split('|') as [string, string, string, string, string];
    return { name: name.replace(/^\\_ /, '').trim(), node, desired, current, image };
  });
}

const runningOn = (ts: Task[]) => ts.filter((t) => t.desired === 'Running' && t.current.startsWith('Running'));

async function start(name: string, ip: string, args: string[]): Promise<SwarmdProcess> {
  const n = await lab.node({ name, ip, args });
  nodes.set(name, n);
  return n;
}

beforeAll(async () => {
  const m1 = await start('m1', '127.0.0.21', []);
  await waitFor(async () => (await m1.docker('node', 'ls')).code === 0, 20_000, 'm1 up', () => lab.logs());
  const addr = (await ok(m1, 'swarm', 'join-token', 'worker')).match(/(\S+:\d+)\s*$/)![1]!;
  const worker = (await ok(m1, 'swarm', 'join-token', '-q', 'worker')).trim();
  const manager = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
  await start('m2', '127.0.0.22', ['--join-addr', addr, '--join-token', manager]);
  await start('m3', '127.0.0.23', ['--join-addr', addr, '--join-token', manager]);
  await start('w1', '127.0.0.24', ['--join-addr', addr, '--join-token', worker]);
  await start('w2', '127.0.0.25', ['--join-addr', addr, '--join-token', worker]);
  await waitFor(async () => (await ok(m1, 'node', 'ls', '--format', '{{.Status}}')).split('\n').filter((s) => s === 'Ready').length === 5, 30_000, 'five ready nodes', () => lab.logs());
  await ok(m1, 'service', 'create', '--detach', '--name', 'web', '--replicas', '10', '--stop-grace-period', '1s', 'swarmlab/whoami:1');
  await waitFor(async () => runningOn(await tasks(m1, 'web')).length === 10, 30_000, 'ten running', () => lab.logs());
});
afterAll(() => lab.cleanup());

describe('failover with real processes', () => {
  it('SIGKILL of a worker: its tasks run elsewhere', async () => {
    const via = await anyManager();
    expect(runningOn(await tasks(via, 'web')).some((t) => t.node === 'w1')).toBe(true);
    await get('w1').kill();
    await waitFor(async () => {
      const r = runningOn(await tasks(via, 'web'));
      return r.length === 10 && r.every((t) => t.node !== 'w1');
    }, 20_000, 'tasks moved off w1', () => lab.logs());
    expect((await ok(via, 'node', 'inspect', '--format', '{{.Status.State}}', 'w1')).trim()).toBe('down');
    nodes.set('w1', await lab.restart(get('w1')));
    await waitFor(async () => (await ok(via, 'node', 'inspect', '--format', '{{.Status.State}}', 'w1')).trim() === 'ready', 20_000, 'w1 back', () => lab.logs());
  });

  it('SIGSTOP of a worker: it goes down; SIGCONT: it comes back and its replaced tasks are shut down', async () => {
    const via = await anyManager();
    await waitFor(async () => runningOn(await tasks(via, 'web')).some((t) => t.node === 'w2'), 20_000, 'a task on w2');
    get('w2').signal('SIGSTOP');
    try {
      await waitFor(async () => (await ok(via, 'node', 'inspect', '--format', '{{.Status.State}}', 'w2')).trim() === 'down', 20_000, 'w2 down', () => lab.logs());
      await waitFor(async () => runningOn(await tasks(via, 'web')).filter((t) => t.node !== 'w2').length === 10, 20_000, 'ten running elsewhere', () => lab.logs());
    } finally {
      get('w2').signal('SIGCONT');
    }
    await waitFor(async () => (await ok(via, 'node', 'inspect', '--format', '{{.Status.State}}', 'w2')).trim() === 'ready', 20_000, 'w2 ready again', () => lab.logs());
    // Its old tasks were replaced while it was away: it shuts them down once it hears so.
    await waitFor(async () => {
      const ts = await tasks(via, 'web');
      return ts.filter((t) => t.node === 'w2' && t.desired !== 'Running').every((t) => !t.current.startsWith('Running')) && runningOn(ts).length === 10;
    }, 20_000, 'w2 extra tasks shut down', () => lab.logs());
  });

  it('SIGKILL of the leader: another manager leads and answers', async () => {
    const via = await anyManager();
    const leaderName = (await ok(via, 'node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}} {{.ManagerStatus}}')).split('\n').find((l) => l.endsWith('Leader'))!.split(' ')[0]!;
    const t0 = Date.now();
    await get(leaderName).kill();
    let survivor: SwarmdProcess | undefined;
    await waitFor(async () => {
      for (const name of ['m1', 'm2', 'm3'].filter((n) => n !== leaderName)) {
        const r = await get(name).docker('node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}');
        const lead = r.stdout.split('\n').find((l) => l.endsWith('Leader'));
        if (r.code === 0 && lead && !lead.startsWith(leaderName)) {
          survivor = get(name);
          return true;
        }
      }
      return false;
    }, 20_000, 'a new leader', () => lab.logs());
    const ms = Date.now() - t0;
    console.log(`leader ${leaderName} killed: a new leader answered after ${ms} ms`);
    // The new leader serves writes.
    await ok(survivor!, 'service', 'scale', '--detach', 'web=12');
    await waitFor(async () => runningOn(await tasks(survivor!, 'web')).length === 12, 30_000, 'twelve running', () => lab.logs());
    nodes.set(leaderName, await lab.restart(get(leaderName)));
    await waitFor(async () => (await ok(survivor!, 'node', 'inspect', '--format', '{{.Status.State}} {{.ManagerStatus.Reachability}}', leaderName)).trim() === 'ready reachable', 20_000, 'old leader back', () => lab.logs());
  });

  it('a manager killed during a rolling update: the update completes', async () => {
    const via = await anyManager();
    await ok(via, 'service', 'update', '--detach', '--image', 'swarmlab/whoami:2', '--update-parallelism', '2', '--update-delay', '500ms', 'web');
    await waitFor(async () => (await tasks(via, 'web')).some((t) => t.image === 'swarmlab/whoami:2' && t.current.startsWith('Running')), 20_000, 'update under way', () => lab.logs());
    const leaderName = (await ok(via, 'node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}} {{.ManagerStatus}}')).split('\n').find((l) => l.endsWith('Leader'))!.split(' ')[0]!;
    await get(leaderName).kill();
    const survivor = await (async () => {
      let s: SwarmdProcess | undefined;
      await waitFor(async () => {
        try {
          s = await anyManager(leaderName);
          return (await s.docker('service', 'inspect', 'web')).code === 0;
        } catch {
          return false;
        }
      }, 20_000, 'a manager answers', () => lab.logs());
      return s!;
    })();
    await waitFor(async () => (await ok(survivor, 'service', 'inspect', '--format', '{{.UpdateStatus.State}}', 'web')).trim() === 'completed', 60_000, 'update completed', () => lab.logs());
    const r = runningOn(await tasks(survivor, 'web'));
    expect(r).toHaveLength(12);
    expect(r.every((t) => t.image === 'swarmlab/whoami:2')).toBe(true);
    nodes.set(leaderName, await lab.restart(get(leaderName)));
  });

  it('the whole cluster stopped and started again comes back with its services', async () => {
    await Promise.all([...nodes.values()].map((n) => n.stop()));
    for (const name of ['m1', 'm2', 'm3', 'w1', 'w2']) nodes.set(name, await lab.restart(get(name)));
    let via: SwarmdProcess | undefined;
    await waitFor(async () => {
      try {
        via = await anyManager();
        return true;
      } catch {
        return false;
      }
    }, 30_000, 'a manager answers after the restart', () => lab.logs());
    await waitFor(async () => runningOn(await tasks(via!, 'web')).length === 12, 40_000, 'twelve running after restart', () => lab.logs());
    const ls = await ok(via!, 'service', 'ls', '--format', '{{.Name}} {{.Replicas}} {{.Image}}');
    expect(ls.trim()).toBe('web 12/12 swarmlab/whoami:2');
  });
});
