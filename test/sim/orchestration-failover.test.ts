// The whole cluster on the simulator: managers (Raft, store, leader components, dispatcher) and
// agents on every node. The components follow the leader, and a new leader carries on where the
// old one stopped — no task created twice, no slot lost.
import { describe, expect, it } from 'vitest';
import { meantToRun } from '../../core/api/task-state.ts';
import { createService, updateService } from '../../core/manager/control/services.ts';
import { SimCluster, type SimManager } from './cluster.ts';

async function leaderWithComponents(c: SimCluster, deadline: number): Promise<SimManager> {
  const ok = await c.runUntil(deadline, () => c.alive().some((m) => m.node.isLeader() && m.manager?.leading));
  if (!ok) throw new Error(`no leader running its components by ${deadline} ms (seed ${c.opts.seed})`);
  return c.alive().find((m) => m.node.isLeader())!;
}

function runningSlots(m: SimManager, serviceId: string): number[] {
  return m.store
    .view((tx) => tx.find('tasks', (t) => t.ServiceID === serviceId && meantToRun(t) && t.Status.State === 'running'))
    .map((t) => t.Slot!)
    .sort((a, b) => a - b);
}

describe('orchestration on a Raft cluster (simulated)', () => {
  for (const seed of [1, 2, 3]) {
    it(`tasks run on the agents; a new leader continues without duplicates (seed ${seed})`, async () => {
      const c = new SimCluster({ seed, managers: 3, orchestration: true });
      await c.start();
      for (let i = 0; i < 3; i++) c.addWorker();
      let leader = await leaderWithComponents(c, 10_000);
      expect(c.alive().filter((m) => m.manager?.leading)).toHaveLength(1);
      expect(await c.runUntil(c.clock.now() + 5_000, () => leader.store.view((tx) => tx.find('nodes', (n) => n.Status.State === 'ready').length === 6))).toBe(true);

      let svc = '';
      void createService({ store: leader.store, random: c.random }, {
        Name: 'web',
        TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
        Mode: { Replicated: { Replicas: 6 } },
      }).then((s) => (svc = s.ID));
      expect(await c.runUntil(c.clock.now() + 5_000, () => svc !== '' && runningSlots(leader, svc).length === 6)).toBe(true);
      expect(runningSlots(leader, svc)).toEqual([1, 2, 3, 4, 5, 6]);

      const old = leader.id;
      c.crash(leader.id);
      leader = await leaderWithComponents(c, c.clock.now() + 10_000);
      const current = leader.store.view((tx) => tx.get('services', svc))!;
      let scaled = false;
      void updateService({ store: leader.store, random: c.random }, 'web', current.Version.Index, {
        ...current.Spec,
        Mode: { Replicated: { Replicas: 9 } },
      }).then(() => (scaled = true));
      // The old leader's node goes down and its task moves; the service reaches 9 running.
      const done = () => {
        const tasks = leader.store.view((tx) => tx.find('tasks', (t) => t.ServiceID === svc && meantToRun(t) && t.Status.State === 'running'));
        return scaled && tasks.length === 9 && tasks.every((t) => t.NodeID !== old);
      };
      expect(await c.runUntil(c.clock.now() + 15_000, done)).toBe(true);
      expect(runningSlots(leader, svc)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // What really runs on the nodes matches: each slot once.
      const actual = [...c.agents.values()].flatMap((a) => a.executor.running());
      expect(actual).toHaveLength(9);
      c.stopAll();
    });
  }
});
