// npm run bench -- failover
// The `lab` timing profile's promises, measured on the simulated cluster (virtual time, so the
// figures are the protocol's, not this machine's): how long after a leader is killed a new one
// runs its components, and how long after a worker is killed its tasks run elsewhere.

import { msToNs } from '../../core/api/defaults.ts';
import { meantToRun } from '../../core/api/task-state.ts';
import { createService } from '../../core/manager/control/services.ts';
import { SimCluster, type SimManager } from '../sim/cluster.ts';
import { percentile, printTable } from './report.ts';

const leader = (c: SimCluster): SimManager | undefined => c.alive().find((m) => m.node.isLeader() && m.manager?.leading);

async function until(c: SimCluster, ms: number, pred: () => boolean): Promise<boolean> {
  return c.runUntil(c.clock.now() + ms, pred);
}

async function measure(seed: number): Promise<{ leaderMs: number; workerMs: number } | undefined> {
  const c = new SimCluster({ seed, managers: 3, orchestration: true });
  await c.start();
  for (let i = 0; i < 3; i++) c.addWorker();
  if (!(await until(c, 10_000, () => !!leader(c)))) return undefined;
  let l = leader(c)!;
  const readyNodes = () => l.store.view((tx) => tx.find('nodes', (n) => n.Status.State === 'ready').length);
  if (!(await until(c, 10_000, () => readyNodes() === 6))) return undefined;
  let ok = false;
  void l.store
    .update((tx) => tx.create('clusters', { ID: 'cluster', Spec: { Name: 'default', Orchestration: { DefaultRestartDelay: msToNs(500) } } }))
    .then(() => createService({ store: l.store, random: c.random }, {
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
      Mode: { Replicated: { Replicas: 6 } },
    }))
    .then(() => (ok = true));
  const running = (m: SimManager) => m.store.view((tx) => tx.find('tasks', (t) => meantToRun(t) && t.Status.State === 'running'));
  if (!(await until(c, 10_000, () => ok && running(l).length === 6))) return undefined;

  // A worker dies: until its tasks run elsewhere.
  const victim = running(l).find((t) => t.NodeID?.startsWith('w'))?.NodeID;
  if (!victim) return undefined;
  const t0 = c.clock.now();
  c.crashWorker(victim);
  if (!(await until(c, 20_000, () => running(l).length === 6 && running(l).every((t) => t.NodeID !== victim)))) return undefined;
  const workerMs = c.clock.now() - t0;

  // The leader dies: until another manager leads and runs its components.
  const old = l.id;
  const t1 = c.clock.now();
  c.crash(old);
  if (!(await until(c, 20_000, () => !!leader(c) && leader(c)!.id !== old))) return undefined;
  const leaderMs = c.clock.now() - t1;
  l = leader(c)!;
  c.stopAll();
  return { leaderMs, workerMs };
}

export async function benchFailover(): Promise<void> {
  const leaderMs: number[] = [];
  const workerMs: number[] = [];
  let failed = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const r = await measure(seed);
    if (!r) {
      failed++;
      continue;
    }
    leaderMs.push(r.leaderMs);
    workerMs.push(r.workerMs);
  }
  const row = (what: string, v: number[], goal: string) => ({
    measure: what,
    runs: String(v.length),
    'p50 ms': String(percentile(v, 50)),
    'p99 ms': String(percentile(v, 99)),
    'max ms': String(Math.max(...v)),
    goal,
  });
  printTable('lab profile failover on the simulated cluster (3 managers + 3 workers, virtual time, 100 seeds)', [
    row('leader killed -> new leader running its components', leaderMs, '≈ 2 s'),
    row("worker killed -> its tasks running elsewhere", workerMs, '≤ 3 s'),
  ]);
  if (failed > 0) console.log(`${failed} runs did not complete`);
}
