// The agent against the real dispatcher over the in-process transport, after SwarmKit's agent and
// session tests: tasks driven from assignments, status flowing back, failover between managers.
import { afterEach, describe, expect, it } from 'vitest';
import { Allocator } from '../../../core/manager/allocator.ts';
import { ReplicatedOrchestrator } from '../../../core/manager/orchestrator/replicated.ts';
import { RestartSupervisor } from '../../../core/manager/orchestrator/restart.ts';
import { Scheduler } from '../../../core/manager/scheduler/scheduler.ts';
import { DispatchFixture } from '../manager/dispatcher/fixture.ts';

let f: DispatchFixture;
afterEach(() => f?.stopAll());

describe('agent: tasks', () => {
  it('opens a session and heartbeats: the node stays ready', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const { agent } = f.agent('w1');
    expect(await f.until(() => f.node('w1')?.Status.State === 'ready' && agent.state === 'connected')).toBe(true);
    await f.run(20_000);
    expect(f.node('w1')!.Status.State).toBe('ready');
    expect(agent.sessions).toBe(1);
    expect(f.node('w1')!.Status.Addr).toBe('10.0.0.10');
  });

  it('drives an assigned task to running, and to shutdown when its desired state changes', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const { executor } = f.agent('w1', { behaviour: () => ({ prepareMs: 20, startMs: 20 }) });
    await f.until(() => f.node('w1')?.Status.State === 'ready');
    const t = await f.addTask('w1');
    expect(await f.until(() => f.task(t).Status.State === 'running')).toBe(true);
    expect(f.task(t).Status).toMatchObject({ State: 'running', Message: 'started', ContainerStatus: { ContainerID: 'w1-c1' } });
    expect(executor.running()).toEqual([t]);

    await f.setDesired(t, 'shutdown');
    expect(await f.until(() => f.task(t).Status.State === 'shutdown')).toBe(true);
    expect(executor.phase(t)).toBe('exited');
    // Stopped for good, it leaves the node's assignments and its resources are freed.
    expect(await f.until(() => executor.phase(t) === 'removed')).toBe(true);
  });

  it('a task whose desired state is ready is prepared, and started only once desired running', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const { executor } = f.agent('w1');
    const t = await f.addTask('w1', { desired: 'ready' });
    expect(await f.until(() => f.task(t).Status.State === 'ready')).toBe(true);
    await f.run(5_000);
    expect(f.task(t).Status.State).toBe('ready');
    expect(executor.phase(t)).toBe('prepared');
    await f.setDesired(t, 'running');
    expect(await f.until(() => f.task(t).Status.State === 'running')).toBe(true);
  });

  it('reports a failed task with its exit code, a completed one, a rejected one, and a hung start', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const { executor } = f.agent('w1', {
      behaviour: (t) =>
        t.Spec.ContainerSpec.Image === 'bad'
          ? { prepareError: 'pull access denied for bad' }
          : t.Spec.ContainerSpec.Image === 'hang'
            ? { hang: 'start' }
            : {},
    });
    const failing = await f.addTask('w1');
    const finishing = await f.addTask('w1');
    const rejected = await f.addTask('w1', { image: 'bad' });
    const hung = await f.addTask('w1', { image: 'hang' });
    await f.until(() => f.task(failing).Status.State === 'running' && f.task(finishing).Status.State === 'running');
    executor.fail(failing, 137);
    executor.exit(finishing);
    await f.until(() => f.task(failing).Status.State === 'failed' && f.task(finishing).Status.State === 'complete');
    expect(f.task(failing).Status).toMatchObject({ Err: 'task: non-zero exit (137)', ContainerStatus: { ExitCode: 137 } });
    expect(f.task(finishing).Status.ContainerStatus?.ExitCode).toBe(0);
    expect(await f.until(() => f.task(rejected).Status.State === 'rejected')).toBe(true);
    expect(f.task(rejected).Status.Err).toBe('pull access denied for bad');
    await f.run(10_000);
    expect(f.task(hung).Status.State).toBe('starting');
  });

  it('status reports are batched: many tasks starting together take few transactions', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    f.agent('w1');
    await f.until(() => f.node('w1')?.Status.State === 'ready');
    const ids: string[] = [];
    await f.store.update((tx) => {
      for (let i = 0; i < 50; i++) {
        const id = `bulk${i}`;
        ids.push(id);
        tx.create('tasks', {
          ID: id,
          ServiceID: 'svc1',
          Slot: i + 1,
          NodeID: 'w1',
          Spec: { ContainerSpec: { Image: 'x' } },
          Status: { State: 'assigned', Message: 'assigned', Timestamp: '' },
          DesiredState: 'running',
        });
      }
    });
    const before = f.txs.length;
    await f.until(() => ids.every((id) => f.task(id).Status.State === 'running'));
    const writes = f.txs.slice(before).filter((t) => t.tasks > 0);
    // 50 tasks x 5 states would be 250 single writes; batched, a handful of transactions carry them.
    expect(writes.length).toBeLessThanOrEqual(6);
    expect(writes.reduce((n, w) => n + w.tasks, 0)).toBeLessThanOrEqual(250);
  });
});

describe('agent: sessions and failover', () => {
  it("reconnects to another manager when its manager's stream breaks; tasks keep running", async () => {
    f = new DispatchFixture(['m1', 'm2']);
    const d1 = f.startDispatcher('m1');
    const { agent, executor, events } = f.agent('w1');
    const t = await f.addTask('w1');
    await f.until(() => f.task(t).Status.State === 'running');
    expect(agent.manager).toBe('m1');
    // The leader's manager dies; m2 is elected and runs the dispatcher.
    d1.stop();
    f.net.disconnect('m1');
    f.startDispatcher('m2');
    expect(await f.until(() => agent.state === 'connected' && agent.manager === 'm2')).toBe(true);
    expect(await f.until(() => f.node('w1')!.Status.State === 'ready')).toBe(true);
    const broke = events.find((e) => e.type === 'disconnected');
    expect(broke).toMatchObject({ manager: 'm1', next: 'm2' });
    expect(executor.running()).toEqual([t]);
    expect(executor.calls.filter((c) => c.op === 'start')).toHaveLength(1);
    // The new session works: a new assignment runs.
    const t2 = await f.addTask('w1');
    expect(await f.until(() => f.task(t2).Status.State === 'running')).toBe(true);
  });

  it('follows a not-leader answer straight to the named leader', async () => {
    f = new DispatchFixture(['m1', 'm2']);
    f.startDispatcher('m2');
    const { agent, events } = f.agent('w1'); // dials m1 first
    expect(await f.until(() => agent.state === 'connected')).toBe(true);
    expect(agent.manager).toBe('m2');
    const session = events.filter((e) => e.type === 'connected' || e.type === 'disconnected');
    const first = session[0]!;
    expect(first.type).toBe('disconnected');
    if (first.type !== 'disconnected') return;
    expect(first.error.code).toBe('not-leader');
    expect(first.next).toBe('m2');
    expect(first.retryInMs).toBe(0);
    expect(session[1]).toMatchObject({ type: 'connected', manager: 'm2' });
    // The session tells the node the role the managers have for it.
    expect(events).toContainEqual({ type: 'role', role: 'worker' });
  });

  it('keeps its tasks while disconnected and reports what happened once reconnected', async () => {
    f = new DispatchFixture(['m1']);
    f.startDispatcher('m1');
    const { agent, executor } = f.agent('w1');
    const stays = await f.addTask('w1');
    const exits = await f.addTask('w1');
    const deleted = await f.addTask('w1');
    await f.until(() => [stays, exits, deleted].every((id) => f.task(id).Status.State === 'running'));
    await f.run(100); // the acknowledgements land
    expect(agent.unreported).toBe(0);
    f.net.disconnect('m1');
    expect(await f.until(() => agent.state !== 'connected')).toBe(true);
    // The managers see the node go down; the node keeps running its tasks meanwhile.
    expect(await f.until(() => f.node('w1')!.Status.State === 'down')).toBe(true);
    executor.exit(exits);
    await f.store.update((tx) => tx.delete('tasks', deleted));
    await f.run(3_000);
    expect(executor.running().sort()).toEqual([stays, deleted].sort());
    expect(executor.calls.some((c) => c.op === 'stop')).toBe(false);
    expect(f.task(exits).Status.State).toBe('running'); // not reported yet
    expect(agent.unreported).toBe(1);

    f.net.restore('m1');
    expect(await f.until(() => agent.state === 'connected', 20_000)).toBe(true);
    expect(await f.until(() => f.task(exits).Status.State === 'complete')).toBe(true);
    expect(f.node('w1')!.Status.State).toBe('ready');
    // The complete set no longer has the deleted task: it is stopped and removed.
    expect(await f.until(() => executor.phase(deleted) === 'removed')).toBe(true);
    expect(executor.running()).toEqual([stays]);
  });

  it('backs off exponentially (with jitter) while no manager answers', async () => {
    f = new DispatchFixture(['m1', 'm2']);
    f.startDispatcher('m1');
    f.net.disconnect('m1');
    f.net.disconnect('m2');
    const { events } = f.agent('w1');
    await f.run(60_000);
    const delays = events.flatMap((e) => (e.type === 'disconnected' ? [e.retryInMs] : []));
    expect(delays.length).toBeGreaterThan(8);
    let cap = 100;
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
      cap = Math.min(8_000, cap * 2);
    }
    // It alternates between the managers it knows.
    const tried = events.flatMap((e) => (e.type === 'disconnected' ? [e.manager] : []));
    expect(tried.slice(0, 4)).toEqual(['m1', 'm2', 'm1', 'm2']);
  });

  it('a removed node is refused: the agent gives up and its tasks go', async () => {
    f = new DispatchFixture();
    f.startDispatcher();
    const { agent, executor, events } = f.agent('w1');
    const t = await f.addTask('w1');
    await f.until(() => f.task(t).Status.State === 'running');
    await f.store.update((tx) => tx.delete('nodes', 'w1'));
    expect(await f.until(() => agent.state === 'removed')).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'removed', message: 'node w1 was removed from the swarm' });
    expect(await f.until(() => executor.phase(t) === 'removed')).toBe(true);
    const sessions = agent.sessions;
    await f.run(30_000);
    expect(agent.sessions).toBe(sessions);
    expect(f.node('w1')).toBeUndefined();
  });
});

describe('agent + dispatcher + orchestration', () => {
  it('a service runs on real agents; a dead node is detected and its tasks replaced', async () => {
    f = new DispatchFixture();
    const restarts = new RestartSupervisor(f.ctx);
    const components = [restarts, new Allocator(f.ctx), new ReplicatedOrchestrator(f.ctx, restarts), new Scheduler(f.ctx)];
    for (const c of components) c.start();
    f.startDispatcher();
    const agents = ['w1', 'w2', 'w3'].map((id) => f.agent(id));
    await f.until(() => ['w1', 'w2', 'w3'].every((id) => f.node(id)?.Status.State === 'ready'));
    await f.store.update((tx) =>
      tx.create('services', {
        ID: 'svc1',
        Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } }, Mode: { Replicated: { Replicas: 3 } } },
      }),
    );
    const running = () =>
      f.store.view((tx) => tx.find('tasks', (t) => t.Status.State === 'running' && t.DesiredState === 'running'));
    expect(await f.until(() => running().length === 3)).toBe(true);
    expect(new Set(running().map((t) => t.NodeID)).size).toBe(3);

    // w3 dies: no more heartbeats, its processes are gone.
    const w3 = agents[2]!;
    w3.agent.stop();
    w3.executor.crash();
    expect(await f.until(() => f.node('w3')!.Status.State === 'down', 10_000)).toBe(true);
    expect(await f.until(() => running().length === 3 && running().every((t) => t.NodeID !== 'w3'), 20_000)).toBe(true);
    for (const c of components) c.stop();
    const errors = f.logs.filter((l) => l.includes('Error'));
    expect(errors).toEqual([]);
  });
});
