import { describe, expect, it } from 'vitest';
import { LocalProposer, Store, type StoreEvent } from '../../../core/store/store.ts';
import { ExistsError, NotFoundError, SequenceError } from '../../../core/store/errors.ts';
import { NotLeaderError } from '../../../core/raft/node.ts';
import { seededRandom } from '../../../core/random.ts';
import type { Clock } from '../../../core/clock.ts';
import type { ServiceSpec, TaskState } from '../../../core/api/objects.ts';
import { SimCluster } from '../../sim/cluster.ts';

const fixedClock: Clock = {
  now: () => Date.UTC(2026, 10, 23, 12, 0, 0),
  setTimeout: () => ({ cancel() {} }),
  setInterval: () => ({ cancel() {} }),
};

function localStore(): Store {
  const store = new Store({ clock: fixedClock, random: seededRandom(1) });
  store.setProposer(new LocalProposer(store));
  return store;
}

const spec = (name: string, labels: Record<string, string> = {}): ServiceSpec => ({
  Name: name,
  Labels: labels,
  TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
  Mode: { Replicated: { Replicas: 1 } },
});
const service = (id: string, name: string) => ({ ID: id, Spec: spec(name) });
const status = (State: TaskState) => ({ State, Timestamp: '2026-11-23T12:00:00.000Z', Message: '' });

describe('store transactions', () => {
  it('creates, reads, updates and deletes objects with versions and timestamps', async () => {
    const store = localStore();
    await store.update((tx) => tx.create('services', service('s1', 'web')));
    const s1 = store.view((tx) => tx.get('services', 's1'))!;
    expect(s1.Spec.Name).toBe('web');
    expect(s1.Version.Index).toBe(1);
    expect(s1.CreatedAt).toBe('2026-11-23T12:00:00.000Z');
    expect(store.view((tx) => tx.byName('services', 'web'))?.ID).toBe('s1');

    await store.update((tx) => tx.update('services', { ...s1, Spec: spec('web2') }));
    const s1b = store.view((tx) => tx.get('services', 's1'))!;
    expect(s1b.Spec.Name).toBe('web2');
    expect(s1b.Version.Index).toBe(2);
    expect(s1b.CreatedAt).toBe(s1.CreatedAt);

    await store.update((tx) => tx.delete('services', 's1'));
    expect(store.view((tx) => tx.get('services', 's1'))).toBeUndefined();
  });

  it('refuses an update based on a stale version, with a message that says so', async () => {
    const store = localStore();
    await store.update((tx) => tx.create('services', service('s1', 'web')));
    const stale = store.view((tx) => tx.get('services', 's1'))!;
    await store.update((tx) => tx.update('services', { ...stale, Spec: spec('a') }));
    const err = await store.update((tx) => tx.update('services', { ...stale, Spec: spec('b') })).catch((e) => e);
    expect(err).toBeInstanceOf(SequenceError);
    expect(err.message).toMatch(/update out of sequence: service s1 is at version 2, the update was based on version 1/);
    expect(store.view((tx) => tx.get('services', 's1'))?.Spec.Name).toBe('a');
  });

  it('refuses duplicate creates and missing objects, and applies nothing of a refused transaction', async () => {
    const store = localStore();
    await store.update((tx) => tx.create('services', service('s1', 'web')));
    await expect(store.update((tx) => tx.create('services', service('s1', 'x')))).rejects.toBeInstanceOf(ExistsError);
    await expect(store.update((tx) => tx.delete('tasks', 'nope'))).rejects.toThrow('task nope not found');
    await expect(
      store.update((tx) => {
        tx.create('services', service('s2', 'api'));
        tx.delete('networks', 'missing');
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(store.view((tx) => tx.get('services', 's2'))).toBeUndefined();
  });

  it('proposes nothing when the transaction function throws', async () => {
    const store = localStore();
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e));
    await expect(
      store.update((tx) => {
        tx.create('services', service('s1', 'web'));
        throw new Error('invalid spec');
      }),
    ).rejects.toThrow('invalid spec');
    expect(events).toHaveLength(0);
    expect(store.index).toBe(0);
  });

  it('sees its own writes inside a transaction', async () => {
    const store = localStore();
    const seen = await store.update((tx) => {
      tx.create('tasks', { ID: 't1', ServiceID: 's1', Spec: spec('web').TaskTemplate, Status: status('new'), DesiredState: 'running' });
      tx.create('tasks', { ID: 't2', ServiceID: 's1', Spec: spec('web').TaskTemplate, Status: status('new'), DesiredState: 'running' });
      const t1 = tx.get('tasks', 't1')!;
      tx.update('tasks', { ...t1, Status: status('pending') });
      return tx.find('tasks', (t) => t.ServiceID === 's1').map((t) => `${t.ID}:${t.Status.State}`);
    });
    expect(seen.sort()).toEqual(['t1:pending', 't2:new']);
    expect(store.view((tx) => tx.get('tasks', 't1'))?.Status.State).toBe('pending');
  });

  it('streams the changes of each transaction to watchers, in order', async () => {
    const store = localStore();
    const events: StoreEvent[] = [];
    const stop = store.watch((e) => events.push(e));
    await store.update((tx) => {
      tx.create('nodes', { ID: 'n1', Spec: { Role: 'manager', Availability: 'active' }, Status: { State: 'ready' } });
      tx.create('services', service('s1', 'web'));
    });
    const s1 = store.view((tx) => tx.get('services', 's1'))!;
    await store.update((tx) => tx.update('services', { ...s1, Spec: spec('web', { a: 'b' }) }));
    await store.update((tx) => tx.delete('nodes', 'n1'));
    stop();
    await store.update((tx) => tx.create('configs', { ID: 'c1', Spec: { Name: 'c' } }));
    expect(events.map((e) => [e.index, e.changes.map((c) => `${c.type} ${c.table}/${c.object.ID}`)])).toEqual([
      [1, ['create nodes/n1', 'create services/s1']],
      [2, ['update services/s1']],
      [3, ['delete nodes/n1']],
    ]);
    const upd = events[1]!.changes[0]!;
    expect(upd.type === 'update' && (upd.old as { Spec?: ServiceSpec }).Spec?.Labels).toEqual({});
  });

  it('hands out frozen objects so a reader cannot change the state behind the log', async () => {
    const store = localStore();
    await store.update((tx) => tx.create('services', service('s1', 'web')));
    const s1 = store.view((tx) => tx.get('services', 's1'))!;
    expect(() => {
      (s1.Spec as { Name: string }).Name = 'hacked';
    }).toThrow(TypeError);
  });

  it('snapshots and restores the whole state', async () => {
    const a = localStore();
    await a.update((tx) => {
      tx.create('services', service('s1', 'web'));
      tx.create('secrets', { ID: 'x', Spec: { Name: 'pw', Data: 'c2VjcmV0' } });
    });
    const b = localStore();
    const events: StoreEvent[] = [];
    b.watch((e) => events.push(e));
    b.restore(a.snapshot(), a.index);
    expect(b.view((tx) => tx.find('secrets').map((s) => s.Spec.Name))).toEqual(['pw']);
    expect(b.index).toBe(1);
    expect(events).toEqual([{ index: 1, changes: [], restored: true }]);
    expect(() => b.restore(new TextEncoder().encode('{"version":7}'), 2)).toThrow(/unsupported snapshot format/);
  });
});

describe('store on a Raft cluster (simulated)', () => {
  async function cluster(seed: number) {
    const c = new SimCluster({ seed, managers: 3 });
    await c.start();
    // A leader, known to every manager.
    await c.runUntil(5_000, () => {
      const l = c.leader();
      return l !== undefined && c.alive().every((m) => m.node.leader() === l.id);
    });
    const leader = c.leader();
    if (!leader) throw new Error(`no leader (seed ${seed})`);
    return { c, leader };
  }

  it('applies a transaction on every manager, in log order', async () => {
    const { c, leader } = await cluster(11);
    let done = false;
    void leader.store.update((tx) => tx.create('services', service('s1', 'web'))).then(() => (done = true));
    expect(await c.runUntil(c.clock.now() + 2_000, () => done)).toBe(true);
    await c.runUntil(c.clock.now() + 1_000, () => c.alive().every((m) => m.store.index === leader.store.index));
    for (const m of c.alive()) expect(m.store.view((tx) => tx.get('services', 's1'))?.Spec.Name).toBe('web');
    c.stopAll();
  });

  it('refuses a write on a follower and names the leader', async () => {
    const { c, leader } = await cluster(12);
    const follower = c.alive().find((m) => m !== leader)!;
    const err = await follower.store.update((tx) => tx.create('services', service('s1', 'web'))).catch((e) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect(err.leader).toBe(leader.id);
    expect(err.message).toBe(`this node is not the leader; the leader is ${leader.id}`);
    c.stopAll();
  });

  it('refuses writes without quorum, keeps committed state, and accepts them again when quorum returns', async () => {
    const { c, leader } = await cluster(13);
    let ok = false;
    void leader.store.update((tx) => tx.create('services', service('s1', 'web'))).then(() => (ok = true));
    await c.runUntil(c.clock.now() + 2_000, () => ok);
    const others = c.alive().filter((m) => m !== leader);
    for (const m of others) c.crash(m.id);

    let err: Error | undefined;
    void leader.store.update((tx) => tx.create('services', service('s2', 'api'))).catch((e) => (err = e));
    await c.runUntil(c.clock.now() + 5_000, () => err !== undefined);
    expect(err?.name).toMatch(/LeadershipLostError|RequestTimeoutError/);
    // The leader stepped down (check-quorum): new writes are refused at once, with the reason.
    await c.runUntil(c.clock.now() + 3_000, () => !leader.node.isLeader());
    const refused = await leader.store.update((tx) => tx.create('services', service('s3', 'db'))).catch((e) => e);
    expect(refused.message).toMatch(/the swarm does not have a leader/);
    expect(leader.store.view((tx) => tx.get('services', 's1'))?.Spec.Name).toBe('web');

    for (const m of others) await c.restart(m.id);
    await c.runUntil(c.clock.now() + 10_000, () => c.leader() !== undefined);
    const l2 = c.leader()!;
    let ok2 = false;
    void l2.store.update((tx) => tx.create('services', service('s4', 'cache'))).then(() => (ok2 = true));
    expect(await c.runUntil(c.clock.now() + 5_000, () => ok2)).toBe(true);
    expect(l2.store.view((tx) => tx.get('services', 's1'))?.Spec.Name).toBe('web');
    c.stopAll();
  });

  it('serves a linearizable read from a follower', async () => {
    const { c, leader } = await cluster(14);
    const follower = c.alive().find((m) => m !== leader)!;
    let wrote = false;
    void leader.store.update((tx) => tx.create('configs', { ID: 'k', Spec: { Name: 'k', Data: 'v1' } })).then(() => (wrote = true));
    await c.runUntil(c.clock.now() + 2_000, () => wrote);
    let read: string | undefined;
    void follower.store.consistentView((tx) => tx.get('configs', 'k')?.Spec.Data).then((v) => (read = v));
    expect(await c.runUntil(c.clock.now() + 2_000, () => read !== undefined)).toBe(true);
    expect(read).toBe('v1');
    c.stopAll();
  });

  it('a restarted manager catches up from the log and from a snapshot', async () => {
    const c = new SimCluster({ seed: 15, managers: 3, snapshotInterval: 20, keepEntries: 2 });
    await c.start();
    await c.runUntil(5_000, () => c.leader() !== undefined);
    const victim = c.alive().find((m) => !m.node.isLeader())!;
    c.crash(victim.id);
    for (let i = 0; i < 60; i++) {
      const l = c.leader()!;
      let done = false;
      void l.store.update((tx) => tx.create('configs', { ID: `k${i}`, Spec: { Name: `k${i}` } })).finally(() => (done = true));
      await c.runUntil(c.clock.now() + 2_000, () => done);
    }
    await c.restart(victim.id);
    const target = c.leader()!.store.index;
    expect(await c.runUntil(c.clock.now() + 5_000, () => victim.store.index >= target)).toBe(true);
    expect(victim.store.view((tx) => tx.find('configs').length)).toBe(60);
    c.stopAll();
  });
});
