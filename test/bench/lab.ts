// npm run bench -- lab [--reps N] [--large-reps N]   (--large-reps 0: the default lab only)
// `swarmlab up` of the default lab (3 managers + 2 workers) and of the 20-machine one, in a
// temporary SWARMLAB_HOME: the time until every node is ready and a leader is elected, with the
// moments its phases ended (they overlap: a machine joins as soon as it is up) — all machines
// created, swarm initialized, all joined and labelled, all ready — then the services' deploy and
// convergence, and `down`; over a few repetitions (median, min, max). Then the memory
// of an idle lab: the RSS of every machine's process tree, from /proc. Everything made is removed,
// whatever happens.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from '../../main/bundle.ts';
import { downLab } from '../../main/lab/down.ts';
import { loadLab } from '../../main/lab/templates.ts';
import { upLab, type LabSummary, type UpPhase } from '../../main/lab/up.ts';
import { killTree, machineProcess } from '../../vm/local/machine-process.ts';
import { descendants, listProcesses } from '../../vm/local/processes.ts';
import { Machines } from '../../vm/machines.ts';
import { MachineStore } from '../../vm/store.ts';
import { printTable, type Row } from './report.ts';

const PHASES: [UpPhase, string][] = [
  ['init', 'swarm initialized on the first manager'],
  ['create', 'every machine created (booted, API up)'],
  ['join', 'every machine joined and labelled'],
  ['ready', 'every node ready, leader elected'],
  ['deploy', 'services created'],
  ['converge', 'services running'],
];
const FIRST_SLOT = 100;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number) => (ms / 1000).toFixed(2);

async function rssKiB(pid: number): Promise<number> {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone meanwhile, or not Linux
  }
}

/** Each machine's process tree (its swarmd and every task process below it), in KiB. */
async function labRss(machines: Machines, names: string[]): Promise<Map<string, { kib: number; processes: number }>> {
  const table = await listProcesses();
  const out = new Map<string, { kib: number; processes: number }>();
  for (const name of names) {
    const p = await machineProcess(machines.store.paths(name));
    if (!p) continue;
    const pids = [p.pid, ...descendants(p.pid, table).map((d) => d.pid)];
    const kib = (await Promise.all(pids.map(rssKiB))).reduce((a, b) => a + b, 0);
    out.set(name, { kib, processes: pids.length });
  }
  return out;
}

/** CPU seconds the machines' processes have used so far (their own, and their reaped children's). */
async function labCpu(machines: Machines, names: string[]): Promise<number> {
  const ticks = 100; // USER_HZ, 100 on every Linux this runs on
  let total = 0;
  for (const name of names) {
    const p = await machineProcess(machines.store.paths(name));
    if (!p) continue;
    try {
      const stat = await readFile(`/proc/${p.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
    } catch {
      /* gone */
    }
  }
  return total;
}

interface Run {
  summary: LabSummary;
  total: number;
  down: number;
  /** CPU seconds of the machines' processes, and of this process (the up logic), during up. */
  cpu: number;
}

async function runOnce(machines: Machines, template: string, memory?: (names: string[]) => Promise<void>): Promise<Run> {
  const lab = await loadLab(template);
  const t0 = performance.now();
  const own = process.cpuUsage();
  const summary = await upLab({ machines, lab });
  const total = performance.now() - t0;
  const ownCpu = process.cpuUsage(own);
  const cpu = (await labCpu(machines, summary.machines.map((m) => m.name))) + (ownCpu.user + ownCpu.system) / 1e6;
  if (summary.unconverged.length > 0) console.log(`  ${template}: ${summary.unconverged.join('; ')}`);
  let down = 0;
  try {
    await memory?.(summary.machines.map((m) => m.name));
  } finally {
    const d0 = performance.now();
    await downLab({ machines, name: summary.name });
    down = performance.now() - d0;
  }
  return { summary, total, down, cpu };
}

function phaseRows(runs: Run[]): Row[] {
  const five = runs[0]!.summary.machines.length === 5;
  const row = (what: string, v: number[], goal = ''): Row => ({ 'since the start of up': what, 'median s': sec(median(v)), 'min s': sec(Math.min(...v)), 'max s': sec(Math.max(...v)), goal });
  return [
    ...PHASES.filter(([p]) => runs.every((r) => r.summary.timings[p] !== undefined)).map(([p, what]) => row(what, runs.map((r) => r.summary.timings[p]!), p === 'ready' && five ? '< 5 s' : '')),
    row('up returned', runs.map((r) => r.total)),
    row(`CPU used by up (machines + up itself), / ${availableParallelism()} cores`, runs.map((r) => (r.cpu * 1000) / availableParallelism()), 'idle-machine floor'),
    row('down (its own time)', runs.map((r) => r.down)),
  ];
}

function memoryRows(rss: Map<string, { kib: number; processes: number }>, perMachine: boolean): Row[] {
  const all = [...rss.entries()];
  const total = all.reduce((a, [, r]) => a + r.kib, 0);
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const kibs = all.map(([, r]) => r.kib);
  const rows: Row[] = perMachine
    ? all.map(([name, r]) => ({ machine: name, processes: String(r.processes), 'RSS MiB': mib(r.kib) }))
    : [
        { machine: 'per machine, min', processes: '', 'RSS MiB': mib(Math.min(...kibs)) },
        { machine: 'per machine, median', processes: '', 'RSS MiB': mib(median(kibs)) },
        { machine: 'per machine, max', processes: '', 'RSS MiB': mib(Math.max(...kibs)) },
      ];
  rows.push({ machine: `total (${all.length} machines)`, processes: String(all.reduce((a, [, r]) => a + r.processes, 0)), 'RSS MiB': mib(total) });
  return rows;
}

async function benchTemplate(machines: Machines, template: string, reps: number, perMachine: boolean): Promise<void> {
  const runs: Run[] = [];
  let rss = new Map<string, { kib: number; processes: number }>();
  for (let i = 0; i < reps; i++) {
    runs.push(
      await runOnce(machines, template, async (names) => {
        if (i === 0) rss = await labRss(machines, names);
      }),
    );
    const r = runs[runs.length - 1]!;
    console.log(`  ${template} #${i + 1}: ${PHASES.map(([p]) => `${p} ${sec(r.summary.timings[p] ?? NaN)}`).join(', ')}; down ${sec(r.down)} s; CPU ${r.cpu.toFixed(2)} s; load ${loadavg()[0]!.toFixed(1)}`);
  }
  const n = runs[0]!.summary.machines;
  const managers = n.filter((m) => m.role === 'manager').length;
  printTable(`swarmlab up ${template} (${managers} managers + ${n.length - managers} workers, local driver), ${reps} runs; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`, phaseRows(runs));
  printTable(`memory of the ${template} lab, idle with its services (RSS of each machine's process tree, /proc)`, memoryRows(rss, perMachine));
}

export async function benchLab(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const reps = Number(arg('reps') ?? 5);
  const largeReps = Number(arg('large-reps') ?? 2);
  await bundle();
  const home = await mkdtemp(join(tmpdir(), 'swarmlab-bench-'));
  const machines = new Machines(new MachineStore({ home, firstSlot: FIRST_SLOT }));
  try {
    await benchTemplate(machines, 'default', reps, true);
    if (largeReps > 0) await benchTemplate(machines, 'large', largeReps, false);
  } finally {
    // Whatever a failed run left: every machine's process tree, then the home.
    for (const name of await machines.store.names()) {
      const p = await machineProcess(machines.store.paths(name));
      if (p) await killTree(p);
    }
    await rm(home, { recursive: true, force: true });
  }
}
