// The leader components on a simulated Raft cluster: they start on the leader only, and a new
// leader takes over where the old one stopped — no task created twice, no slot lost.
import { describe, expect, it } from 'vitest';

import { meantToRun } from '../../core/api/task-state.ts';
import { createService, updateService } from '../../core/manager/control/services.ts';
import { SimCluster, type SimManager } from './cluster.ts';

async function leaderWithComponents(c: SimCluster, deadline: number): Promise<SimManager> {
  const ok = await c.runUntil(deadline, () => c.alive().some((m) => m.node.isLeader() && m.manager?.leading));
  if (!ok) throw new Error(`no leader running its components by ${deadline} ms (seed ${c.opts.seed})`);
  return c.alive().find((m) => m.node.isLeader())!;
}

function assignedSlots(m: SimManager, serviceId: string): number[] {
  return m.store
    .view((tx) => tx.find('tasks', (t) => t.ServiceID === serviceId && meantToRun(t) && t.Status.State === 'assigned'))
    .map((t) => t.Slot!)
    .sort((a, b) => a - b);
}

describe('orchestration on a Raft cluster (simulated)', () => {
  for (const seed of [1, 2, 3]) {
    it(`components follow the leader; a new leader continues without duplicates (seed ${seed})`, async () => {
      const c = new SimCluster({ seed, managers: 3, orchestration: true });
      await c.start();
      let leader = await leaderWithComponents(c, 10_000);
      expect(c.alive().filter((m) => m.manager?.leading)).toHaveLength(1);

      // Writes complete only while the virtual clock runs: start them, then run the clock.
      let nodesAdded = false;
      void leader.store.update((tx) => {
        for (const id of ['w1', 'w2', 'w3']) {
          tx.create('nodes', {
            ID: id,
            Spec: { Role: 'worker', Availability: 'active' },
            Role: 'worker',
            Description: { Hostname: id, Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 31 }, Engine: {} },
            Status: { State: 'ready' },
          });
        }
      }).then(() => (nodesAdded = true));
      expect(await c.runUntil(c.clock.now() + 5_000, () => nodesAdded)).toBe(true);
      let svc = '';
      void createService({ store: leader.store, random: c.random }, {
        Name: 'web',
        TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
        Mode: { Replicated: { Replicas: 6 } },
      }).then((s) => (svc = s.ID));
      expect(await c.runUntil(c.clock.now() + 5_000, () => svc !== '' && assignedSlots(leader, svc).length === 6)).toBe(true);
      expect(assignedSlots(leader, svc)).toEqual([1, 2, 3, 4, 5, 6]);

      c.crash(leader.id);
      leader = await leaderWithComponents(c, c.clock.now() + 10_000);
      const current = leader.store.view((tx) => tx.get('services', svc))!;
      let scaled = false;
      void updateService({ store: leader.store, random: c.random }, 'web', current.Version.Index, {
        ...current.Spec,
        Mode: { Replicated: { Replicas: 9 } },
      }).then(() => (scaled = true));
      expect(await c.runUntil(c.clock.now() + 5_000, () => scaled && assignedSlots(leader, svc).length === 9)).toBe(true);
      await c.runUntil(c.clock.now() + 2_000);
      expect(assignedSlots(leader, svc)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const perNode = new Map<string, number>();
      for (const t of leader.store.view((tx) => tx.find('tasks', (t) => t.ServiceID === svc && meantToRun(t)))) {
        perNode.set(t.NodeID!, (perNode.get(t.NodeID!) ?? 0) + 1);
      }
      expect([...perNode.values()]).toEqual([3, 3, 3]);
      c.stopAll();
    });
  }
});
