// An in-memory executor for tests and the simulator: nothing runs, but every task goes through
// the same life (prepared, started, running, exited, stopped, removed) on the injected clock, so a
// run is deterministic. A task can be told to exit (complete), fail (exit code), or hang (never
// prepare, never start, never stop) — by a behaviour chosen when it is first seen, or later by hand.

import type { TaskObject } from '../api/objects.ts';
import type { Clock, Timer } from '../clock.ts';
import { ExecutorError, type ContainerInfo, type ExecState, type Executor, type ExitInfo } from './executor.ts';

export interface TestTaskBehaviour {
  /** How long each step takes (ms, default 0: the next clock event). */
  prepareMs?: number;
  startMs?: number;
  stopMs?: number;
  /** The prepare fails with this message (the task is rejected). */
  prepareError?: string;
  /** The start fails with this message (the task fails). */
  startError?: string;
  /** Once running, the task exits by itself after this long, with `exitCode` (default 0). */
  exitAfterMs?: number;
  exitCode?: number;
  /** This step never finishes. */
  hang?: 'prepare' | 'start' | 'stop';
}

export type TestTaskPhase = 'preparing' | 'prepared' | 'starting' | 'running' | 'stopping' | 'exited' | 'removed';

export interface TestExecutorOptions {
  clock: Clock;
  /** The behaviour of a task when the executor first sees it (default: all steps succeed at once). */
  behaviour?: (task: TaskObject) => TestTaskBehaviour;
  /** Prefix of container IDs (default "c"). */
  idPrefix?: string;
}

interface Entry {
  task: TaskObject;
  behaviour: TestTaskBehaviour;
  phase: TestTaskPhase;
  containerId?: string;
  pid?: number;
  exit?: ExitInfo;
  exitWaiters: ((e: ExitInfo) => void)[];
  /** Settles a pending prepare or start when the task is stopped meanwhile. */
  abort?: (err: Error) => void;
  exitTimer?: Timer;
}

export interface ExecutorCall {
  at: number;
  op: 'prepare' | 'start' | 'stop' | 'remove' | 'exit';
  taskId: string;
}

export class TestExecutor implements Executor {
  /** Every operation, in order, for assertions. */
  readonly calls: ExecutorCall[] = [];
  private readonly entries = new Map<string, Entry>();
  /** Behaviours set for tasks not seen yet. */
  private readonly early = new Map<string, TestTaskBehaviour>();
  private seq = 0;

  constructor(private readonly opts: TestExecutorOptions) {}

  // ---- Executor ------------------------------------------------------------------------------------

  prepare(task: TaskObject): Promise<void> {
    const e = this.entry(task);
    this.record('prepare', task.ID);
    if (e.phase !== 'preparing' && e.phase !== 'prepared') {
      return e.phase === 'removed' ? Promise.reject(new ExecutorError('task was removed')) : Promise.resolve();
    }
    const b = e.behaviour;
    if (b.hang === 'prepare') return this.hang(e);
    return this.after(e, b.prepareMs, () => {
      if (b.prepareError !== undefined) throw new ExecutorError(b.prepareError);
      if (e.phase === 'preparing') e.phase = 'prepared';
    });
  }

  start(task: TaskObject): Promise<ContainerInfo> {
    const e = this.entry(task);
    this.record('start', task.ID);
    if (e.phase === 'running') return Promise.resolve({ containerId: e.containerId, pid: e.pid });
    if (e.phase !== 'prepared') return Promise.reject(new ExecutorError(`cannot start a task that is ${e.phase}`));
    const b = e.behaviour;
    e.phase = 'starting';
    if (b.hang === 'start') return this.hang(e);
    return this.after(e, b.startMs, () => {
      if (b.startError !== undefined) {
        e.phase = 'exited';
        e.exit = { exitCode: 128, error: b.startError };
        throw new ExecutorError(b.startError);
      }
      e.phase = 'running';
      e.containerId = `${this.opts.idPrefix ?? 'c'}${++this.seq}`;
      e.pid = 1000 + this.seq;
      if (b.exitAfterMs !== undefined) {
        e.exitTimer = this.opts.clock.setTimeout(() => this.finish(e, { exitCode: b.exitCode ?? 0 }), b.exitAfterMs);
      }
      return { containerId: e.containerId, pid: e.pid };
    });
  }

  wait(task: TaskObject): Promise<ExitInfo> {
    const e = this.entries.get(task.ID);
    if (!e) return Promise.reject(new ExecutorError('no such task'));
    if (e.exit) return Promise.resolve(e.exit);
    return new Promise((resolve) => e.exitWaiters.push(resolve));
  }

  stop(task: TaskObject, _graceMs: number): Promise<void> {
    const e = this.entries.get(task.ID);
    this.record('stop', task.ID);
    if (!e || e.phase === 'exited' || e.phase === 'removed') return Promise.resolve();
    if (e.behaviour.hang === 'stop') {
      e.phase = 'stopping';
      return new Promise<void>(() => {});
    }
    // A prepare or start in progress is abandoned.
    e.abort?.(new ExecutorError('stopped'));
    const wasRunning = e.phase === 'running' || e.phase === 'stopping';
    e.phase = 'stopping';
    return new Promise<void>((resolve) => {
      this.opts.clock.setTimeout(() => {
        this.finish(e, { exitCode: wasRunning ? 143 : 0 });
        resolve();
      }, e.behaviour.stopMs ?? 0);
    });
  }

  remove(task: TaskObject): Promise<void> {
    const e = this.entries.get(task.ID);
    this.record('remove', task.ID);
    if (!e) return Promise.resolve();
    if (e.phase !== 'exited' && e.phase !== 'removed') this.finish(e, { exitCode: 137 });
    e.phase = 'removed';
    return Promise.resolve();
  }

  async inspect(task: TaskObject): Promise<ExecState> {
    const e = this.entries.get(task.ID);
    if (!e || e.phase === 'removed') return { state: 'absent' };
    switch (e.phase) {
      case 'preparing':
        return { state: 'absent' };
      case 'prepared':
        return { state: 'prepared' };
      case 'exited':
        return { state: 'exited', exitCode: e.exit?.exitCode ?? 0 };
      default:
        return { state: 'running', containerId: e.containerId, pid: e.pid };
    }
  }

  // ---- control -------------------------------------------------------------------------------------

  /** The running task exits by itself with `exitCode` (0: complete). */
  exit(taskId: string, exitCode = 0, error?: string): void {
    const e = this.entries.get(taskId);
    if (!e || e.phase !== 'running') throw new Error(`test executor: task ${taskId} is not running`);
    this.finish(e, error === undefined ? { exitCode } : { exitCode, error });
  }

  /** The running task fails: it exits with a non-zero code. */
  fail(taskId: string, exitCode = 1, error?: string): void {
    if (exitCode === 0) throw new Error('test executor: a failure needs a non-zero exit code');
    this.exit(taskId, exitCode, error);
  }

  /** Changes how a task behaves from now on (steps already under way are not affected). */
  setBehaviour(taskId: string, b: TestTaskBehaviour): void {
    const e = this.entries.get(taskId);
    if (e) e.behaviour = { ...e.behaviour, ...b };
    else this.early.set(taskId, { ...this.early.get(taskId), ...b });
  }

  /** The node crashed: every task is gone, as its processes would be. */
  crash(): void {
    for (const e of this.entries.values()) {
      e.exitTimer?.cancel();
      e.abort = undefined;
    }
    this.entries.clear();
  }

  phase(taskId: string): TestTaskPhase | undefined {
    return this.entries.get(taskId)?.phase;
  }

  /** IDs of the tasks running now. */
  running(): string[] {
    return [...this.entries.values()].filter((e) => e.phase === 'running').map((e) => e.task.ID);
  }

  // ---- internals -----------------------------------------------------------------------------------

  private entry(task: TaskObject): Entry {
    let e = this.entries.get(task.ID);
    if (!e) {
      const behaviour = { ...this.opts.behaviour?.(task), ...this.early.get(task.ID) };
      this.early.delete(task.ID);
      e = { task, behaviour, phase: 'preparing', exitWaiters: [] };
      this.entries.set(task.ID, e);
    }
    e.task = task;
    return e;
  }

  private record(op: ExecutorCall['op'], taskId: string): void {
    this.calls.push({ at: this.opts.clock.now(), op, taskId });
  }

  private hang<T>(e: Entry): Promise<T> {
    return new Promise<T>((_resolve, reject) => {
      e.abort = (err) => {
        e.abort = undefined;
        reject(err);
      };
    });
  }

  /** Runs `fn` after `ms` on the clock, unless the task is stopped first. */
  private after<T>(e: Entry, ms: number | undefined, fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = this.opts.clock.setTimeout(() => {
        if (done) return;
        done = true;
        e.abort = undefined;
        try {
          resolve(fn());
        } catch (err) {
          reject(err as Error);
        }
      }, ms ?? 0);
      e.abort = (err) => {
        if (done) return;
        done = true;
        e.abort = undefined;
        timer.cancel();
        reject(err);
      };
    });
  }

  private finish(e: Entry, exit: ExitInfo): void {
    if (e.phase === 'exited' || e.phase === 'removed') return;
    e.exitTimer?.cancel();
    e.phase = 'exited';
    e.exit = exit;
    this.record('exit', e.task.ID);
    const waiters = e.exitWaiters;
    e.exitWaiters = [];
    for (const w of waiters) w(exit);
  }
}
