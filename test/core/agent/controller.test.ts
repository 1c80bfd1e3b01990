// The task controller on the test executor, after SwarmKit's exec.Do tests: the states it walks
// through for each desired state, the failures, the hangs, and a task picked up from an earlier agent.
import { describe, expect, it } from 'vitest';
import type { TaskObject, TaskState, TaskStatus } from '../../../core/api/objects.ts';
import { isForward } from '../../../core/api/task-state.ts';
import { TaskController } from '../../../core/agent/controller.ts';
import { TestExecutor, type TestTaskBehaviour } from '../../../core/agent/test-executor.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

function task(over: Partial<TaskObject> = {}): TaskObject {
  return {
    ID: 't1',
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    ServiceID: 's1',
    Slot: 1,
    NodeID: 'w1',
    Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1', StopGracePeriod: 2_000_000_000 } },
    Status: { State: 'assigned', Message: 'assigned', Timestamp: '' },
    DesiredState: 'running',
    ...over,
  };
}

function setup(opts: { task?: Partial<TaskObject>; behaviour?: TestTaskBehaviour; executor?: TestExecutor } = {}) {
  const clock = new VirtualClock({ start: 1_000_000 });
  const executor = opts.executor ?? new TestExecutor({ clock, behaviour: () => opts.behaviour ?? {} });
  const reports: TaskStatus[] = [];
  let t = task(opts.task);
  const ctrl = new TaskController({ task: t, executor, clock, report: (_id, s) => reports.push(s) });
  ctrl.start();
  const states = () => reports.map((r) => r.State);
  const until = (pred: () => boolean, ms = 60_000) => untilOn(clock, pred, ms);
  const desire = (d: TaskState) => {
    t = { ...t, DesiredState: d };
    ctrl.update(t);
  };
  return { clock, executor, ctrl, reports, states, until, desire };
}

/** Runs virtual time until pred holds; first lets pending continuations schedule what they will. */
async function untilOn(clock: VirtualClock, pred: () => boolean, ms: number): Promise<boolean> {
  await clock.runFor(0);
  return clock.runUntilCondition(pred, clock.now() + ms);
}

function expectMonotonic(reports: TaskStatus[]): void {
  for (let i = 1; i < reports.length; i++) expect(isForward(reports[i - 1]!.State, reports[i]!.State)).toBe(true);
}

describe('task controller', () => {
  it('drives an assigned task to running, reporting every state once', async () => {
    const c = setup({ behaviour: { prepareMs: 30, startMs: 20 } });
    expect(await c.until(() => c.ctrl.state === 'running')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running']);
    expect(c.reports.map((r) => r.Message)).toEqual(['accepted', 'preparing', 'prepared', 'starting', 'started']);
    const running = c.reports[4]!;
    expect(running.ContainerStatus?.ContainerID).toMatch(/^c\d+$/);
    expect(running.ContainerStatus?.PID).toBeGreaterThan(0);
    expect(c.executor.running()).toEqual(['t1']);
  });

  it('desired ready: prepared but not started until desired running', async () => {
    const c = setup({ task: { DesiredState: 'ready' } });
    await c.until(() => c.ctrl.state === 'ready');
    await c.clock.runFor(5_000);
    expect(c.ctrl.state).toBe('ready');
    expect(c.executor.phase('t1')).toBe('prepared');
    expect(c.executor.calls.map((x) => x.op)).toEqual(['prepare']);
    c.desire('running');
    expect(await c.until(() => c.ctrl.state === 'running')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running']);
  });

  it('desired shutdown: stops the task and reports shutdown (not the exit it caused)', async () => {
    const c = setup({ behaviour: { stopMs: 100 } });
    await c.until(() => c.ctrl.state === 'running');
    c.desire('shutdown');
    expect(await c.until(() => c.ctrl.state === 'shutdown')).toBe(true);
    expect(c.states().slice(-2)).toEqual(['running', 'shutdown']);
    expect(c.executor.phase('t1')).toBe('exited');
    await c.clock.runFor(1_000);
    expect(c.states().at(-1)).toBe('shutdown');
    expectMonotonic(c.reports);
  });

  it('a task that exits 0 completes; one that exits non-zero fails with its code', async () => {
    const ok = setup();
    await ok.until(() => ok.ctrl.state === 'running');
    ok.executor.exit('t1');
    await ok.until(() => ok.ctrl.state === 'complete');
    expect(ok.reports.at(-1)).toMatchObject({ State: 'complete', Message: 'finished', ContainerStatus: { ExitCode: 0 } });

    const bad = setup({ behaviour: { exitAfterMs: 3_000, exitCode: 2 } });
    await bad.until(() => bad.ctrl.state === 'failed');
    expect(bad.clock.now() - 1_000_000).toBeGreaterThanOrEqual(3_000);
    expect(bad.reports.at(-1)).toMatchObject({ State: 'failed', Err: 'task: non-zero exit (2)', ContainerStatus: { ExitCode: 2 } });
    // A terminal task told to stop stays where it is.
    bad.desire('shutdown');
    await bad.clock.runFor(100);
    expect(bad.ctrl.state).toBe('failed');
  });

  it('a prepare failure rejects the task; a start failure fails it', async () => {
    const p = setup({ behaviour: { prepareError: 'image not found: swarmlab/nope' } });
    await p.until(() => p.ctrl.state === 'rejected');
    expect(p.reports.at(-1)).toMatchObject({ State: 'rejected', Err: 'image not found: swarmlab/nope' });
    const s = setup({ behaviour: { startError: 'exec: "nope": executable file not found' } });
    await s.until(() => s.ctrl.state === 'failed');
    expect(s.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'failed']);
    expect(s.reports.at(-1)?.Err).toContain('executable file not found');
  });

  it('a start that hangs stays starting, and can still be shut down', async () => {
    const c = setup({ behaviour: { hang: 'start' } });
    await c.until(() => c.ctrl.state === 'starting');
    await c.clock.runFor(60_000);
    expect(c.ctrl.state).toBe('starting');
    c.desire('shutdown');
    expect(await c.until(() => c.ctrl.state === 'shutdown')).toBe(true);
    expectMonotonic(c.reports);
  });

  it('a stop that hangs never reports shutdown', async () => {
    const c = setup({ behaviour: { hang: 'stop' } });
    await c.until(() => c.ctrl.state === 'running');
    c.desire('shutdown');
    await c.clock.runFor(60_000);
    expect(c.ctrl.state).toBe('running');
    expect(c.executor.phase('t1')).toBe('stopping');
  });

  it('removal frees the task: desired remove after shutdown, or leaving the assignments', async () => {
    const c = setup();
    await c.until(() => c.ctrl.state === 'running');
    c.desire('remove');
    await c.until(() => c.executor.phase('t1') === 'removed');
    expect(c.states().at(-1)).toBe('shutdown');
    const d = setup();
    await d.until(() => d.ctrl.state === 'running');
    await Promise.all([d.ctrl.remove(), d.clock.runFor(10)]);
    expect(d.executor.phase('t1')).toBe('removed');
    expect(d.executor.calls.map((x) => x.op)).toEqual(['prepare', 'start', 'stop', 'exit', 'remove']);
  });

  it('picks up a task an earlier agent started: adopts it if it runs, fails it if it is gone', async () => {
    const clock = new VirtualClock();
    const executor = new TestExecutor({ clock });
    const first = new TaskController({ task: task(), executor, clock, report: () => {} });
    first.start();
    await untilOn(clock, () => first.state === 'running', 1_000);
    // A new controller (agent restart) for the task the store has as running.
    const reports: TaskStatus[] = [];
    const again = new TaskController({
      task: task({ Status: { State: 'running', Message: 'started', Timestamp: '' } }),
      executor,
      clock,
      report: (_id, s) => reports.push(s),
    });
    again.start();
    await clock.runFor(100);
    expect(reports).toEqual([]);
    executor.exit('t1', 3);
    await untilOn(clock, () => again.state === 'failed', 1_000);
    expect(reports.map((r) => r.State)).toEqual(['failed']);

    const lost: TaskStatus[] = [];
    const gone = new TaskController({
      task: task({ ID: 't2', Status: { State: 'running', Message: 'started', Timestamp: '' } }),
      executor,
      clock,
      report: (_id, s) => lost.push(s),
    });
    gone.start();
    await untilOn(clock, () => gone.state === 'failed', 1_000);
    expect(lost[0]?.Err).toContain('not found on the node');
  });
});

describe('test executor', () => {
  it('is deterministic on the clock: steps take their time, tasks exit when told', async () => {
    const clock = new VirtualClock();
    const ex = new TestExecutor({ clock, behaviour: (t) => (t.ID === 'slow' ? { prepareMs: 100, startMs: 50 } : {}) });
    const slow = task({ ID: 'slow' });
    await Promise.all([ex.prepare(slow), clock.runFor(100)]);
    expect(ex.phase('slow')).toBe('prepared');
    const started = ex.start(slow);
    await clock.runFor(49);
    expect(ex.phase('slow')).toBe('starting');
    await clock.runFor(1);
    expect((await started).containerId).toBe('c1');
    const exited = ex.wait(slow);
    ex.fail('slow', 7, 'boom');
    expect(await exited).toEqual({ exitCode: 7, error: 'boom' });
    expect(await ex.inspect(slow)).toEqual({ state: 'exited', exitCode: 7 });
    expect(() => ex.exit('slow')).toThrow(/not running/);
  });

  it('hangs where told, until the task is stopped', async () => {
    const clock = new VirtualClock();
    const ex = new TestExecutor({ clock });
    const t = task();
    ex.setBehaviour('t1', { hang: 'prepare' });
    let settled: string | undefined;
    ex.prepare(t).then(
      () => (settled = 'resolved'),
      (e: Error) => (settled = e.message),
    );
    await clock.runFor(10_000);
    expect(settled).toBeUndefined();
    await Promise.all([ex.stop(t, 1_000), clock.runFor(1)]);
    expect(settled).toBe('stopped');
    expect(ex.phase('t1')).toBe('exited');
  });

  it('a crash loses every task', async () => {
    const clock = new VirtualClock();
    const ex = new TestExecutor({ clock });
    const t = task();
    await Promise.all([ex.prepare(t), clock.runFor(1)]);
    await Promise.all([ex.start(t), clock.runFor(1)]);
    expect(ex.running()).toEqual(['t1']);
    ex.crash();
    expect(ex.running()).toEqual([]);
    expect(await ex.inspect(t)).toEqual({ state: 'absent' });
  });
});
