// npm run bench -- sched
// The scheduler on one store with LocalProposer: no Raft, no network, no agents. Nodes are created
// first; then tasks arrive `pending` (as the allocator leaves them), one transaction per service,
// as an orchestrator creates them, while the scheduler runs on the real clock. Measures wall time
// until every task is assigned, tasks per second, the scheduling delay of each task (from the
// transaction that created it being applied to the one that assigned it), and peak memory. The
// store's own cost (JSON encoding of every transaction, decoding and freezing on apply, watchers)
// is part of the measurement, as it would be on a manager.
//
// Each case runs in a child process of its own, so its peak memory is its own.
//
// References: the classic Docker Swarm scale test (1,000 nodes, 30,000 containers: p99 scheduling
// delay about 400 ms) and the Swarm3k community test (about 3,000 nodes, 150,000 tasks).
// Goals: 30,000 tasks in < 10 s, 150,000 in < 60 s, < 2 GiB.

import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeObject, ServiceObject, TaskObject } from '../../core/api/objects.ts';
import { systemClock } from '../../core/clock.ts';
import { Scheduler } from '../../core/manager/scheduler/scheduler.ts';
import { seededRandom } from '../../core/random.ts';
import { LocalProposer, Store } from '../../core/store/store.ts';
import { percentile, printTable, type Row } from './report.ts';

interface Case {
  name: string;
  nodes: number;
  services: number;
  replicas: number;
  /** 'stream': tasks arrive while the scheduler runs; 'backlog': all are pending when it starts. */
  mode: 'stream' | 'backlog';
  /** Spread each service over this node label (placement preference), if set. */
  spread?: boolean;
}

const CASES: Case[] = [
  { name: 'classic scale test', nodes: 1_000, services: 100, replicas: 300, mode: 'stream' },
  { name: 'classic, backlog', nodes: 1_000, services: 100, replicas: 300, mode: 'backlog' },
  { name: 'classic, spread=zone', nodes: 1_000, services: 100, replicas: 300, mode: 'stream', spread: true },
  { name: 'Swarm3k', nodes: 3_000, services: 500, replicas: 300, mode: 'stream' },
  { name: 'Swarm3k, backlog', nodes: 3_000, services: 500, replicas: 300, mode: 'backlog' },
];

const GiB = 2 ** 30;
const NODE_BATCH = 500;

function node(i: number): Omit<NodeObject, 'Version' | 'CreatedAt' | 'UpdatedAt'> {
  const id = `node${String(i).padStart(5, '0')}`;
  return {
    ID: id,
    Spec: { Role: i < 3 ? 'manager' : 'worker', Availability: 'active', Labels: { zone: `zone${i % 3}` } },
    Description: {
      Hostname: id,
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources: { NanoCPUs: 16e9, MemoryBytes: 64 * GiB },
      Engine: { EngineVersion: '27.0.0' },
    },
    Status: { State: 'ready', Addr: `10.0.${i >> 8}.${i & 255}` },
  };
}

function service(i: number, c: Case): Omit<ServiceObject, 'Version' | 'CreatedAt' | 'UpdatedAt'> {
  return {
    ID: `svc${String(i).padStart(4, '0')}`,
    Spec: {
      Name: `svc${i}`,
      TaskTemplate: {
        ContainerSpec: { Image: 'swarmlab/whoami:1' },
        Resources: { Reservations: { NanoCPUs: 10_000_000, MemoryBytes: 32 * 2 ** 20 } },
        ...(c.spread ? { Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } } : {}),
      },
      Mode: { Replicated: { Replicas: c.replicas } },
    },
    SpecVersion: { Index: 1 },
  };
}

function tasksOf(s: ReturnType<typeof service>, replicas: number, now: string): Omit<TaskObject, 'Version' | 'CreatedAt' | 'UpdatedAt'>[] {
  return Array.from({ length: replicas }, (_, r) => {
    const id = `${s.ID}r${String(r + 1).padStart(5, '0')}`;
    return {
      ID: id,
      Name: `${s.Spec.Name}.${r + 1}.${id}`,
      ServiceID: s.ID,
      ServiceName: s.Spec.Name,
      Slot: r + 1,
      Spec: s.Spec.TaskTemplate,
      SpecVersion: { Index: 1 },
      Status: { State: 'pending', Timestamp: now, Message: 'pending task scheduling' },
      DesiredState: 'running',
    };
  });
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Result {
  seconds: number;
  tasksPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  passes: number;
  transactions: number;
  minPerNode: number;
  maxPerNode: number;
  peakRssMiB: number;
  peakHeapMiB: number;
}

async function runCase(c: Case): Promise<Result> {
  const total = c.services * c.replicas;
  const store = new Store({ clock: systemClock, random: seededRandom(1) });
  store.setProposer(new LocalProposer(store));
  const nodes = Array.from({ length: c.nodes }, (_, i) => node(i));
  for (let i = 0; i < nodes.length; i += NODE_BATCH) {
    await store.update((tx) => nodes.slice(i, i + NODE_BATCH).forEach((n) => tx.create('nodes', n)));
  }
  const services = Array.from({ length: c.services }, (_, i) => service(i, c));
  await store.update((tx) => services.forEach((s) => tx.create('services', s)));

  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 25);

  const created = new Map<string, number>();
  const delays: number[] = [];
  let allAssigned!: () => void;
  const finished = new Promise<void>((resolve) => (allAssigned = resolve));
  store.watch((e) => {
    const now = performance.now();
    for (const ch of e.changes) {
      if (ch.table !== 'tasks') continue;
      const t = ch.object as TaskObject;
      if (ch.type === 'create') created.set(t.ID, now);
      else if (ch.type === 'update' && t.Status.State === 'assigned' && (ch.old as TaskObject).Status.State === 'pending') {
        delays.push(now - created.get(t.ID)!);
        if (delays.length === total) allAssigned();
      }
    }
  });

  const scheduler = new Scheduler({ store, clock: systemClock, random: seededRandom(2) });
  const createAll = async () => {
    const ts = new Date().toISOString();
    for (const s of services) {
      const tasks = tasksOf(s, c.replicas, ts);
      await store.update((tx) => tasks.forEach((t) => tx.create('tasks', t)));
      await yieldToLoop();
    }
  };

  let start: number;
  if (c.mode === 'stream') {
    scheduler.start();
    start = performance.now();
    await createAll();
  } else {
    await createAll();
    start = performance.now();
    // The delay of a backlog is measured from the scheduler's start.
    for (const id of created.keys()) created.set(id, start);
    scheduler.start();
  }
  await finished;
  const seconds = (performance.now() - start) / 1000;
  sample();
  clearInterval(sampler);
  // The last transactions are applied; let the scheduler see their outcome before reading its stats.
  while (!scheduler.idle) await yieldToLoop();
  scheduler.stop();

  const perNode = new Map<string, number>();
  store.view((tx) => tx.find('tasks').forEach((t) => perNode.set(t.NodeID!, (perNode.get(t.NodeID!) ?? 0) + 1)));
  const counts = [...perNode.values()];
  return {
    seconds,
    tasksPerSecond: total / seconds,
    p50: percentile(delays, 50),
    p99: percentile(delays, 99),
    max: delays.reduce((a, b) => Math.max(a, b), 0),
    passes: scheduler.stats.passes,
    transactions: scheduler.stats.transactions,
    minPerNode: counts.length === c.nodes ? counts.reduce((a, b) => Math.min(a, b), Infinity) : 0,
    maxPerNode: counts.reduce((a, b) => Math.max(a, b), 0),
    peakRssMiB: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function row(c: Case, r: Result): Row {
  return {
    case: c.name,
    nodes: fmt(c.nodes),
    tasks: fmt(c.services * c.replicas),
    services: `${c.services}x${c.replicas}`,
    'all assigned': `${fmt(r.seconds, 2)} s`,
    'tasks/s': fmt(r.tasksPerSecond),
    'delay p50': `${fmt(r.p50)} ms`,
    'delay p99': `${fmt(r.p99)} ms`,
    'delay max': `${fmt(r.max)} ms`,
    passes: fmt(r.passes),
    txs: fmt(r.transactions),
    'tasks/node': `${r.minPerNode}-${r.maxPerNode}`,
    'peak RSS': `${fmt(r.peakRssMiB)} MiB`,
    'peak heap': `${fmt(r.peakHeapMiB)} MiB`,
  };
}

/** Runs one case in a child process (same loader flags), for memory figures of its own. */
function runInChild(index: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, SWARMLAB_SCHED_CASE: String(index) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`sched bench case ${index} failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line) as Result);
    });
  });
}

export async function benchSched(): Promise<void> {
  console.log(
    '\nscheduler: one store with LocalProposer (no Raft, no network, no agents), real clock; ' +
      'the store apply cost (JSON encode/decode, freeze, watch) is included. Each case in its own process.',
  );
  const rows: Row[] = [];
  for (const [i, c] of CASES.entries()) {
    const r = await runInChild(i);
    rows.push(row(c, r));
    console.log(`  ${c.name}: ${fmt(r.seconds, 2)} s`);
  }
  printTable('scheduler: pending -> assigned (goals: 30,000 tasks < 10 s, 150,000 < 60 s, < 2 GiB)', rows);
  console.log(
    [
      '  stream: one transaction of `replicas` pending tasks per service, back to back, while the scheduler runs;',
      '          "all assigned" runs from the first creation to the last assignment (creation included).',
      '  backlog: every task is pending before the scheduler starts; delays count from its start.',
      '  delay: from the transaction creating the task being applied to the one assigning it (wall clock).',
      '  reference: classic Docker Swarm scale test, 1,000 nodes / 30,000 tasks: p99 scheduling delay ~400 ms.',
    ].join('\n'),
  );
}

if (process.env.SWARMLAB_SCHED_CASE !== undefined && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const c = CASES[Number(process.env.SWARMLAB_SCHED_CASE)];
  if (!c) throw new Error(`no sched case ${process.env.SWARMLAB_SCHED_CASE}`);
  const r = await runCase(c);
  console.log(JSON.stringify(r));
  process.exit(0);
}
