// npm run bench -- mesh [--reps 3] [--duration 5] [--warmup 1] [--concurrency 1,8] [--modes new,keep-alive]
//                       [--ip-base 127.0.0.161] [--no-floor] [--no-bundle]
// The routing mesh's cost: four real swarmd processes on their own loopback addresses (as the e2e
// Lab makes them), a swarmlab/whoami service with 3 replicas published on 8080 on three of them
// (the fourth is constrained out), and an HTTP load generator in a process of its own
// (mesh-load.ts) against
//   (a) one task's own endpoint on its node (the `Listening on 127.0.0.1:PORT` of its log),
//   (b) the mesh on that task's node (which balances across all three tasks, two on other nodes),
//   (c) the mesh on the node with no task,
// and, for reference, (d) the same task through one and two plain Node TCP proxies, each in a
// process of its own (the floor of any userland mesh with as many hops as (c), unless --no-floor),
// each with a new connection per request (as curl) and with kept-alive connections, at each
// concurrency level, for a fixed duration after a warm-up, repeated; requests per second and
// latency percentiles, then mesh/direct at p99 (the goal: at most 2x). Every process (nodes,
// tasks, load generator) shares this machine's cores: figures are relative, not absolute.

import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundle } from '../../main/bundle.ts';
import { Lab, waitFor, type SwarmdProcess } from '../e2e/swarmd-process.ts';
import type { LoadResult, LoadSpec } from './mesh-load.ts';
import { printTable, type Row } from './report.ts';

const SERVICE = 'meshbench';
const PUBLISHED = 8080;
const LOAD = fileURLToPath(new URL('./mesh-load.ts', import.meta.url));

interface Target {
  key: 'direct' | 'mesh-local' | 'mesh-remote' | 'proxy-1hop' | 'proxy-2hops';
  what: string;
  host: string;
  port: number;
}

interface Run {
  target: Target['key'];
  keepAlive: boolean;
  concurrency: number;
  rep: number;
  result: LoadResult;
  /** CPU the four nodes used during the run (warm-up included), user and system, in ms. */
  nodeCpu: { user: number; sys: number };
}

/** User and system CPU of the processes so far, in ms (Linux /proc; zeros elsewhere). */
async function cpuOf(pids: number[]): Promise<{ user: number; sys: number }> {
  const ticks = 100; // USER_HZ
  let user = 0;
  let sys = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += (Number(f[11]) * 1000) / ticks;
      sys += (Number(f[12]) * 1000) / ticks;
    } catch {
      /* gone, or not Linux */
    }
  }
  return { user, sys };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** CPU ms over a whole run (warm-up included) as µs per request, counting the warm-up's requests at the recorded rate. */
const perReq = (cpuMs: number, r: LoadResult, warmupMs = WARMUP.ms, durationMs = DURATION.ms) =>
  r.requests > 0 ? ((cpuMs * 1000) / (r.requests * ((warmupMs + durationMs) / durationMs))).toFixed(0) : '-';
const WARMUP = { ms: 1000 };
const DURATION = { ms: 5000 };
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

/** One load run in its own process. */
function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LoadResult | undefined;
    child.once('message', (m) => (result = m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`load generator exited with ${code} and no result`))));
    child.send(spec);
  });
}

async function ok(n: SwarmdProcess, lab: Lab, ...args: string[]): Promise<string> {
  const r = await n.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${lab.logs()}`);
  return r.stdout;
}

/** A plain TCP proxy in a process of its own (mesh-load.ts), listening on `listenHost`; resolves with its port. */
function proxyProcess(listenHost: string, targetHost: string, targetPort: number, kids: ChildProcess[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD, ['--proxy', listenHost, targetHost, String(targetPort)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kids.push(child);
    child.once('message', (port) => resolve(port as number));
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
  });
}

/** What a GET through host:port answers with, or undefined. */
async function answers(host: string, port: number): Promise<boolean> {
  const r = await import('./mesh-load.ts').then((m) => m.runLoad({ host, port, path: '/api', keepAlive: false, concurrency: 1, warmupMs: 0, durationMs: 200 }));
  return r.requests > 0 && r.errors === 0;
}

export async function benchMesh(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const reps = Number(arg('reps') ?? 3);
  const durationMs = Number(arg('duration') ?? 5) * 1000;
  const warmupMs = Number(arg('warmup') ?? 1) * 1000;
  WARMUP.ms = warmupMs;
  DURATION.ms = durationMs;
  const concurrencies = (arg('concurrency') ?? '1,8').split(',').map(Number);
  const base = (arg('ip-base') ?? '127.0.0.161').split('.').map(Number);
  const ip = (i: number) => [...base.slice(0, 3), base[3]! + i].join('.');
  const loadAtStart = loadavg();
  console.log(
    `mesh bench: load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores, which the 4 swarmd nodes (their tasks run inside them), ` +
      `the load generator and this process all share; ${reps} reps of ${warmupMs / 1000} s warm-up + ${durationMs / 1000} s recorded per figure`,
  );
  if (!process.argv.includes('--no-bundle')) await bundle();

  const lab = new Lab();
  const runs: Run[] = [];
  const proxies: ChildProcess[] = [];
  try {
    const names = ['n1', 'n2', 'n3', 'n4'];
    const nodes = await Promise.all(names.map((name, i) => lab.node({ name, ip: ip(i), args: ['--inactive'] })));
    const [n1, , , n4] = nodes as [SwarmdProcess, SwarmdProcess, SwarmdProcess, SwarmdProcess];
    const init = await ok(n1, lab, 'swarm', 'init', '--advertise-addr', n1.ip);
    const [, token, addr] = init.match(/--token (SWMTKN-1-\S+) (\S+:\d+)/)!;
    await Promise.all(nodes.slice(1).map((w) => ok(w, lab, 'swarm', 'join', '--token', token!, addr!)));
    await waitFor(async () => (await ok(n1, lab, 'node', 'ls', '--format', '{{.Status}}')).split('\n').filter((s) => s === 'Ready').length === 4, 30_000, 'four ready nodes', () => lab.logs());

    await ok(n1, lab, 'service', 'create', '--detach', '--name', SERVICE, '--publish', `${PUBLISHED}:80`, '--replicas', '3', '--replicas-max-per-node', '1', '--constraint', `node.hostname!=${n4.name}`, 'swarmlab/whoami');
    const running = async () =>
      (await ok(n1, lab, 'service', 'ps', SERVICE, '--filter', 'desired-state=running', '--format', '{{.ID}} {{.Node}} {{.CurrentState}}', '--no-trunc'))
        .split('\n')
        .filter((l) => / Running /.test(l))
        .map((l) => l.split(' ') as [string, string]);
    await waitFor(async () => (await running()).length === 3, 30_000, `${SERVICE}: 3 running tasks`, () => lab.logs());

    // A task on a worker, and its own endpoint from its log.
    const tasks = await running();
    const [taskId, taskNode] = tasks.find(([, node]) => node !== n1.name) ?? tasks[0]!;
    const node = nodes.find((n) => n.name === taskNode)!;
    let endpoint: { host: string; port: number } | undefined;
    await waitFor(
      async () => {
        const out = await n1.docker('service', 'logs', '--no-trunc', SERVICE);
        for (const line of (out.stdout + out.stderr).split('\n')) {
          const m = /^\S+\.\d+\.(\w+)@\S+\s*\|\s*Listening on (\S+):(\d+)/.exec(line);
          if (m && m[1] === taskId) endpoint = { host: m[2]!, port: Number(m[3]) };
        }
        return endpoint !== undefined;
      },
      15_000,
      `the Listening line of task ${taskId}`,
      () => lab.logs(),
    );
    const targets: Target[] = [
      { key: 'direct', what: `(a) the task's endpoint ${endpoint!.host}:${endpoint!.port} on ${node.name}`, ...endpoint! },
      { key: 'mesh-local', what: `(b) the mesh on ${node.name} (${node.ip}:${PUBLISHED}), which runs the task`, host: node.ip, port: PUBLISHED },
      { key: 'mesh-remote', what: `(c) the mesh on ${n4.name} (${n4.ip}:${PUBLISHED}), which runs no task`, host: n4.ip, port: PUBLISHED },
    ];
    if (!process.argv.includes('--no-floor')) {
      // The floor of a userland mesh: the same task through one and two plain proxies, each a process.
      const one = await proxyProcess(ip(5), endpoint!.host, endpoint!.port, proxies);
      const two = await proxyProcess(ip(6), ip(5), one, proxies);
      targets.push(
        { key: 'proxy-1hop', what: `reference: the task through 1 plain Node TCP proxy (${ip(5)}:${one}), a process of its own`, host: ip(5), port: one },
        { key: 'proxy-2hops', what: `reference: the task through 2 plain Node TCP proxies (${ip(6)}:${two} -> ${ip(5)}:${one}), as many hops as (c)`, host: ip(6), port: two },
      );
    }
    for (const t of targets) await waitFor(() => answers(t.host, t.port), 15_000, `${t.what} answers`, () => lab.logs());
    for (const t of targets) console.log(`  ${t.key}: ${t.what}`);

    const modes = (arg('modes') ?? 'new,keep-alive').split(',').map((m) => m === 'keep-alive');
    for (const keepAlive of modes) {
      for (const concurrency of concurrencies) {
        for (let rep = 1; rep <= reps; rep++) {
          // Targets interleaved, so a drift of the machine's load touches each alike.
          for (const t of targets) {
            const pids = nodes.map((n) => n.pid!);
            const before = await cpuOf(pids);
            const result = await load({ host: t.host, port: t.port, path: '/api', keepAlive, concurrency, warmupMs, durationMs });
            const after = await cpuOf(pids);
            const nodeCpu = { user: after.user - before.user, sys: after.sys - before.sys };
            runs.push({ target: t.key, keepAlive, concurrency, rep, result, nodeCpu });
            console.log(
              `  ${keepAlive ? 'keep-alive' : 'new conn.'} c=${concurrency} #${rep} ${t.key.padEnd(11)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(result.p50)}  p90 ${ms(result.p90)}  p99 ${ms(result.p99)}  max ${ms(result.max)} ms` +
                `${result.errors ? `  ${result.errors} errors (${result.firstError})` : ''}; CPU/req: nodes ${perReq(nodeCpu.user, result)}+${perReq(nodeCpu.sys, result)} sys, client ${perReq(result.clientCpuMs, result)} µs; load ${loadavg()[0]!.toFixed(2)}`,
            );
          }
        }
      }
    }
  } finally {
    for (const p of proxies) p.kill('SIGKILL');
    await lab.cleanup();
  }
  report(runs, reps, durationMs);
}

function report(runs: Run[], reps: number, durationMs: number): void {
  const groups = new Map<string, Run[]>();
  for (const r of runs) {
    const key = `${r.keepAlive ? 'keep-alive' : 'new connection'}|${r.concurrency}|${r.target}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: Row[] = [];
  const p99 = new Map<string, number>();
  for (const [key, rs] of groups) {
    const [mode, c, target] = key.split('|') as [string, string, string];
    const res = rs.map((r) => r.result);
    const med = (f: (r: LoadResult) => number) => median(res.map(f));
    p99.set(key, med((r) => r.p99));
    rows.push({
      connections: mode,
      c,
      target,
      'req/s': med((r) => r.rps).toFixed(0),
      'req/s min-max': `${Math.min(...res.map((r) => r.rps)).toFixed(0)}-${Math.max(...res.map((r) => r.rps)).toFixed(0)}`,
      'p50 ms': ms(med((r) => r.p50)),
      'p90 ms': ms(med((r) => r.p90)),
      'p99 ms': ms(med((r) => r.p99)),
      'p99 min-max': `${ms(Math.min(...res.map((r) => r.p99)))}-${ms(Math.max(...res.map((r) => r.p99)))}`,
      'max ms': ms(Math.max(...res.map((r) => r.max))),
      errors: String(res.reduce((a, r) => a + r.errors, 0)),
      'node CPU µs/req (sys)': `${median(rs.map((r) => Number(perReq(r.nodeCpu.user + r.nodeCpu.sys, r.result))))} (${median(rs.map((r) => Number(perReq(r.nodeCpu.sys, r.result))))})`,
      'client CPU µs/req': String(median(rs.map((r) => Number(perReq(r.result.clientCpuMs, r.result))))),
    });
  }
  printTable(`routing mesh vs direct: GET /api of swarmlab/whoami, medians of ${reps} runs of ${durationMs / 1000} s (max: the largest of all runs; node CPU leaves out the reference proxies' own); load average now ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`, rows);

  const ratios: Row[] = [];
  for (const key of groups.keys()) {
    const [mode, c, target] = key.split('|') as [string, string, string];
    if (target !== 'direct') continue;
    const direct = p99.get(key)!;
    const of = (t: string) => p99.get(`${mode}|${c}|${t}`)! / direct;
    const local = of('mesh-local');
    const remote = of('mesh-remote');
    const floor = of('proxy-2hops');
    ratios.push({
      connections: mode,
      c,
      'direct p99 ms': ms(direct),
      'mesh on the task node / direct': `${local.toFixed(2)}x`,
      'mesh on a node without a task / direct': `${remote.toFixed(2)}x`,
      'goal <= 2x': local <= 2 && remote <= 2 ? 'met' : 'not met',
      ...(Number.isFinite(floor) ? { 'ref.: 1 plain proxy / direct': `${of('proxy-1hop').toFixed(2)}x`, 'ref.: 2 plain proxies / direct': `${floor.toFixed(2)}x` } : {}),
    });
  }
  printTable('p99 latency ratio, mesh / direct (medians of the runs)', ratios);
}
