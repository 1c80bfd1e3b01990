// Agents and the dispatcher over the simulated network: drops, duplicates, reordering, partitions,
// and a lost stream message, all on the virtual clock and reproducible from the seed.
import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../core/api/objects.ts';
import { isForward } from '../../core/api/task-state.ts';
import { Agent, type AgentEvent } from '../../core/agent/agent.ts';
import { TestExecutor } from '../../core/agent/test-executor.ts';
import { Dispatcher } from '../../core/manager/dispatcher/dispatcher.ts';
import { DispatcherEndpoint } from '../../core/manager/dispatcher/endpoint.ts';
import { seededRandom } from '../../core/random.ts';
import { LocalProposer, Store } from '../../core/store/store.ts';
import { description } from '../core/manager/dispatcher/fixture.ts';
import { SimDispatcherTransport, type DispatcherWire } from './dispatcher-transport.ts';
import { SimNetwork, type LinkFaults } from './network.ts';
import { Trace } from './trace.ts';
import { VirtualClock } from './virtual-clock.ts';

interface WorldOptions {
  seed: number;
  workers?: string[];
  faults?: Partial<LinkFaults>;
  /** Lets a test see (and drop) every wire message before it goes on the network. */
  filter?: (from: string, to: string, msg: DispatcherWire) => boolean;
}

function world(opts: WorldOptions) {
  const clock = new VirtualClock({ start: Date.UTC(2026, 10, 23) });
  const random = seededRandom(opts.seed);
  const trace = new Trace({ now: () => clock.now(), capacity: 100_000 });
  const net = new SimNetwork<DispatcherWire>({ clock, random, faults: opts.faults });
  const transport = new SimDispatcherTransport({
    clock,
    send: (from, to, msg) => {
      if (opts.filter && !opts.filter(from, to, msg)) return;
      net.send(from, to, msg);
    },
    log: (node, line) => trace.log(node, line),
  });
  const workers = opts.workers ?? ['w1', 'w2'];
  for (const id of ['m1', ...workers]) net.attach(id, (from, msg) => transport.deliver(from, id, msg));

  const store = new Store({ clock, random });
  store.setProposer(new LocalProposer(store));
  const endpoint = new DispatcherEndpoint({ self: 'm1', leader: () => ({ nodeId: 'm1', addr: 'm1' }) });
  transport.serve('m1', endpoint);
  const dispatcher = new Dispatcher(
    { store, clock, random, logger: (c, line) => trace.log('m1', `${c}: ${line}`) },
    { endpoint, managers: () => [{ nodeId: 'm1', addr: 'm1' }] },
  );
  dispatcher.start();

  // Every state each task's status went through, as the store applied it.
  const history = new Map<string, TaskState[]>();
  store.watch((e) => {
    for (const c of e.changes) {
      if (c.table !== 'tasks' || c.type === 'delete') continue;
      const h = history.get(c.object.ID) ?? [];
      if (h.at(-1) !== c.object.Status.State) h.push(c.object.Status.State);
      history.set(c.object.ID, h);
    }
  });

  const agents = new Map<string, { agent: Agent; executor: TestExecutor; events: AgentEvent[] }>();
  for (const id of workers) {
    const executor = new TestExecutor({ clock, idPrefix: `${id}-c` });
    const events: AgentEvent[] = [];
    const agent = new Agent({
      nodeId: id,
      description: description(id),
      addr: id,
      clock,
      random,
      executor,
      connect: transport.connector(id),
      managers: ['m1'],
      logger: (line) => trace.log(id, line),
      onEvent: (e) => events.push(e),
    });
    agents.set(id, { agent, executor, events });
    agent.start();
  }

  let seq = 0;
  const addTask = async (nodeId: string) => {
    const id = `t${++seq}`;
    await store.update((tx) =>
      tx.create('tasks', {
        ID: id,
        ServiceID: 'svc',
        Slot: seq,
        NodeID: nodeId,
        Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
        Status: { State: 'assigned', Message: 'assigned', Timestamp: '' },
        DesiredState: 'running',
      }),
    );
    return id;
  };
  const task = (id: string) => store.view((tx) => tx.get('tasks', id))!;
  const node = (id: string) => store.view((tx) => tx.get('nodes', id));
  const until = async (pred: () => boolean, ms = 60_000) => {
    await clock.runFor(0);
    return clock.runUntilCondition(pred, clock.now() + ms);
  };
  const stop = () => {
    for (const a of agents.values()) a.agent.stop();
    dispatcher.stop();
    transport.unserve('m1');
  };
  const agent = (id: string) => agents.get(id)!;
  return { clock, net, trace, transport, store, dispatcher, agent, addTask, task, node, history, until, stop };
}

async function lossyRun(seed: number) {
  const w = world({
    seed,
    faults: { latencyMs: [1, 20], dropRate: 0.03, duplicateRate: 0.05, delayRate: 0.05, extraDelayMs: [20, 300] },
  });
  await w.until(() => ['w1', 'w2'].every((id) => w.node(id)?.Status.State === 'ready'));
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await w.addTask(i % 2 ? 'w1' : 'w2'));
  const allRunning = await w.until(() => ids.every((id) => w.task(id).Status.State === 'running'), 120_000);
  // A while of heartbeats, keepalives and reports under loss: streams break, agents reconnect.
  await w.clock.runFor(30_000);
  const stillRunning = ids.every((id) => w.task(id).Status.State === 'running');
  for (const id of ids) await w.store.update((tx) => tx.update('tasks', { ...tx.get('tasks', id)!, DesiredState: 'shutdown' }));
  const allStopped = await w.until(() => ids.every((id) => w.task(id).Status.State === 'shutdown'), 120_000);
  w.stop();
  return { w, ids, allRunning, stillRunning, allStopped };
}

describe('dispatcher over the simulated network', () => {
  it('runs and stops tasks over a lossy, duplicating, reordering network; states only move forward', async () => {
    const { w, ids, allRunning, stillRunning, allStopped } = await lossyRun(101);
    if (!allRunning || !allStopped) w.trace.print();
    expect(allRunning).toBe(true);
    expect(stillRunning).toBe(true);
    expect(allStopped).toBe(true);
    for (const id of ids) {
      const h = w.history.get(id)!;
      for (let i = 1; i < h.length; i++) expect(isForward(h[i - 1]!, h[i]!)).toBe(true);
      expect(h.at(-1)).toBe('shutdown');
    }
    expect(w.net.stats.droppedBy.random).toBeGreaterThan(0);
    expect(w.net.stats.duplicated).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives the same run', async () => {
    const a = await lossyRun(7);
    const b = await lossyRun(7);
    expect(a.w.clock.now()).toBe(b.w.clock.now());
    expect(a.w.trace.dump()).toBe(b.w.trace.dump());
    expect(a.w.net.stats).toEqual(b.w.net.stats);
  });

  it('a partition breaks the stream; the node goes down; after the heal the agent reconnects', async () => {
    const w = world({ seed: 3 });
    const t = await w.addTask('w1');
    await w.until(() => w.task(t).Status.State === 'running');
    const { agent, executor } = w.agent('w1');
    w.net.partition([['w1'], ['m1', 'w2']]);
    expect(await w.until(() => agent.state !== 'connected')).toBe(true);
    expect(await w.until(() => w.node('w1')!.Status.State === 'down')).toBe(true);
    expect(w.node('w2')!.Status.State).toBe('ready');
    await w.clock.runFor(5_000);
    expect(executor.running()).toEqual([t]); // the worker keeps its task
    w.net.heal();
    expect(await w.until(() => agent.state === 'connected' && w.node('w1')!.Status.State === 'ready', 30_000)).toBe(true);
    expect(agent.sessions).toBe(2);
    expect(w.trace.lines().some((l) => /w1 .*(timed out|silent)/.test(l))).toBe(true);
    // The new session carries new work.
    const t2 = await w.addTask('w1');
    expect(await w.until(() => w.task(t2).Status.State === 'running')).toBe(true);
    w.stop();
  });

  it('a lost stream message is a gap: the stream ends and the agent resyncs from a complete set', async () => {
    let dropOne = false;
    const w = world({
      seed: 5,
      workers: ['w1'],
      filter: (_from, to, msg) => {
        if (dropOne && to === 'w1' && msg.kind === 'dsp-msg' && msg.body?.type === 'incremental') {
          dropOne = false;
          return false;
        }
        return true;
      },
    });
    const { agent } = w.agent('w1');
    await w.until(() => agent.state === 'connected');
    await w.clock.runFor(100); // the complete set has arrived
    dropOne = true;
    const t = await w.addTask('w1'); // its assignment is the message lost
    expect(await w.until(() => w.task(t).Status.State === 'running', 10_000)).toBe(true);
    expect(agent.sessions).toBe(2);
    expect(w.trace.lines().some((l) => l.includes('broken: message'))).toBe(true);
    w.stop();
  });

  it('duplicated requests are served once: one session, no spurious failures', async () => {
    const w = world({ seed: 9, workers: ['w1'], faults: { duplicateRate: 1 } });
    const { agent, events } = w.agent('w1');
    const t = await w.addTask('w1');
    expect(await w.until(() => w.task(t).Status.State === 'running')).toBe(true);
    await w.clock.runFor(20_000);
    expect(agent.sessions).toBe(1);
    expect(events.filter((e) => e.type === 'disconnected')).toEqual([]);
    expect(w.net.stats.duplicated).toBeGreaterThan(50);
    w.stop();
  });

  it('responses that never come make requests time out, and the agent tries again', async () => {
    const w = world({ seed: 11, workers: ['w1'] });
    const { agent, events } = w.agent('w1');
    await w.until(() => agent.state === 'connected');
    w.net.cutLink('m1', 'w1', { oneWay: true }); // requests arrive, nothing comes back
    expect(await w.until(() => events.some((e) => e.type === 'disconnected'))).toBe(true);
    const lost = events.find((e) => e.type === 'disconnected');
    expect(lost?.type === 'disconnected' && lost.error.code).toBe('unavailable');
    w.net.heal();
    expect(await w.until(() => agent.state === 'connected' && agent.sessions === 2, 30_000)).toBe(true);
    w.stop();
  });
});
