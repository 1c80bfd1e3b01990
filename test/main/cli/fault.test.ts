// swarmlab fault on a real lab: three managers and a worker (local machines, the lab profile's
// timing), the leader cut off and healed, a worker frozen and thawed, a delay measured through the
// cluster, and the command's errors.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../../../vm/engine-api.ts';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { reap, tempHome, waitFor } from '../../vm/helpers.ts';
import { cliRunner } from './run.ts';

const DOCKER = '/usr/local/bin/docker';
const MANAGERS = ['fm1', 'fm2', 'fm3'];
let home: string;
let machines: Machines;
let cli: ReturnType<typeof cliRunner>;

interface Run {
  code: number;
  out: string;
  err: string;
}

/** The docker CLI with the environment `swarmlab env NAME` prints. */
async function dockerRun(name: string, ...args: string[]): Promise<Run> {
  const env = await cli('env', name);
  if (env.code !== 0) throw new Error(`swarmlab env ${name}: ${env.err}`);
  const vars = Object.fromEntries([...env.out.matchAll(/^export (\w+)="(.*)"$/gm)].map((m) => [m[1], m[2]]));
  return new Promise((resolve) => {
    execFile(DOCKER, args, { env: { ...process.env, ...vars, DOCKER_CLI_HINTS: 'false' }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout.trim(), err: stderr.trim() }),
    );
  });
}

async function docker(name: string, ...args: string[]): Promise<string> {
  const r = await dockerRun(name, ...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${name}: ${r.err}`);
  return r.out;
}

/** The leader as `docker node ls` through this machine shows it, or undefined (with the error). */
async function leaderSeenBy(name: string): Promise<{ leader?: string; err?: string }> {
  const r = await dockerRun(name, 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}');
  if (r.code !== 0) return { err: r.err };
  return { leader: r.out.split('\n').find((l) => l.endsWith(' Leader'))?.split(' ')[0] };
}

/** The leader by this machine's API (none while it has no answer within a second). */
async function leaderByApi(name: string): Promise<string | undefined> {
  try {
    const r = await getJson<{ Description?: { Hostname?: string }; ManagerStatus?: { Leader?: boolean } }[]>(machines.store.paths(name).socket, '/nodes', 1_000);
    return r.status === 200 ? r.body.find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname : undefined;
  } catch {
    return undefined;
  }
}

interface Task {
  node: string;
  desired: string;
  current: string;
}

async function tasks(via: string, service: string): Promise<Task[]> {
  const out = await docker(via, 'service', 'ps', service, '--format', '{{.Node}}|{{.DesiredState}}|{{.CurrentState}}');
  return out.split('\n').filter(Boolean).map((l) => {
    const [node, desired, current] = l.split('|') as [string, string, string];
    return { node, desired, current };
  });
}

const running = (ts: Task[]) => ts.filter((t) => t.desired === 'Running' && t.current.startsWith('Running'));

async function lsRow(name: string): Promise<{ header: string; row: string }> {
  const lines = (await cli('ls')).out.trimEnd().split('\n');
  return { header: lines[0]!, row: lines.find((l) => l.startsWith(`${name} `)) ?? '' };
}

async function leader(): Promise<string> {
  let found: string | undefined;
  await waitFor(async () => !!(found = (await leaderSeenBy(MANAGERS[0]!)).leader), 20_000, 'a leader');
  return found!;
}

/** A manager other than these. */
const otherManager = (...not: string[]) => MANAGERS.find((m) => !not.includes(m))!;

beforeAll(async () => {
  home = await tempHome();
  machines = new Machines(new MachineStore({ home, firstSlot: 170 }));
  cli = cliRunner(machines);
  for (const r of await Promise.all([...MANAGERS, 'fw1'].map((n) => cli('create', n)))) expect(r.err).toBe('');
  const ip1 = (await cli('ip', 'fm1')).out.trim();
  await docker('fm1', 'swarm', 'init', '--advertise-addr', ip1);
  const managerToken = await docker('fm1', 'swarm', 'join-token', '-q', 'manager');
  const workerToken = await docker('fm1', 'swarm', 'join-token', '-q', 'worker');
  for (const m of ['fm2', 'fm3']) await docker(m, 'swarm', 'join', '--token', managerToken, `${ip1}:2377`);
  await docker('fw1', 'swarm', 'join', '--token', workerToken, `${ip1}:2377`);
  await waitFor(async () => (await docker('fm1', 'node', 'ls', '--format', '{{.Status}}')).split('\n').filter((s) => s === 'Ready').length === 4, 20_000, 'four nodes ready');
}, 120_000);
afterAll(() => reap(home));

describe('swarmlab fault on a lab of three managers and a worker', () => {
  it('partition: the leader cut off from the other managers loses its leadership; healed, it follows the new leader and catches up', async () => {
    const old = await leader();
    const [a, b] = MANAGERS.filter((m) => m !== old) as [string, string];
    const p = await cli('fault', 'partition', old, '--from', `${a},${b}`);
    expect(p).toEqual({ code: 0, out: `Machine "${old}" is cut off from ${a}, ${b}. (swarmlab fault heal ${old} ends it)\n`, err: '' });
    let next: string | undefined;
    try {
      // A read through a follower at once goes to the leader it knows, now cut off; it is asked
      // again of the new leader once there is one, well before the forwarded call's 10 s timeout.
      const read = await getJson<{ ManagerStatus?: { Leader?: boolean }; Description?: { Hostname?: string } }[]>(machines.store.paths(a).socket, '/nodes', 8_000);
      expect(read.status).toBe(200);
      expect(read.body.find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname).not.toBe(old);
      // The two others elect a leader between them.
      await waitFor(async () => {
        next = await leaderByApi(a);
        return next !== undefined && next !== old && (await leaderByApi(b)) === next;
      }, 20_000, 'a new leader among the others');
      // The cut-off manager has none: its API says so, as Docker's does.
      let seen: { leader?: string; err?: string } = {};
      await waitFor(async () => (seen = await leaderSeenBy(old)).err !== undefined, 20_000, 'the old leader without a leader');
      expect(seen.err).toContain('The swarm does not have a leader');
      const { header, row } = await lsRow(old);
      expect(header).toMatch(/ SWARM {3,}FAULTS {3,}ERRORS$/);
      expect(row).toContain(`cut off from ${a},${b}`);
      expect(JSON.parse((await cli('inspect', old)).out).Faults).toMatchObject({ PartitionFrom: [expect.stringMatching(/^127\.0\.0\./), expect.any(String)], Applied: true });
      // A service made meanwhile, on the side of the majority.
      await docker(next!, 'service', 'create', '--detach', '--name', 'during', '--replicas', '1', 'alpine', 'ping', 'localhost');
    } finally {
      expect(await cli('fault', 'heal', old)).toEqual({ code: 0, out: `Machine "${old}" is healed: no partition, delay or loss.\n`, err: '' });
    }
    await waitFor(async () => (await leaderSeenBy(old)).leader === next, 20_000, 'the healed manager following the new leader');
    // Its own copy of the store has the service made while it was cut off.
    await waitFor(async () => (await dockerRun(old, 'service', 'ls', '--format', '{{.Name}}')).out.split('\n').includes('during'), 20_000, 'the service on the healed manager');
    await waitFor(async () => {
      const managers = await docker(old, 'node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}');
      return JSON.stringify(managers.split('\n').sort()) === JSON.stringify(MANAGERS.map((m) => `${m} Ready ${m === next ? 'Leader' : 'Reachable'}`).sort());
    }, 20_000, 'every manager ready and reachable');
    expect((await lsRow(old)).header).not.toContain('FAULTS');
    expect(JSON.parse((await cli('inspect', old)).out).Faults).toBeNull();
    await docker(next!, 'service', 'rm', 'during');
  });

  it('pause: a frozen worker goes down and its tasks run elsewhere; resumed, it is ready again without duplicates', async () => {
    const via = await leader();
    // ping, as PID 1 in Docker, waits out the stop grace period: a short one keeps the test short.
    await docker(via, 'service', 'create', '--detach', '--name', 'web', '--replicas', '4', '--stop-grace-period', '1s', 'alpine', 'ping', 'localhost');
    await waitFor(async () => running(await tasks(via, 'web')).length === 4, 20_000, 'four running');
    expect(running(await tasks(via, 'web')).some((t) => t.node === 'fw1')).toBe(true);

    expect((await cli('fault', 'pause', 'fw1')).out).toBe('Machine "fw1" is paused: it misses its heartbeats but keeps its connections (swarmlab fault resume fw1)\n');
    try {
      expect((await lsRow('fw1')).row).toMatch(/^fw1 +local +Paused/);
      await waitFor(async () => (await docker(via, 'node', 'inspect', '--format', '{{.Status.State}}', 'fw1')) === 'down', 20_000, 'fw1 down');
      await waitFor(async () => running(await tasks(via, 'web')).filter((t) => t.node !== 'fw1').length === 4, 20_000, 'four running elsewhere');
    } finally {
      expect(await cli('fault', 'resume', 'fw1')).toEqual({ code: 0, out: 'Machine "fw1" runs again.\n', err: '' });
    }
    await waitFor(async () => (await docker(via, 'node', 'inspect', '--format', '{{.Status.State}}', 'fw1')) === 'ready', 20_000, 'fw1 ready again');
    // Its replaced tasks are shut down once it hears so; four run, no more.
    await waitFor(async () => {
      const ts = await tasks(via, 'web');
      return ts.filter((t) => t.desired !== 'Running').every((t) => !t.current.startsWith('Running')) && running(ts).length === 4;
    }, 20_000, 'the replaced tasks shut down');
    await docker(via, 'service', 'rm', 'web');
  });

  it('delay: a round trip through the delayed leader is longer by the delay; heal takes it away', async () => {
    const lead = await leader();
    const follower = otherManager(lead);
    // A follower forwards the call to the leader: the answer comes back through the leader's delay.
    const socket = machines.store.paths(follower).socket;
    const roundTrip = async () => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await getJson(socket, '/services', 5_000);
        expect(r.status).toBe(200);
        times.push(performance.now() - t0);
      }
      return Math.min(...times);
    };
    const before = await roundTrip();
    const d = await cli('fault', 'delay', lead, '300ms', '--loss', '0%');
    try {
      expect(d).toEqual({ code: 0, out: `Machine "${lead}" sends with 300 ms of delay. (swarmlab fault heal ${lead} ends it)\n`, err: '' });
      const delayed = await roundTrip();
      expect(delayed - before).toBeGreaterThanOrEqual(280);
      expect(delayed - before).toBeLessThan(1_500);
      // Still the leader: a steady delay below the election timeout does not depose it.
      expect((await leaderSeenBy(follower)).leader).toBe(lead);
      expect((await cli('fault', 'delay', lead, '300ms', '--loss', '5%')).code).toBe(0);
      expect((await lsRow(lead)).row).toContain('delay 300ms, loss 5%');
    } finally {
      expect((await cli('fault', 'heal', lead)).code).toBe(0);
    }
    expect(await roundTrip()).toBeLessThan(before + 150);
  });
});

describe('swarmlab fault on a machine that is not running, and its errors', () => {
  it('a fault set on a stopped machine applies when it starts, and lasts across a restart until healed', async () => {
    expect((await cli('create', 'fsolo')).code).toBe(0);
    expect((await cli('stop', 'fsolo')).code).toBe(0);
    expect(await cli('fault', 'partition', 'fsolo')).toEqual({
      code: 0,
      out: 'Machine "fsolo" is cut off from every other machine when it runs again (it is stopped).\n',
      err: '',
    });
    expect((await lsRow('fsolo')).row).toMatch(/^fsolo +local +Stopped +cut off from all \(when it runs\)$/);
    expect((await cli('start', 'fsolo')).code).toBe(0);
    // The machine applies its faults before its node starts.
    expect(JSON.parse((await cli('inspect', 'fsolo')).out).Faults).toEqual({ PartitionFrom: 'all', DelayMs: 0, LossPercent: 0, Applied: true });
    expect((await cli('restart', 'fsolo')).code).toBe(0);
    expect((await lsRow('fsolo')).row).toMatch(/ cut off from all$/);
    expect((await cli('fault', 'heal', 'fsolo')).out).toBe('Machine "fsolo" is healed: no partition, delay or loss.\n');
    expect(JSON.parse((await cli('inspect', 'fsolo')).out).Faults).toBeNull();
    expect((await cli('rm', '-f', 'fsolo')).code).toBe(0);
  });

  it('usage errors exit 2 and say what was wrong; unknown machines exit 1', async () => {
    const usage = async (args: string[], message: string, help = 'fault') => {
      const r = await cli('fault', ...args);
      expect(r, args.join(' ')).toEqual({ code: 2, out: '', err: `swarmlab: ${message}\nSee 'swarmlab ${help} --help'.\n` });
    };
    await usage([], '"swarmlab fault" requires a fault: partition, delay, heal, pause, resume');
    await usage(['unplug', 'fm1'], 'unknown fault "unplug": expected partition, delay, heal, pause, resume');
    await usage(['partition'], '"swarmlab fault partition" requires exactly one NAME', 'fault partition');
    await usage(['partition', 'fm1', '--from', 'fm2,fm1'], '--from names fm1 itself: a machine is not cut off from itself');
    await usage(['partition', 'fm1', '--from', 'fm2,,fm3'], 'invalid --from "fm2,,fm3": expected machine names separated by commas');
    await usage(['delay', 'fm1'], '"swarmlab fault delay" takes a NAME and a DURATION, e.g. swarmlab fault delay NAME 200ms');
    await usage(['delay', 'fm1', '200'], 'invalid duration "200": expected a duration such as 200ms or 1.5s');
    await usage(['delay', 'fm1', 'soon'], 'invalid duration "soon": expected a duration such as 200ms or 1.5s');
    await usage(['delay', 'fm1', '5m'], 'invalid duration "5m": a delay goes from 0s to 60s');
    await usage(['delay', 'fm1', '200ms', '--loss', '150%'], 'invalid --loss "150%": expected a percentage from 0 to 100, such as 5%');
    await usage(['delay', 'fm1', '200ms', '--loss', 'some'], 'invalid --loss "some": expected a percentage from 0 to 100, such as 5%');
    await usage(['heal', 'fm1', '--from', 'fm2'], '--from goes with partition only');
    await usage(['partition', 'fm1', '--loss', '5%'], '--loss goes with delay only');

    const ghost = 'swarmlab: machine "ghost" does not exist (swarmlab ls lists them)\n';
    for (const args of [['partition', 'ghost'], ['partition', 'fm1', '--from', 'ghost'], ['delay', 'ghost', '1s'], ['heal', 'ghost'], ['pause', 'ghost'], ['resume', 'ghost']]) {
      expect(await cli('fault', ...args), args.join(' ')).toEqual({ code: 1, out: '', err: ghost });
    }
    // Nothing was changed by the refused partition.
    expect((await lsRow('fm1')).header).not.toContain('FAULTS');
    expect((await cli('fault', '--help')).out).toContain('partition NAME [--from NAME,...]');
  });
});
