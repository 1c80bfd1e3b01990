// npm run bench -- cluster [--reps N] [--docker]
// Real swarmd processes on this machine (3 managers + 2 workers on loopback), measured the way the
// reference harness in ../shared/refswarm measures a real Docker Swarm (polling the Engine API on
// a manager every 0.1 s): service create -> all running, worker SIGKILL -> down / tasks elsewhere,
// leader SIGKILL -> new leader answering, rolling update, scale, and memory. Each figure is printed
// with its ratio to Docker's: measured in the same run when Docker's engine is installed (--docker,
// or when `dockerd` is on the PATH), else the reference figures that harness's README records.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { bundle } from '../../main/bundle.ts';
import { Lab, waitFor, type SwarmdProcess } from '../e2e/swarmd-process.ts';
import { printTable } from './report.ts';

const POLL_MS = 100;
const IMG1 = 'busybox:1';
const IMG2 = 'busybox:2';

type Key = string; // "test|variant|metric"
const key = (test: string, variant: string, metric: string): Key => `${test}|${variant}|${metric}`;

/** ../shared/refswarm/README.md, "Reference figures measured here" (2 vCPU, medians of 3). */
const DOCKER_README: Record<Key, number> = {
  [key('a', 'R=10', 'all_running')]: 1.22,
  [key('a', 'R=50', 'all_running')]: 5.41,
  [key('a', 'R=100', 'all_running')]: 11.45,
  [key('b', 'kill9 R=20', 'node_reported_down')]: 14.2,
  [key('b', 'kill9 R=20', 'all_tasks_running_elsewhere')]: 19.8,
  [key('c', '3 managers', 'new_leader_and_node_ls_ok')]: 10.1,
  [key('c', '3 managers', 'old_leader_shown_down')]: 42.1,
  [key('d', 'default-stop', 'all_10_running_new_image')]: 58.6,
  [key('d', 'default-stop', 'update_status_completed')]: 63.7,
  [key('d', 'stop-signal=KILL', 'all_10_running_new_image')]: 8.6,
  [key('d', 'stop-signal=KILL', 'update_status_completed')]: 13.6,
  [key('e', '10->50', 'all_50_running')]: 4.54,
};

function get<T>(n: SwarmdProcess, path: string, timeoutMs = 5_000): Promise<T | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: n.socket, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as T);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
  });
}

interface ApiTask {
  NodeID?: string;
  Status: { State: string };
  Spec: { ContainerSpec: { Image: string } };
}
interface ApiNode {
  ID: string;
  Description?: { Hostname: string };
  Status: { State: string };
  ManagerStatus?: { Leader?: boolean };
}

const filters = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
const runningTasks = async (n: SwarmdProcess, service: string) =>
  ((await get<ApiTask[]>(n, `/tasks?filters=${filters({ service: [service], 'desired-state': ['running'] })}`)) ?? []).filter((t) => t.Status.State === 'running');

const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

async function poll(pred: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}

function rssKiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** swarmd plus every process of its group (its tasks' real processes), in KiB. */
function nodeRssKiB(n: SwarmdProcess): number {
  const out = spawnSync('ps', ['-o', 'rss=', '-g', String(n.pid)], { encoding: 'utf8' }).stdout ?? '';
  const total = out.split('\n').map((l) => Number(l.trim()) || 0).reduce((a, b) => a + b, 0);
  return total || rssKiB(n.pid);
}

class Cluster {
  readonly lab = new Lab();
  readonly nodes = new Map<string, SwarmdProcess>();

  async start(profile: 'lab' | 'swarm'): Promise<void> {
    const m1 = await this.lab.node({ name: 'node1', ip: '127.0.0.31', args: ['--profile', profile] });
    this.nodes.set('node1', m1);
    await waitFor(async () => (await m1.docker('node', 'ls')).code === 0, 20_000, 'node1 up', () => this.lab.logs());
    const addr = (await m1.docker('swarm', 'join-token', 'worker')).stdout.match(/(\S+:\d+)\s*$/)![1]!;
    const worker = (await m1.docker('swarm', 'join-token', '-q', 'worker')).stdout.trim();
    const manager = (await m1.docker('swarm', 'join-token', '-q', 'manager')).stdout.trim();
    for (let i = 2; i <= 5; i++) {
      const token = i <= 3 ? manager : worker;
      this.nodes.set(`node${i}`, await this.lab.node({ name: `node${i}`, ip: `127.0.0.${30 + i}`, args: ['--join-addr', addr, '--join-token', token] }));
    }
    await waitFor(async () => ((await get<ApiNode[]>(m1, '/nodes')) ?? []).filter((n) => n.Status.State === 'ready').length === 5, 30_000, 'five ready', () => this.lab.logs());
  }

  /** The current leader's process (the API endpoint, as refswarm keeps the leader). */
  async leader(): Promise<SwarmdProcess> {
    for (const name of ['node1', 'node2', 'node3']) {
      const n = this.nodes.get(name)!;
      const nodes = await get<ApiNode[]>(n, '/nodes', 2_000);
      const l = nodes?.find((x) => x.ManagerStatus?.Leader);
      if (l) return this.nodes.get(l.Description!.Hostname)!;
    }
    throw new Error('no leader');
  }

  async docker(via: SwarmdProcess, ...args: string[]): Promise<void> {
    const r = await via.docker(...args);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  }

  async removeService(via: SwarmdProcess, name: string): Promise<void> {
    await via.docker('service', 'rm', name);
    await poll(async () => ((await get<unknown[]>(via, `/tasks?filters=${filters({ service: [name] })}`)) ?? [1]).length === 0, 60_000);
  }

  async restart(name: string): Promise<void> {
    const n = await this.lab.restart(this.nodes.get(name)!);
    this.nodes.set(name, n);
  }

  async stop(): Promise<void> {
    await this.lab.cleanup();
  }
}

type Results = Map<Key, number[]>;
const record = (r: Results, k: Key, v: number | undefined) => {
  if (v === undefined) return;
  r.set(k, [...(r.get(k) ?? []), v]);
};

async function measure(profile: 'lab' | 'swarm', reps: number, tests: string[]): Promise<{ results: Results; memory: Record<string, number> }> {
  const results: Results = new Map();
  const memory: Record<string, number> = {};
  const c = new Cluster();
  try {
    await c.start(profile);
    let L = await c.leader();
    memory.idle = Math.max(...[...c.nodes.values()].map((n) => rssKiB(n.pid)));

    if (tests.includes('a')) {
      for (const R of [10, 50, 100]) {
        for (let rep = 0; rep < reps; rep++) {
          const name = `a${R}`;
          const t0 = performance.now();
          await c.docker(L, 'service', 'create', '-d', '-q', '--no-resolve-image', '--name', name, '--replicas', String(R), IMG1, 'sleep', '100000');
          const ok = await poll(async () => (await runningTasks(L, name)).length >= R, 120_000);
          record(results, key('a', `R=${R}`, 'all_running'), ok ? seconds(t0) : undefined);
          if (R === 100 && rep === 0) memory.with100 = Math.max(...[...c.nodes.values()].map(nodeRssKiB));
          await c.removeService(L, name);
        }
      }
    }

    if (tests.includes('b')) {
      await c.docker(L, 'service', 'create', '-d', '-q', '--no-resolve-image', '--name', 'wf', '--replicas', '20', IMG1, 'sleep', '100000');
      await poll(async () => (await runningTasks(L, 'wf')).length >= 20, 60_000);
      for (let rep = 0; rep < reps; rep++) {
        const victim = c.nodes.get('node5')!;
        const nodes = (await get<ApiNode[]>(L, '/nodes')) ?? [];
        const victimId = nodes.find((n) => n.Description?.Hostname === 'node5')!.ID;
        await poll(async () => (await runningTasks(L, 'wf')).filter((t) => t.NodeID === victimId).length > 0, 30_000);
        const t0 = performance.now();
        await victim.kill();
        let down: number | undefined;
        let moved: number | undefined;
        await poll(async () => {
          if (down === undefined && (await get<ApiNode>(L, `/nodes/${victimId}`))?.Status.State === 'down') down = seconds(t0);
          if (moved === undefined) {
            const r = await runningTasks(L, 'wf');
            if (r.filter((t) => t.NodeID !== victimId).length >= 20) moved = seconds(t0);
          }
          return down !== undefined && moved !== undefined;
        }, 120_000);
        record(results, key('b', 'kill9 R=20', 'node_reported_down'), down);
        record(results, key('b', 'kill9 R=20', 'all_tasks_running_elsewhere'), moved);
        await c.restart('node5');
        await poll(async () => (await get<ApiNode>(L, `/nodes/${victimId}`))?.Status.State === 'ready', 60_000);
        // Rebalance as refswarm does: a fresh service, so the victim holds tasks again.
        await c.removeService(L, 'wf');
        await c.docker(L, 'service', 'create', '-d', '-q', '--no-resolve-image', '--name', 'wf', '--replicas', '20', IMG1, 'sleep', '100000');
        await poll(async () => (await runningTasks(L, 'wf')).length >= 20, 60_000);
      }
      await c.removeService(L, 'wf');
    }

    if (tests.includes('c')) {
      for (let rep = 0; rep < reps; rep++) {
        L = await c.leader();
        const oldName = L.name;
        const oldId = ((await get<ApiNode[]>(L, '/nodes')) ?? []).find((n) => n.Description?.Hostname === oldName)!.ID;
        const survivors = ['node1', 'node2', 'node3'].filter((n) => n !== oldName).map((n) => c.nodes.get(n)!);
        const t0 = performance.now();
        await L.kill();
        let leaderAt: number | undefined;
        let downAt: number | undefined;
        await poll(async () => {
          for (const s of survivors) {
            const nodes = await get<ApiNode[]>(s, '/nodes', 30_000);
            if (!nodes) continue;
            if (leaderAt === undefined && nodes.some((n) => n.ManagerStatus?.Leader && n.ID !== oldId)) leaderAt = seconds(t0);
            if (downAt === undefined && nodes.find((n) => n.ID === oldId)?.Status.State === 'down') downAt = seconds(t0);
            break;
          }
          return leaderAt !== undefined && downAt !== undefined;
        }, 120_000);
        record(results, key('c', '3 managers', 'new_leader_and_node_ls_ok'), leaderAt);
        record(results, key('c', '3 managers', 'old_leader_shown_down'), downAt);
        await c.restart(oldName);
        const now = await c.leader();
        await poll(async () => (await get<ApiNode>(now, `/nodes/${oldId}`))?.Status.State === 'ready', 60_000);
      }
      L = await c.leader();
    }

    if (tests.includes('d')) {
      for (const variant of ['default-stop', 'stop-signal=KILL']) {
        for (let rep = 0; rep < reps; rep++) {
          const extra = variant === 'default-stop' ? [] : ['--stop-signal', 'SIGKILL'];
          await c.docker(L, 'service', 'create', '-d', '-q', '--no-resolve-image', '--name', 'ru', '--replicas', '10', ...extra, IMG1, 'sleep', '100000');
          await poll(async () => (await runningTasks(L, 'ru')).length >= 10, 60_000);
          const t0 = performance.now();
          await c.docker(L, 'service', 'update', '-d', '-q', '--no-resolve-image', '--image', IMG2, '--update-parallelism', '2', '--update-delay', '0s', 'ru');
          let conv: number | undefined;
          let done: number | undefined;
          await poll(async () => {
            if (conv === undefined && (await runningTasks(L, 'ru')).filter((t) => t.Spec.ContainerSpec.Image === IMG2).length >= 10) conv = seconds(t0);
            if (done === undefined && (await get<{ UpdateStatus?: { State: string } }>(L, '/services/ru'))?.UpdateStatus?.State === 'completed') done = seconds(t0);
            return conv !== undefined && done !== undefined;
          }, 240_000);
          record(results, key('d', variant, 'all_10_running_new_image'), conv);
          record(results, key('d', variant, 'update_status_completed'), done);
          await c.removeService(L, 'ru');
        }
      }
    }

    if (tests.includes('e')) {
      for (let rep = 0; rep < reps; rep++) {
        await c.docker(L, 'service', 'create', '-d', '-q', '--no-resolve-image', '--name', 'sc', '--replicas', '10', IMG1, 'sleep', '100000');
        await poll(async () => (await runningTasks(L, 'sc')).length >= 10, 60_000);
        const t0 = performance.now();
        await c.docker(L, 'service', 'scale', '-d', 'sc=50');
        const ok = await poll(async () => (await runningTasks(L, 'sc')).length >= 50, 120_000);
        record(results, key('e', '10->50', 'all_50_running'), ok ? seconds(t0) : undefined);
        await c.removeService(L, 'sc');
      }
    }
  } finally {
    await c.stop();
  }
  return { results, memory };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length;
  return m === 0 ? NaN : m % 2 ? s[(m - 1) / 2]! : (s[m / 2 - 1]! + s[m / 2]!) / 2;
};

/** Runs the reference harness (a real Docker Swarm) and reads its medians, if Docker's engine is here. */
function dockerReference(reps: number, tests: string[]): Record<Key, number> | undefined {
  const dir = join(process.cwd(), '..', 'shared', 'refswarm');
  if (!existsSync(join(dir, 'run_all.sh'))) return undefined;
  const rs = process.env.RS ?? join(process.env.TMPDIR ?? '/tmp', 'refswarm');
  console.log(`running the real Docker Swarm reference (${dir}/run_all.sh 5, REPS=${reps}) ...`);
  try {
    execFileSync('bash', [join(dir, 'setup.sh')], { stdio: 'inherit' });
    execFileSync('bash', [join(dir, 'run_all.sh'), '5'], { stdio: 'inherit', env: { ...process.env, RS: rs, REPS: String(reps), TESTS: tests.join(' '), B_MODES: 'kill9' } });
  } catch (err) {
    console.log(`the Docker reference run failed: ${(err as Error).message}`);
    return undefined;
  }
  const raw = readFileSync(join(rs, 'results', 'latest', 'raw.csv'), 'utf8').trim().split('\n').slice(1);
  const acc: Results = new Map();
  for (const line of raw) {
    const [test, variant, , metric, s] = line.split(',');
    if (s && s !== 'timeout' && s !== 'NA') record(acc, key(test!, variant!, metric!), Number(s));
  }
  return Object.fromEntries([...acc].map(([k, v]) => [k, median(v)]));
}

export async function benchCluster(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const reps = Number(arg('reps') ?? 3);
  const tests = (arg('tests') ?? 'a b c d e').split(/[ ,]+/);
  const hasDockerd = spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).stdout.trim() !== '';
  await bundle(['swarmd']);

  const lab = await measure('lab', reps, tests);
  printResults('lab profile (so far)', lab.results, new Map(), DOCKER_README);
  const swarm = await measure('swarm', reps, tests.filter((t) => t === 'b' || t === 'c')).catch((err: Error) => {
    console.log(`the swarm-profile run failed: ${err.message}`);
    return { results: new Map() as Results, memory: {} };
  });
  const measured = process.argv.includes('--docker') || hasDockerd ? dockerReference(reps, tests) : undefined;
  const ref = measured ?? DOCKER_README;
  const refWhat = measured ? 'Docker Swarm measured in this run' : 'Docker Swarm 20.10 reference figures from ../shared/refswarm/README.md (no Docker engine here: install docker.io and pass --docker to measure it in the same run)';

  printResults(`Docker: ${refWhat}`, lab.results, swarm.results, ref);
  printTable('memory (RSS of the largest swarmd node, task processes included; catalog tasks run inside swarmd)', [
    { state: 'idle', 'MiB': ((lab.memory.idle ?? 0) / 1024).toFixed(1), goal: '≤ 60 MB', docker: '80–93 MiB dockerd + ~40 MiB containerd' },
    { state: '100 tasks in the cluster', 'MiB': ((lab.memory.with100 ?? 0) / 1024).toFixed(1), goal: '', docker: '95–122 MiB dockerd + containerd + shims' },
  ]);
}

function printResults(what: string, labResults: Results, swarmResults: Results, ref: Record<Key, number>): void {
  const rows = [...new Set([...labResults.keys(), ...swarmResults.keys()])].flatMap((k) => {
    const [test, variant, metric] = k.split('|') as [string, string, string];
    const out = [];
    for (const [profile, r] of [['lab', labResults], ['swarm', swarmResults]] as const) {
      const v = r.get(k);
      if (!v) continue;
      const m = median(v);
      const d = ref[k];
      out.push({
        test,
        variant,
        metric,
        profile,
        n: String(v.length),
        'median s': m.toFixed(2),
        'min s': Math.min(...v).toFixed(2),
        'max s': Math.max(...v).toFixed(2),
        'docker s': d === undefined ? '-' : d.toFixed(2),
        'ratio (ours/docker)': d === undefined ? '-' : (m / d).toFixed(2),
      });
    }
    return out;
  });
  printTable(`swarmd cluster (3 managers + 2 workers, real processes on loopback, polled every ${POLL_MS} ms); ${what}`, rows);
}
