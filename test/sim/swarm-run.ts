// One seeded simulation of the whole cluster: 3 managers and 3 workers, services created, scaled
// and updated while nodes crash, restart and get partitioned. Raft's invariants are checked after
// every event; once the faults stop, every service must converge — each replicated service runs
// exactly its replica count with each slot once, each global service one task per node — within
// CONVERGENCE_BOUND_MS, and what the executors really run must match.

import { meantToRun } from '../../core/api/task-state.ts';
import { msToNs } from '../../core/api/defaults.ts';
import { createService, updateService } from '../../core/manager/control/services.ts';
import { seededRandom } from '../../core/random.ts';
import { SimCluster, type SimManager } from './cluster.ts';

export const CONVERGENCE_BOUND_MS = 30_000;

export interface SwarmSeedResult {
  seed: number;
  ok: boolean;
  summary: string;
  error?: string;
  trace?: string;
}

export async function runSwarmSeed(seed: number, opts: { verbose?: boolean; faultMs?: number } = {}): Promise<SwarmSeedResult> {
  const faultMs = opts.faultMs ?? 20_000;
  const pick = seededRandom(seed ^ 0x5a5a);
  const cluster = new SimCluster({
    seed,
    managers: 3,
    orchestration: true,
    faults: { latencyMs: [1, 2 + pick.int(10)], dropRate: pick.next() * 0.02, duplicateRate: pick.next() * 0.02 },
    verbose: opts.verbose,
  });
  const { clock, random, trace } = cluster;
  const leader = (): SimManager | undefined => cluster.alive().find((m) => m.node.isLeader() && m.manager?.leading);
  /** Runs a control operation on whoever leads, retrying until it lands or the deadline passes. */
  const onLeader = async (what: string, op: (l: SimManager) => Promise<unknown>, deadline: number): Promise<boolean> => {
    while (clock.now() < deadline) {
      const l = leader();
      if (l) {
        try {
          await op(l);
          trace.log('client', `${what}: ok`);
          return true;
        } catch (err) {
          trace.log('client', `${what}: ${(err as Error).message}`);
        }
      }
      await clock.sleep(200);
    }
    return false;
  };
  const desired = new Map<string, number>();

  try {
    await cluster.start();
    for (let i = 0; i < 3; i++) cluster.addWorker();
    const setupDone = { v: false };
    void (async () => {
      await onLeader(
        'cluster defaults',
        (l) =>
          l.store.update((tx) => {
            if (tx.get('clusters', 'cluster')) return;
            tx.create('clusters', {
              ID: 'cluster',
              Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5, DefaultRestartDelay: msToNs(500) } },
            });
          }),
        clock.now() + 30_000,
      );
      for (const [name, spec] of [
        ['web', { Mode: { Replicated: { Replicas: 4 } } }],
        ['api', { Mode: { Replicated: { Replicas: 3 } }, UpdateConfig: { Parallelism: 2, Monitor: msToNs(500) } }],
        ['agent', { Mode: { Global: {} } }],
      ] as const) {
        await onLeader(
          `create ${name}`,
          (l) =>
            l.store.view((tx) => tx.byName('services', name))
              ? Promise.resolve()
              : createService({ store: l.store, random }, { Name: name, TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, RestartPolicy: { Delay: msToNs(200) } }, ...spec }),
          clock.now() + 30_000,
        );
        if ('Replicated' in spec.Mode) desired.set(name, spec.Mode.Replicated.Replicas);
      }
      setupDone.v = true;
    })();
    if (!(await cluster.runUntil(15_000, () => setupDone.v))) throw new Error('could not create the services within 15 s');

    // Faults, and changes to the services while they happen.
    const faultsEnd = clock.now() + faultMs;
    void (async () => {
      while (clock.now() < faultsEnd) {
        await clock.sleep(300 + random.int(1_500));
        if (clock.now() >= faultsEnd) return;
        const r = random.next();
        const downManagers = [...cluster.managers.values()].filter((m) => !m.alive);
        if (r < 0.15) {
          const alive = cluster.alive();
          if (downManagers.length === 0 && alive.length > 0) cluster.crash(alive[random.int(alive.length)]!.id);
        } else if (r < 0.3 && downManagers.length > 0) {
          await cluster.restart(downManagers[0]!.id);
        } else if (r < 0.45) {
          const w = [...cluster.workers.values()][random.int(cluster.workers.size)]!;
          if (w.alive) cluster.crashWorker(w.id);
          else cluster.restartWorker(w.id);
        } else if (r < 0.55) {
          const ids = [...cluster.managers.keys(), ...cluster.workers.keys()];
          const victim = ids[random.int(ids.length)]!;
          cluster.net.isolate(victim);
          trace.log('net', `isolate ${victim}`);
        } else if (r < 0.7) {
          cluster.net.heal();
          trace.log('net', 'heal');
        } else if (r < 0.85) {
          const name = random.next() < 0.5 ? 'web' : 'api';
          const replicas = 1 + random.int(6);
          void onLeader(`scale ${name}=${replicas}`, async (l) => {
            const s = l.store.view((tx) => tx.byName('services', name))!;
            if (!('Replicated' in s.Spec.Mode)) return;
            await updateService({ store: l.store, random }, s.ID, s.Version.Index, { ...s.Spec, Mode: { Replicated: { Replicas: replicas } } });
            desired.set(name, replicas);
          }, faultsEnd);
        } else {
          const image = `swarmlab/whoami:${1 + random.int(2)}`;
          void onLeader(`update api to ${image}`, async (l) => {
            const s = l.store.view((tx) => tx.byName('services', 'api'))!;
            await updateService({ store: l.store, random }, s.ID, s.Version.Index, {
              ...s.Spec,
              TaskTemplate: { ...s.Spec.TaskTemplate, ContainerSpec: { Image: image } },
            });
          }, faultsEnd);
        }
      }
    })();
    await cluster.runUntil(faultsEnd);

    // Faults stop: everything comes back and must converge within the bound.
    cluster.net.heal();
    for (const id of cluster.managers.keys()) await cluster.restart(id);
    for (const id of cluster.workers.keys()) cluster.restartWorker(id);
    trace.log('sim', 'faults stopped: healed, all nodes restarted');
    const start = clock.now();
    let problem = 'no leader';
    const converged = () => {
      const l = leader();
      if (!l) return (problem = 'no leader running its components'), false;
      return l.store.view((tx) => {
        const nodes = tx.find('nodes');
        const notReady = nodes.filter((n) => n.Status.State !== 'ready');
        if (nodes.length !== 6 || notReady.length > 0) return (problem = `nodes not all ready: ${notReady.map((n) => `${n.ID}:${n.Status.State}`).join(' ')}`), false;
        for (const s of tx.find('services')) {
          const running = tx.find('tasks', (t) => t.ServiceID === s.ID && meantToRun(t) && t.Status.State === 'running');
          const live = tx.find('tasks', (t) => t.ServiceID === s.ID && meantToRun(t));
          const name = s.Spec.Name!;
          if ('Replicated' in s.Spec.Mode) {
            // The store's spec is the truth: a scale whose outcome the client never learnt counts.
            const want = s.Spec.Mode.Replicated.Replicas ?? 1;
            // Slot numbers need not be 1..n after a scale-down; each must run exactly once.
            const slots = running.map((t) => t.Slot).sort((a, b) => a! - b!);
            if (live.length !== want || running.length !== want || new Set(slots).size !== want) {
              const detail = live.map((t) => `${t.Slot}:${t.Status.State}/${t.DesiredState}@${t.NodeID ?? '-'}`).join(' ');
              return (problem = `${name}: running slots [${slots.join()}], want ${want} distinct (meant to run: ${detail})`), false;
            }
          } else if (running.length !== nodes.length || new Set(running.map((t) => t.NodeID)).size !== nodes.length) {
            const detail = tx
              .find('tasks', (t) => t.ServiceID === s.ID && t.Status.State !== 'shutdown')
              .map((t) => `${t.NodeID}:${t.Status.State}/${t.DesiredState}`)
              .join(' ');
            return (problem = `${name}: ${running.length} running on ${new Set(running.map((t) => t.NodeID)).size} nodes, want one on each of ${nodes.length} (${detail})`), false;
          }
          if (s.UpdateStatus?.State === 'updating' || s.UpdateStatus?.State === 'rollback_started') {
            const detail = live.map((t) => `${t.Slot ?? t.NodeID}:${t.Status.State}/${t.DesiredState}:${t.Spec.ContainerSpec.Image}`).join(' ');
            return (problem = `${name}: update still ${s.UpdateStatus.State} to ${s.Spec.TaskTemplate.ContainerSpec.Image} (${detail})`), false;
          }
        }
        // What the executors run is what the store says runs: each task once, nothing else.
        const inStore = new Set(tx.find('tasks', (t) => meantToRun(t) && t.Status.State === 'running').map((t) => t.ID));
        const actual = [...cluster.agents.values()].flatMap((a) => a.executor.running());
        if (actual.length !== inStore.size || actual.some((id) => !inStore.has(id))) {
          return (problem = `executors run ${actual.length} tasks, the store says ${inStore.size}`), false;
        }
        return true;
      });
    };
    if (!(await cluster.runUntil(start + CONVERGENCE_BOUND_MS, converged))) {
      throw new Error(`not converged within ${CONVERGENCE_BOUND_MS} ms after the faults stopped: ${problem}`);
    }
    const took = clock.now() - start;
    cluster.stopAll();
    return { seed, ok: true, summary: `swarm seed ${seed}: converged ${took} ms after the faults stopped; ${clock.eventCount} events` };
  } catch (err) {
    cluster.stopAll();
    return {
      seed,
      ok: false,
      error: (err as Error).stack ?? String(err),
      trace: trace.dump(),
      summary: `swarm seed ${seed}: FAILED: ${(err as Error).message}`,
    };
  }
}
