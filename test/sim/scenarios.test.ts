// SwarmKit's cluster-level scenarios, on the whole simulated cluster (3 managers + 3 workers,
// real Raft, dispatcher and agents): leader kill during a rolling update, quorum loss, drain,
// demoting the leader.
import { describe, expect, it } from 'vitest';
import { msToNs } from '../../core/api/defaults.ts';
import type { ServiceObject, ServiceSpec } from '../../core/api/objects.ts';
import { meantToRun } from '../../core/api/task-state.ts';
import { updateNode } from '../../core/manager/control/nodes.ts';
import { createService, updateService } from '../../core/manager/control/services.ts';
import { raftMembership } from '../../core/manager/membership.ts';
import { SimCluster, type SimManager } from './cluster.ts';

async function cluster(seed: number) {
  const c = new SimCluster({ seed, managers: 3, orchestration: true });
  await c.start();
  for (let i = 0; i < 3; i++) c.addWorker();
  const leader = await leaderOf(c, 10_000);
  const ready = () => leader.store.view((tx) => tx.find('nodes', (n) => n.Status.State === 'ready').length === 6);
  if (!(await c.runUntil(c.clock.now() + 5_000, ready))) throw new Error(`nodes not ready (seed ${seed})`);
  return c;
}

async function leaderOf(c: SimCluster, withinMs: number): Promise<SimManager> {
  const ok = await c.runUntil(c.clock.now() + withinMs, () => c.alive().some((m) => m.node.isLeader() && m.manager?.leading));
  if (!ok) throw new Error(`no leader running its components within ${withinMs} ms (seed ${c.opts.seed})`);
  return c.alive().find((m) => m.node.isLeader())!;
}

/** Runs an async operation on the virtual clock until it settles. */
async function settle<T>(c: SimCluster, p: Promise<T>, withinMs = 10_000): Promise<T> {
  let out: { v?: T; e?: unknown; done: boolean } = { done: false };
  p.then((v) => (out = { v, done: true })).catch((e) => (out = { e, done: true }));
  if (!(await c.runUntil(c.clock.now() + withinMs, () => out.done))) throw new Error('operation did not settle');
  if (out.e) throw out.e;
  return out.v as T;
}

const running = (m: SimManager, svc: string) =>
  m.store.view((tx) => tx.find('tasks', (t) => t.ServiceID === svc && meantToRun(t) && t.Status.State === 'running'));

/** Creates a 6-replica service on the leader and waits until all six run. */
async function sixRunning(c: SimCluster, leader: SimManager, spec: Partial<ServiceSpec> = {}): Promise<ServiceObject> {
  const s = await settle(c, createService({ store: leader.store, random: c.random }, {
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
    Mode: { Replicated: { Replicas: 6 } },
    ...spec,
  }));
  if (!(await c.runUntil(c.clock.now() + 10_000, () => running(leader, s.ID).length === 6))) {
    throw new Error(`service did not reach 6 running tasks (seed ${c.opts.seed})`);
  }
  return s;
}

describe('cluster scenarios (simulated)', () => {
  it('a leader killed during a rolling update: the update resumes on the new leader and completes', async () => {
    const c = await cluster(21);
    let leader = await leaderOf(c, 1_000);
    const s = await sixRunning(c, leader, {
      TaskTemplate: { ContainerSpec: { Image: 'swarmlab/web:blue' } },
      UpdateConfig: { Parallelism: 1, Delay: msToNs(500), Monitor: msToNs(200) },
    });
    const cur = leader.store.view((tx) => tx.get('services', s.ID))!;
    await settle(c, updateService({ store: leader.store, random: c.random }, s.ID, cur.Version.Index, {
      ...cur.Spec,
      TaskTemplate: { ContainerSpec: { Image: 'swarmlab/web:green' } },
    }));
    // Kill the leader once the update is under way but not done.
    const greens = () => running(leader, s.ID).filter((t) => t.Spec.ContainerSpec.Image === 'swarmlab/web:green').length;
    expect(await c.runUntil(c.clock.now() + 10_000, () => greens() >= 2)).toBe(true);
    expect(greens()).toBeLessThan(6);
    c.crash(leader.id);
    leader = await leaderOf(c, 10_000);
    const done = () => {
      const svc = leader.store.view((tx) => tx.get('services', s.ID))!;
      const r = running(leader, s.ID);
      return svc.UpdateStatus?.State === 'completed' && r.length === 6 && r.every((t) => t.Spec.ContainerSpec.Image === 'swarmlab/web:green');
    };
    expect(await c.runUntil(c.clock.now() + 30_000, done)).toBe(true);
    c.stopAll();
  });

  it('quorum loss: writes are refused with the reason, workers keep running their tasks, and all reconciles when quorum returns', async () => {
    const c = await cluster(22);
    const leader = await leaderOf(c, 1_000);
    const s = await sixRunning(c, leader);
    const onWorkers = () => ['w1', 'w2', 'w3'].flatMap((w) => c.agents.get(w)?.executor.running() ?? []);
    const before = onWorkers().sort();
    expect(before.length).toBeGreaterThan(0);

    const others = c.alive().filter((m) => m !== leader);
    for (const m of others) c.crash(m.id);
    await c.runUntil(c.clock.now() + 5_000, () => !leader.node.isLeader());
    const err = await settle(c, createService({ store: leader.store, random: c.random }, {
      Name: 'api',
      TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
    }).catch((e: Error) => e));
    expect((err as Error).message).toMatch(/the swarm does not have a leader/);
    // Workers keep what they run while the managers cannot decide anything.
    await c.runUntil(c.clock.now() + 10_000);
    expect(onWorkers().sort()).toEqual(before);

    for (const m of others) await c.restart(m.id);
    const l2 = await leaderOf(c, 15_000);
    expect(await c.runUntil(c.clock.now() + 20_000, () => running(l2, s.ID).length === 6 && l2.store.view((tx) => tx.find('nodes', (n) => n.Status.State === 'ready').length === 6))).toBe(true);
    c.stopAll();
  });

  it('draining a worker moves its tasks off it and stops them there', async () => {
    const c = await cluster(23);
    const leader = await leaderOf(c, 1_000);
    const s = await sixRunning(c, leader);
    const w1 = leader.store.view((tx) => tx.get('nodes', 'w1'))!;
    const control = { store: leader.store, membership: raftMembership(leader.node) };
    await settle(c, updateNode(control, 'w1', w1.Version.Index, { ...w1.Spec, Availability: 'drain' }));
    expect(await c.runUntil(c.clock.now() + 10_000, () => running(leader, s.ID).length === 6 && running(leader, s.ID).every((t) => t.NodeID !== 'w1'))).toBe(true);
    expect(c.agents.get('w1')!.executor.running()).toEqual([]);
    c.stopAll();
  });

  it('demoting the leader: leadership moves first, then it leaves Raft and becomes a worker', async () => {
    const c = await cluster(24);
    const leader = await leaderOf(c, 1_000);
    const me = leader.store.view((tx) => tx.get('nodes', leader.id))!;
    const control = { store: leader.store, membership: raftMembership(leader.node) };
    await settle(c, updateNode(control, leader.id, me.Version.Index, { ...me.Spec, Role: 'worker' }));
    const moved = () => c.alive().some((m) => m.node.isLeader() && m.id !== leader.id && m.manager?.leading);
    expect(await c.runUntil(c.clock.now() + 10_000, moved)).toBe(true);
    const l2 = c.alive().find((m) => m.node.isLeader())!;
    expect(l2.id).not.toBe(leader.id);
    expect(await c.runUntil(c.clock.now() + 10_000, () => l2.store.view((tx) => tx.get('nodes', leader.id)?.Role) === 'worker')).toBe(true);
    expect(l2.node.voters().sort()).toEqual(c.ids.filter((id) => id !== leader.id).sort());
    // Two managers left: demoting one more would leave one, which is allowed; the last is not.
    const other = l2.node.voters().find((v) => v !== l2.id)!;
    const n = l2.store.view((tx) => tx.get('nodes', other))!;
    const ctl2 = { store: l2.store, membership: raftMembership(l2.node) };
    await settle(c, updateNode(ctl2, other, n.Version.Index, { ...n.Spec, Role: 'worker' }));
    expect(await c.runUntil(c.clock.now() + 10_000, () => l2.node.voters().length === 1)).toBe(true);
    const self = l2.store.view((tx) => tx.get('nodes', l2.id))!;
    await expect(settle(c, updateNode(ctl2, l2.id, self.Version.Index, { ...self.Spec, Role: 'worker' }))).rejects.toThrow(
      'attempting to demote the last manager of the swarm',
    );
    c.stopAll();
  });

  it('demoting a manager that is down: it is removed from Raft (quorum still holds) and becomes a worker', async () => {
    const c = await cluster(25);
    const leader = await leaderOf(c, 1_000);
    const victim = c.alive().find((m) => m !== leader)!;
    c.crash(victim.id);
    expect(await c.runUntil(c.clock.now() + 10_000, () => leader.store.view((tx) => tx.get('nodes', victim.id)?.Status.State) === 'down')).toBe(true);
    const n = leader.store.view((tx) => tx.get('nodes', victim.id))!;
    await settle(c, updateNode({ store: leader.store, membership: raftMembership(leader.node) }, victim.id, n.Version.Index, { ...n.Spec, Role: 'worker' }));
    expect(await c.runUntil(c.clock.now() + 10_000, () => leader.store.view((tx) => tx.get('nodes', victim.id)?.Role) === 'worker')).toBe(true);
    expect(leader.node.voters()).not.toContain(victim.id);
    expect(leader.node.voters()).toHaveLength(2);
    c.stopAll();
  });

  it('promote then demote: a worker joins Raft as a manager, catches up, and leaves again', async () => {
    const c = await cluster(26);
    const leader = await leaderOf(c, 1_000);
    const control = () => ({ store: leader.store, membership: raftMembership(leader.node) });
    const w = leader.store.view((tx) => tx.get('nodes', 'w1'))!;
    await settle(c, updateNode(control(), 'w1', w.Version.Index, { ...w.Spec, Role: 'manager' }));
    expect(await c.runUntil(c.clock.now() + 5_000, () => leader.store.view((tx) => tx.get('nodes', 'w1')?.Role) === 'manager')).toBe(true);
    const joined = await c.joinAsManager('w1', leader);
    expect(await c.runUntil(c.clock.now() + 10_000, () => leader.node.voters().includes('w1') && joined.store.index >= leader.store.index)).toBe(true);
    expect(joined.store.view((tx) => tx.get('nodes', 'w1')?.Role)).toBe('manager');

    const w2 = leader.store.view((tx) => tx.get('nodes', 'w1'))!;
    await settle(c, updateNode(control(), 'w1', w2.Version.Index, { ...w2.Spec, Role: 'worker' }));
    expect(await c.runUntil(c.clock.now() + 10_000, () => leader.store.view((tx) => tx.get('nodes', 'w1')?.Role) === 'worker')).toBe(true);
    expect(leader.node.voters().sort()).toEqual(['m1', 'm2', 'm3']);
    c.stopAll();
  });

  it('a worker that dies and rejoins is ready again and takes new tasks', async () => {
    const c = await cluster(27);
    const leader = await leaderOf(c, 1_000);
    const s = await sixRunning(c, leader, { TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, RestartPolicy: { Delay: msToNs(100) } } });
    c.crashWorker('w2');
    const state = () => leader.store.view((tx) => tx.get('nodes', 'w2')?.Status.State);
    const moved = () => state() === 'down' && running(leader, s.ID).length === 6 && running(leader, s.ID).every((t) => t.NodeID !== 'w2');
    expect(await c.runUntil(c.clock.now() + 10_000, moved)).toBe(true);
    c.restartWorker('w2');
    expect(await c.runUntil(c.clock.now() + 10_000, () => state() === 'ready')).toBe(true);
    const cur = leader.store.view((tx) => tx.get('services', s.ID))!;
    await settle(c, updateService({ store: leader.store, random: c.random }, s.ID, cur.Version.Index, { ...cur.Spec, Mode: { Replicated: { Replicas: 12 } } }));
    expect(await c.runUntil(c.clock.now() + 10_000, () => running(leader, s.ID).filter((t) => t.NodeID === 'w2').length >= 1 && running(leader, s.ID).length === 12)).toBe(true);
    c.stopAll();
  });
});
