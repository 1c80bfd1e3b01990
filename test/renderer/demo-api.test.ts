// The demo feed stands in for the controller in the demo mode, the screenshots and the benchmark:
// it has to behave like a swarm where the UI shows it (leaders, rescheduling, updates, quorum).

import { describe, expect, it } from 'vitest';
import { DemoLabApi } from '../../renderer/demo/demo-api.ts';
import { LabStore } from '../../renderer/store/lab-store.ts';
import { dotsOf, runningPerNode } from '../../renderer/store/tasks.ts';
import { ManualClock } from './manual-clock.ts';

async function workshop() {
  const clock = new ManualClock();
  const api = new DemoLabApi({ seed: 7, clock });
  const store = new LabStore();
  api.subscribe((e) => store.apply(e));
  await Promise.resolve();
  clock.advance(2000);
  return { clock, api, store };
}

const running = (s: LabStore) => [...runningPerNode(dotsOf(s.tasks.values())).values()].reduce((a, b) => a + b, 0);
const byName = (s: LabStore, name: string) => [...s.services.values()].find((x) => x.name === name)!;

describe('the demo cluster, seen through the store', () => {
  it('starts with 5 nodes, one leader, its services running and the unschedulable one pending', async () => {
    const { store } = await workshop();
    expect(store.nodes.size).toBe(5);
    expect([...store.nodes.values()].filter((n) => n.leader).map((n) => n.id)).toEqual([store.leaderId]);
    expect(store.quorum).toEqual({ managers: 3, reachable: 3, quorum: 2, canLose: 1 });
    expect(byName(store, 'web').running).toBe(6);
    expect(byName(store, 'monitor').running).toBe(5);
    const pending = [...store.tasks.values()].filter((t) => t.state === 'pending');
    expect(pending.map((t) => t.pendingReason)).toEqual(['no suitable node (scheduling constraints not satisfied on 5 nodes)']);
  });

  it('elects another leader when the leader is killed, and the tasks keep running', async () => {
    const { clock, api, store } = await workshop();
    const leader = store.nodes.get(store.leaderId!)!;
    await api.machineAction({ machine: leader.machine!, action: 'kill' });
    clock.advance(5000);
    expect(store.leaderId).toBeDefined();
    expect(store.leaderId).not.toBe(leader.id);
    expect(store.nodes.get(leader.id)!.state).toBe('down');
    expect(store.quorum.canLose).toBe(0);
    expect(byName(store, 'web').running).toBe(6);
  });

  it('moves a killed worker\'s tasks to other nodes, keeping their slots', async () => {
    const { clock, api, store } = await workshop();
    const worker = [...store.nodes.values()].find((n) => n.hostname === 'worker1')!;
    const slotsBefore = [...dotsOf(store.tasks.values()).values()].filter((d) => d.nodeId === worker.id).map((d) => d.key);
    expect(slotsBefore.length).toBeGreaterThan(0);
    await api.machineAction({ machine: 'worker1', action: 'kill' });
    clock.advance(5000);
    const dots = dotsOf(store.tasks.values());
    for (const key of slotsBefore.filter((k) => !k.includes('@'))) expect(dots.get(key)!.nodeId).not.toBe(worker.id);
    expect(byName(store, 'web').running).toBe(6);
  });

  it('runs a rolling update to completion, and pauses one whose new image fails', async () => {
    const { clock, api, store } = await workshop();
    const web = byName(store, 'web');
    await api.updateService({ serviceId: web.id, image: 'swarmlab/web:green' });
    clock.advance(200);
    expect(byName(store, 'web').update?.state).toBe('updating');
    clock.advance(30_000);
    expect(byName(store, 'web').update).toMatchObject({ state: 'completed', updated: 6, total: 6 });
    expect(running(store)).toBeGreaterThan(0);

    await api.updateService({ serviceId: web.id, image: 'swarmlab/web:red' });
    clock.advance(10_000);
    expect(byName(store, 'web').update?.state).toBe('paused');
    await api.rollbackService({ serviceId: web.id });
    clock.advance(30_000);
    expect(byName(store, 'web').update?.state).toBe('rollback_completed');
    expect(byName(store, 'web').image).toBe('swarmlab/web:green');
  });

  it('warns before a demote that would lose quorum', async () => {
    const { clock, api, store } = await workshop();
    const managers = [...store.nodes.values()].filter((n) => n.role === 'manager');
    const follower = managers.find((n) => !n.leader)!;
    expect(await api.checkNodeChange({ nodeId: follower.id, role: 'worker' })).toBeUndefined();
    await api.machineAction({ machine: follower.machine!, action: 'kill' });
    clock.advance(3000);
    const other = managers.find((n) => n.id !== follower.id)!;
    const warning = await api.checkNodeChange({ nodeId: other.id, role: 'worker' });
    expect(warning?.message).toMatch(/lose quorum/);
    expect(warning?.reason).toMatch(/2 managers would need 2 reachable/);
  });

  it('builds the benchmark\'s big cluster with every task running', () => {
    const api = new DemoLabApi({ seed: 1, clock: new ManualClock(), scenario: { kind: 'big', managers: 5, workers: 195, services: 25, tasks: 5000 } });
    expect(api.cluster.nodes.size).toBe(200);
    expect([...api.cluster.tasks.values()].filter((t) => t.state === 'running').length).toBe(5000);
  });
});
