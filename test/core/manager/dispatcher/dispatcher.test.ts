// The dispatcher at the protocol level, after SwarmKit's dispatcher tests: sessions, heartbeats,
// node down detection, leader change, assignments, status updates, removed nodes.
import { afterEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../../../core/api/defaults.ts';
import type { TaskStatus } from '../../../../core/api/objects.ts';
import { DispatcherError, type SessionResponse } from '../../../../core/dispatcher/protocol.ts';
import {
  HEARTBEAT_FAILURE_MESSAGE,
  DISCONNECTED_MESSAGE,
  UNKNOWN_AFTER_LEADER_CHANGE_MESSAGE,
  UNKNOWN_HEARTBEAT_FAILURE_MESSAGE,
} from '../../../../core/manager/dispatcher/dispatcher.ts';
import { DispatchFixture, StreamRecorder, description } from './fixture.ts';

let f: DispatchFixture;
afterEach(() => f?.stopAll());

const PERIOD = 500; // the lab profile's heartbeat (ms)
const GRACE = 3;
const JITTER = 0.1;

const session = (nodeId: string, addr = '10.0.0.5') =>
  f.client().session({ nodeId, description: description(`host-${nodeId}`), addr });

async function open(nodeId: string, addr?: string): Promise<SessionResponse> {
  return f.settle(session(nodeId, addr));
}

async function caught(p: Promise<unknown>): Promise<DispatcherError> {
  try {
    await f.settle(p);
  } catch (err) {
    return err as DispatcherError;
  }
  throw new Error('expected a rejection');
}

const status = (State: TaskStatus['State'], Message: string = State): TaskStatus => ({
  State,
  Message,
  Timestamp: new Date(f.clock.now()).toISOString(),
});

describe('dispatcher: sessions and heartbeats', () => {
  it('a session creates the node, ready, with its description and address', async () => {
    f = new DispatchFixture(['m1', 'm2']);
    f.startDispatcher();
    const r = await open('w1', '10.0.0.21');
    expect(r.sessionId).toMatch(/^[0-9a-z]{25}$/);
    expect(r.heartbeatPeriodMs).toBeGreaterThanOrEqual(PERIOD);
    expect(r.heartbeatPeriodMs).toBeLessThanOrEqual(PERIOD * (1 + JITTER));
    expect(r.managers).toEqual([
      { nodeId: 'm1', addr: 'm1' },
      { nodeId: 'm2', addr: 'm2' },
    ]);
    const n = f.node('w1')!;
    expect(n.Status).toEqual({ State: 'ready', Addr: '10.0.0.21' });
    expect(n.Spec).toEqual({ Role: 'worker', Availability: 'active' });
    expect(n.Description?.Hostname).toBe('host-w1');
    expect(n.Description?.Engine.Labels).toEqual({ zone: 'a' });
    expect(r.node?.ID).toBe('w1');
  });

  it('updates an existing node; a newer session of the same node replaces the older', async () => {
    f = new DispatchFixture();
    await f.addNode('w1', 'down');
    f.startDispatcher();
    const first = await open('w1');
    expect(f.node('w1')!.Status.State).toBe('ready');
    const rec = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: first.sessionId }, rec.observer);
    await f.run(5);
    const second = await open('w1', '10.0.0.99');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(f.node('w1')!.Status.Addr).toBe('10.0.0.99');
    await f.until(() => rec.done);
    expect((rec.ended as DispatcherError).code).toBe('session-invalid');
    const err = await caught(f.client().heartbeat({ nodeId: 'w1', sessionId: first.sessionId }));
    expect(err.code).toBe('session-invalid');
    await f.settle(f.client().heartbeat({ nodeId: 'w1', sessionId: second.sessionId }));
  });

  it('heartbeats keep a node ready; silence marks it down within period x grace (with jitter)', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const r = await open('w1');
    const c = f.client();
    let period = r.heartbeatPeriodMs;
    const periods: number[] = [];
    for (let i = 0; i < 40; i++) {
      await f.run(period - 5);
      period = (await f.settle(c.heartbeat({ nodeId: 'w1', sessionId: r.sessionId }))).periodMs;
      periods.push(period);
      expect(f.node('w1')!.Status.State).toBe('ready');
    }
    // Periods are jittered from the injected Random, within period x [0.9, 1.1].
    expect(Math.min(...periods)).toBeGreaterThanOrEqual(PERIOD * (1 - JITTER));
    expect(Math.min(...periods)).toBeLessThan(PERIOD);
    expect(Math.max(...periods)).toBeLessThanOrEqual(PERIOD * (1 + JITTER));
    expect(new Set(periods).size).toBeGreaterThan(5);

    const silentSince = f.clock.now();
    const rec = new StreamRecorder();
    c.assignments({ nodeId: 'w1', sessionId: r.sessionId }, rec.observer);
    expect(await f.until(() => f.node('w1')!.Status.State === 'down', 10_000)).toBe(true);
    const after = f.clock.now() - silentSince;
    expect(after).toBeGreaterThanOrEqual(period * GRACE);
    expect(after).toBeLessThanOrEqual(period * GRACE + 20);
    expect(f.node('w1')!.Status.Message).toBe(HEARTBEAT_FAILURE_MESSAGE);
    expect(rec.done).toBe(true);
    expect((rec.ended as DispatcherError).code).toBe('session-invalid');
    expect((await caught(c.heartbeat({ nodeId: 'w1', sessionId: r.sessionId }))).code).toBe('session-invalid');
  });

  it('a node whose connection breaks is disconnected, ready again when it reconnects, down if it stays away', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const r = await open('w1');
    const c = f.client();
    const ref = { nodeId: 'w1', sessionId: r.sessionId };
    const sub = c.assignments(ref, new StreamRecorder().observer);
    await f.run(5);
    expect(f.node('w1')!.Status.State).toBe('ready');
    sub.close();
    expect(await f.until(() => f.node('w1')!.Status.State === 'disconnected', 1_000)).toBe(true);
    expect(f.node('w1')!.Status.Message).toBe(DISCONNECTED_MESSAGE);
    const again = c.assignments(ref, new StreamRecorder().observer);
    expect(await f.until(() => f.node('w1')!.Status.State === 'ready', 1_000)).toBe(true);
    // Away for good: the connection breaks and no heartbeat comes.
    again.close();
    expect(await f.until(() => f.node('w1')!.Status.State === 'disconnected', 1_000)).toBe(true);
    expect(await f.until(() => f.node('w1')!.Status.State === 'down', 10_000)).toBe(true);
  });

  it('takes the heartbeat period from the cluster spec', async () => {
    f = new DispatchFixture();
    await f.store.update((tx) =>
      tx.create('clusters', { ID: 'c1', Spec: { Name: 'default', Dispatcher: { HeartbeatPeriod: 2 * SECOND } } }),
    );
    const d = f.startDispatcher();
    expect(d.heartbeatPeriodMs).toBe(2000);
    const r = await open('w1');
    expect(r.heartbeatPeriodMs).toBeGreaterThanOrEqual(2000);
    expect(r.heartbeatPeriodMs).toBeLessThanOrEqual(2200);
    await f.store.update((tx) => {
      const c = tx.get('clusters', 'c1')!;
      tx.update('clusters', { ...c, Spec: { ...c.Spec, Dispatcher: { HeartbeatPeriod: 1 * SECOND } } });
    });
    expect(d.heartbeatPeriodMs).toBe(1000);
    const hb = await f.settle(f.client().heartbeat({ nodeId: 'w1', sessionId: r.sessionId }));
    expect(hb.periodMs).toBeGreaterThanOrEqual(1000);
    expect(hb.periodMs).toBeLessThanOrEqual(1100);
  });

  it('after a leader change, nodes go unknown, then down unless their agents come back', async () => {
    f = new DispatchFixture(['m1', 'm2']);
    await f.addNode('w1');
    await f.addNode('w2');
    await f.addNode('w3', 'down');
    const start = f.clock.now();
    f.startDispatcher('m2');
    await f.until(() => f.node('w1')!.Status.State === 'unknown');
    for (const id of ['w1', 'w2']) {
      expect(f.node(id)!.Status).toMatchObject({ State: 'unknown', Message: UNKNOWN_AFTER_LEADER_CHANGE_MESSAGE });
    }
    expect(f.node('w3')!.Status.State).toBe('down'); // down nodes are not resurrected
    const r = await open('w1');
    expect(f.node('w1')!.Status.State).toBe('ready');
    // w1 keeps its session; w2 never comes back.
    const c = f.client();
    let period = r.heartbeatPeriodMs;
    const beat = async () => {
      while (f.node('w2')!.Status.State !== 'down') {
        await f.run(period - 5);
        period = (await f.settle(c.heartbeat({ nodeId: 'w1', sessionId: r.sessionId }))).periodMs;
      }
    };
    await beat();
    const after = f.clock.now() - start;
    // SwarmKit gives unknown nodes twice the normal grace.
    expect(after).toBeGreaterThanOrEqual(PERIOD * GRACE * 2 - PERIOD);
    expect(after).toBeLessThanOrEqual(PERIOD * (1 + JITTER) * GRACE * 2 + PERIOD);
    expect(f.node('w2')!.Status.Message).toBe(UNKNOWN_HEARTBEAT_FAILURE_MESSAGE);
    expect(f.node('w1')!.Status.State).toBe('ready');
  });

  it('a manager that does not run the dispatcher names the leader, or says none is known', async () => {
    f = new DispatchFixture(['m1', 'm2']);
    f.startDispatcher('m1');
    const err = await caught(f.net.connect('m2').session({ nodeId: 'w1', description: description('w1'), addr: 'x' }));
    expect(err.code).toBe('not-leader');
    expect(err.leader).toEqual({ nodeId: 'm1', addr: 'm1' });
    f.dispatchers[0]!.stop();
    f.leader = undefined;
    const err2 = await caught(f.net.connect('m1').session({ nodeId: 'w1', description: description('w1'), addr: 'x' }));
    expect(err2.code).toBe('unavailable');
    const rec = new StreamRecorder();
    f.net.connect('m2').assignments({ nodeId: 'w1', sessionId: 'nope' }, rec.observer);
    await f.until(() => rec.done);
    expect((rec.ended as DispatcherError).code).toBe('unavailable');
  });

  it('stopping the dispatcher (step-down) ends every session and stream', async () => {
    f = new DispatchFixture();
    const d = f.startDispatcher();
    const r = await open('w1');
    const rec = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: r.sessionId }, rec.observer);
    await f.run(5);
    d.stop();
    await f.until(() => rec.done);
    expect((rec.ended as DispatcherError).code).toBe('unavailable');
    expect(d.connectedNodes()).toEqual([]);
  });
});

describe('dispatcher: assignments', () => {
  it('sends the complete set on connect: assigned and later, not stopped for good', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const r = await open('w1');
    const assigned = await f.addTask('w1');
    const running = await f.addTask('w1', { state: 'running' });
    const stopping = await f.addTask('w1', { state: 'running', desired: 'shutdown' });
    const failed = await f.addTask('w1', { state: 'failed' }); // not yet replaced: the agent keeps it
    await f.addTask('w1', { state: 'shutdown', desired: 'shutdown' }); // done: not sent
    await f.addTask('w1', { state: 'pending' }); // not yet assigned
    await f.addTask('w2'); // another node's
    const rec = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: r.sessionId }, rec.observer);
    await f.until(() => rec.messages.length > 0);
    const first = rec.messages[0]!;
    expect(first.type).toBe('complete');
    expect(first.seq).toBe(1);
    expect(rec.holds()).toEqual([assigned, failed, running, stopping].sort());
  });

  it('then sends incremental changes, coalesced; status-only changes are not sent', async () => {
    f = new DispatchFixture();
    const d = f.startDispatcher();
    const r = await open('w1');
    const t1 = await f.addTask('w1', { state: 'running' });
    const rec = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: r.sessionId }, rec.observer);
    await f.until(() => rec.messages.length === 1);

    // A burst of assignments within the batch window goes out as one message.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await f.addTask('w1'));
    await f.until(() => rec.messages.length === 2);
    await f.run(d.assignmentBatchMs * 3);
    expect(rec.messages.length).toBe(2);
    const inc = rec.messages[1]!;
    expect(inc).toMatchObject({ type: 'incremental', seq: 2, appliesTo: 1, remove: [] });
    expect(inc.type === 'incremental' && inc.update.map((t) => t.ID).sort()).toEqual(ids.sort());

    // A status change reported by the agent is not echoed back.
    await f.updateTask(t1, (t) => ({ ...t, Status: { ...t.Status, State: 'complete', Message: 'finished' } }));
    await f.run(50);
    expect(rec.messages.length).toBe(2);

    // Desired state changes are sent; a task stopped for good leaves the set; deletions are removals.
    await f.setDesired(ids[0]!, 'shutdown');
    await f.until(() => rec.messages.length === 3);
    const m3 = rec.messages[2]!;
    expect(m3.type === 'incremental' && m3.update.map((t) => [t.ID, t.DesiredState])).toEqual([[ids[0], 'shutdown']]);
    await f.setDesired(t1, 'shutdown'); // complete + desired shutdown: done
    await f.store.update((tx) => tx.delete('tasks', ids[1]!));
    await f.until(() => rec.messages.length === 4);
    const m4 = rec.messages[3]!;
    expect(m4).toMatchObject({ type: 'incremental', seq: 4, appliesTo: 3, update: [] });
    expect(m4.type === 'incremental' && [...m4.remove].sort()).toEqual([t1, ids[1]!].sort());
    expect(rec.holds()).toEqual([ids[0]!, ids[2]!, ids[3]!, ids[4]!].sort());
  });

  it('a task moved to another node is a removal for the first and an update for the second', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const r1 = await open('w1');
    const r2 = await open('w2');
    const t = await f.addTask('w1');
    const rec1 = new StreamRecorder();
    const rec2 = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: r1.sessionId }, rec1.observer);
    f.client().assignments({ nodeId: 'w2', sessionId: r2.sessionId }, rec2.observer);
    await f.until(() => rec1.messages.length === 1 && rec2.messages.length === 1);
    await f.updateTask(t, (x) => ({ ...x, NodeID: 'w2' }));
    await f.until(() => rec1.messages.length === 2 && rec2.messages.length === 2);
    expect(rec1.holds()).toEqual([]);
    expect(rec2.holds()).toEqual([t]);
  });

  it('refuses a stream for an unknown session', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    await open('w1');
    const rec = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: 'stale' }, rec.observer);
    await f.until(() => rec.done);
    expect(rec.messages).toEqual([]);
    expect((rec.ended as DispatcherError).code).toBe('session-invalid');
  });
});

describe('dispatcher: task status', () => {
  it('batches reports of many nodes into one transaction', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const sessions = [await open('w1'), await open('w2'), await open('w3')];
    const tasks: string[][] = [];
    for (const id of ['w1', 'w2', 'w3']) tasks.push([await f.addTask(id), await f.addTask(id), await f.addTask(id)]);
    const before = f.txs.length;
    const c = f.client();
    await f.settle(Promise.all(
      sessions.map((s, i) =>
        c.updateTaskStatus({
          nodeId: `w${i + 1}`,
          sessionId: s.sessionId,
          updates: tasks[i]!.map((taskId) => ({ taskId, status: status('running', 'started') })),
        }),
      ),
    ));
    const writes = f.txs.slice(before).filter((t) => t.tasks > 0);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.tasks).toBe(9);
    for (const id of tasks.flat()) expect(f.task(id).Status.State).toBe('running');
  });

  it('applies reports monotonically: a late running after shutdown is ignored', async () => {
    f = new DispatchFixture();
    const d = f.startDispatcher();
    const s = await open('w1');
    const t = await f.addTask('w1');
    const c = f.client();
    const send = (st: TaskStatus) => f.settle(c.updateTaskStatus({ nodeId: 'w1', sessionId: s.sessionId, updates: [{ taskId: t, status: st }] }));
    await send(status('running'));
    await send(status('shutdown'));
    expect(f.task(t).Status.State).toBe('shutdown');
    const version = f.task(t).Version.Index;
    await send(status('running'));
    expect(f.task(t).Status.State).toBe('shutdown');
    expect(f.task(t).Version.Index).toBe(version);
    // Within one batch, the furthest state wins whatever the order of arrival.
    const t2 = await f.addTask('w1');
    await f.settle(Promise.all([
      c.updateTaskStatus({ nodeId: 'w1', sessionId: s.sessionId, updates: [{ taskId: t2, status: status('failed') }] }),
      c.updateTaskStatus({ nodeId: 'w1', sessionId: s.sessionId, updates: [{ taskId: t2, status: status('running') }] }),
    ]));
    expect(f.task(t2).Status.State).toBe('failed');
    expect(d.stats.statusesIgnored).toBeGreaterThanOrEqual(1);
  });

  it("refuses reports for another node's task, and says so", async () => {
    f = new DispatchFixture();
    const d = f.startDispatcher();
    const s1 = await open('w1');
    await open('w2');
    const mine = await f.addTask('w1');
    const theirs = await f.addTask('w2');
    const r = await f.settle(f.client().updateTaskStatus({
      nodeId: 'w1',
      sessionId: s1.sessionId,
      updates: [
        { taskId: theirs, status: status('failed') },
        { taskId: mine, status: status('running') },
        { taskId: 'ghost', status: status('running') },
        { taskId: mine, status: status('orphaned') },
      ],
    }));
    expect(r.ignored.map((i) => i.taskId)).toEqual([theirs, 'ghost', mine]);
    expect(r.ignored[0]!.reason).toBe(`task ${theirs} is not assigned to node w1`);
    expect(f.task(theirs).Status.State).toBe('assigned');
    expect(f.task(mine).Status.State).toBe('running');
    expect(f.logs.some((l) => l.includes('refused') && l.includes(theirs))).toBe(true);
    expect(d.stats.statusesRefused).toBe(3);
  });

  it('refuses reports without a valid session', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    await open('w1');
    const t = await f.addTask('w1');
    const err = await caught(
      f.client().updateTaskStatus({ nodeId: 'w1', sessionId: 'old', updates: [{ taskId: t, status: status('running') }] }),
    );
    expect(err.code).toBe('session-invalid');
    expect(f.task(t).Status.State).toBe('assigned');
  });
});

describe('dispatcher: removed nodes', () => {
  it('a removed node is refused, now and by the next leader', async () => {
    f = new DispatchFixture();
    await f.store.update((tx) => tx.create('clusters', { ID: 'c1', Spec: { Name: 'default' } }));
    const d = f.startDispatcher();
    const s = await open('w1');
    const rec = new StreamRecorder();
    f.client().assignments({ nodeId: 'w1', sessionId: s.sessionId }, rec.observer);
    await f.run(5);
    await f.store.update((tx) => tx.delete('nodes', 'w1'));
    await f.until(() => rec.done);
    expect((rec.ended as DispatcherError).code).toBe('node-removed');
    const err = await caught(session('w1'));
    expect(err.code).toBe('node-removed');
    expect(err.message).toBe('node w1 was removed from the swarm');
    expect(f.node('w1')).toBeUndefined();
    // The removal is recorded in the cluster object, so a new leader refuses the node too.
    await f.until(() => !!f.store.view((tx) => tx.get('clusters', 'c1'))?.BlacklistedCertificates?.w1);
    d.stop();
    f.startDispatcher();
    expect((await caught(session('w1'))).code).toBe('node-removed');
    expect(f.node('w1')).toBeUndefined();
  });
});
