// One controller per task, after SwarmKit's exec.Do: it drives the task through its states with the
// executor, one step at a time, honouring the desired state — `ready`: prepare only; `running`:
// prepare and start; past running: stop and report `shutdown` — and reports every state it
// reaches. Its state only moves forward; an executor failure before the start rejects the task,
// from the start on it fails it.

import type { TaskObject, TaskState, TaskStatus } from '../api/objects.ts';
import { isForward, isTerminal, stateRank } from '../api/task-state.ts';
import type { Clock } from '../clock.ts';
import { DEFAULT_STOP_GRACE_MS, exitError, type ContainerInfo, type Executor } from './executor.ts';

export interface TaskControllerOptions {
  task: TaskObject;
  executor: Executor;
  clock: Clock;
  /** Receives every state the task reaches, in order, each strictly after the previous one. */
  report: (taskId: string, status: TaskStatus) => void;
  logger?: (line: string) => void;
}

const RUNNING = stateRank('running');
const STARTING = stateRank('starting');

export class TaskController {
  private task: TaskObject;
  private current: TaskState;
  private status: TaskStatus;
  private busy = false;
  private stopping: Promise<void> | undefined;
  private gone = false;
  private freed: Promise<void> | undefined;
  /** Whether this controller prepared the task itself (else prepare again before starting). */
  private prepared = false;
  /** Picked up at starting/running from an earlier agent: ask the executor what really runs. */
  private resume: boolean;
  private container: ContainerInfo = {};

  constructor(private readonly opts: TaskControllerOptions) {
    this.task = opts.task;
    const s = opts.task.Status.State;
    this.current = stateRank(s) <= stateRank('assigned') ? 'assigned' : s;
    this.status = opts.task.Status;
    this.resume = this.current === 'starting' || this.current === 'running';
  }

  /** Starts driving the task (its first report may come at once). */
  start(): void {
    this.kick();
  }

  get id(): string {
    return this.task.ID;
  }

  /** The state this agent last reported (or found). */
  get state(): TaskState {
    return this.current;
  }

  get desiredState(): TaskState {
    return this.task.DesiredState;
  }

  get lastStatus(): TaskStatus {
    return this.status;
  }

  /** A newer version of the task from the dispatcher: its desired state or spec changed. */
  update(task: TaskObject): void {
    if (this.gone) return;
    this.task = task;
    this.kick();
  }

  /** The task left the node's assignments: stop it if it runs, and free what it held. */
  async remove(): Promise<void> {
    this.gone = true;
    if (!isTerminal(this.current)) await this.shutdown();
    await this.free();
  }

  // ---- the state machine ---------------------------------------------------------------------------

  private wantsStop(): boolean {
    return stateRank(this.task.DesiredState) > RUNNING && !isTerminal(this.current);
  }

  private interrupted(): boolean {
    return this.stopping !== undefined || this.gone;
  }

  private kick(): void {
    if (this.gone) return;
    // A stop does not wait for a prepare or a start in progress (which may never finish).
    if (this.wantsStop()) {
      void this.shutdown();
      return;
    }
    if (this.busy || this.stopping) return;
    void this.run();
  }

  private async run(): Promise<void> {
    this.busy = true;
    try {
      while (!this.interrupted() && (await this.step()));
    } catch (err) {
      this.log(`task ${this.id}: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** Takes one step; true if another may follow at once. */
  private async step(): Promise<boolean> {
    const exec = this.opts.executor;
    if (isTerminal(this.current)) {
      if (this.task.DesiredState === 'remove') await this.free();
      return false;
    }
    if (this.wantsStop()) {
      void this.shutdown();
      return false;
    }
    const desired = stateRank(this.task.DesiredState);
    switch (this.current) {
      case 'assigned':
        return this.transition('accepted', 'accepted');
      case 'accepted':
        return this.transition('preparing', 'preparing');
      case 'preparing':
        if (!(await this.prepare())) return false;
        return this.transition('ready', 'prepared');
      case 'ready':
        if (desired < RUNNING) return false; // prepared; started once told to run
        if (!this.prepared && !(await this.prepare())) return false;
        return this.transition('starting', 'starting');
      case 'starting': {
        if (this.resume) {
          this.resume = false;
          const found = await exec.inspect(this.task);
          if (this.interrupted()) return false;
          if (found.state === 'running' || found.state === 'exited') return this.adopt(found);
          this.prepared = found.state === 'prepared';
        }
        if (!this.prepared && !(await this.prepare())) return false;
        let info: ContainerInfo;
        try {
          info = await exec.start(this.task);
        } catch (err) {
          if (!this.interrupted()) this.fatal(err);
          return false;
        }
        if (this.interrupted()) return false;
        this.container = { ...info };
        this.transition('running', 'started');
        this.watchExit();
        return false;
      }
      case 'running': {
        if (this.resume) {
          this.resume = false;
          const found = await exec.inspect(this.task);
          if (this.interrupted()) return false;
          if (found.state === 'running' || found.state === 'exited') return this.adopt(found);
          this.fatal(new Error('task not found on the node: it stopped while the agent was away'));
        }
        return false;
      }
      default:
        return false;
    }
  }

  private async prepare(): Promise<boolean> {
    try {
      await this.opts.executor.prepare(this.task);
    } catch (err) {
      if (!this.interrupted()) this.fatal(err);
      return false;
    }
    if (this.interrupted()) return false;
    this.prepared = true;
    return true;
  }

  /** Takes over a task an earlier agent started. */
  private adopt(found: { state: 'running'; containerId?: string; pid?: number } | { state: 'exited'; exitCode: number }): boolean {
    if (found.state === 'running') {
      this.container = { containerId: found.containerId, pid: found.pid };
      this.transition('running', 'started');
      this.watchExit();
    } else {
      this.exited(found.exitCode);
    }
    return false;
  }

  private watchExit(): void {
    this.opts.executor.wait(this.task).then(
      (exit) => {
        // An exit we caused by stopping the task is reported as `shutdown` by the stop.
        if (this.stopping || this.current !== 'running') return;
        this.exited(exit.exitCode, exit.error);
      },
      (err: unknown) => {
        if (!this.stopping && this.current === 'running') this.fatal(err);
      },
    );
  }

  private exited(exitCode: number, error?: string): void {
    if (exitCode === 0) this.transition('complete', 'finished', { exitCode });
    else this.transition('failed', 'failed', { exitCode, err: error ?? exitError(exitCode) });
  }

  private shutdown(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      const graceNs = this.task.Spec.ContainerSpec.StopGracePeriod;
      const graceMs = graceNs !== undefined ? graceNs / 1_000_000 : DEFAULT_STOP_GRACE_MS;
      try {
        await this.opts.executor.stop(this.task, graceMs);
      } catch (err) {
        if (!isTerminal(this.current)) this.transition('failed', 'failed', { err: `could not stop the task: ${(err as Error).message}` });
        return;
      }
      if (!isTerminal(this.current)) this.transition('shutdown', 'shutdown');
      if (this.task.DesiredState === 'remove') await this.free();
    })();
    return this.stopping;
  }

  private free(): Promise<void> {
    this.freed ??= this.opts.executor.remove(this.task).catch((err: unknown) => {
      this.log(`task ${this.id}: could not remove it: ${(err as Error).message}`);
    });
    return this.freed;
  }

  /** SwarmKit's fatal: rejected before the start, failed from the start on. */
  private fatal(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const state: TaskState = stateRank(this.current) < STARTING ? 'rejected' : 'failed';
    this.transition(state, state, { err: message });
  }

  private transition(state: TaskState, message: string, extra: { exitCode?: number; err?: string } = {}): boolean {
    if (!isForward(this.current, state)) return false;
    this.current = state;
    const hasContainer = this.container.containerId !== undefined || this.container.pid !== undefined || extra.exitCode !== undefined;
    const status: TaskStatus = {
      Timestamp: new Date(this.opts.clock.now()).toISOString(),
      State: state,
      Message: message,
      ...(extra.err !== undefined ? { Err: extra.err } : {}),
      ...(hasContainer
        ? {
            ContainerStatus: {
              ...(this.container.containerId !== undefined ? { ContainerID: this.container.containerId } : {}),
              ...(this.container.pid !== undefined ? { PID: this.container.pid } : {}),
              ...(extra.exitCode !== undefined ? { ExitCode: extra.exitCode } : {}),
            },
          }
        : {}),
    };
    this.status = status;
    this.opts.report(this.task.ID, status);
    return true;
  }

  private log(line: string): void {
    this.opts.logger?.(line);
  }
}
