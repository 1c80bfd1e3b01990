// What runs a task on a node. The process executor (built-in demo images as child processes), the
// docker executor (dockerode against an engine) and the test executor share this interface; the
// task controller drives it and turns its outcomes into task states.

import type { TaskObject } from '../api/objects.ts';

export interface ContainerInfo {
  containerId?: string;
  pid?: number;
}

export interface ExitInfo {
  exitCode: number;
  /** Why it exited, when more is known than the code (default: "task: non-zero exit (N)"). */
  error?: string;
}

/** What the executor knows about a task (after an agent restart, say). */
export type ExecState =
  | { state: 'absent' }
  | { state: 'prepared' }
  | ({ state: 'running' } & ContainerInfo)
  | { state: 'exited'; exitCode: number };

export interface Executor {
  /**
   * Makes everything ready for a start that can happen at once (image, container, mounts).
   * Idempotent. A rejection makes the task `rejected`.
   */
  prepare(task: TaskObject): Promise<void>;
  /** Starts the prepared task; resolves once it runs. A rejection makes the task `failed`. */
  start(task: TaskObject): Promise<ContainerInfo>;
  /** Resolves when the started task exits, by itself or because it was stopped (at once if it already has). */
  wait(task: TaskObject): Promise<ExitInfo>;
  /**
   * Stops the task: asks it to exit, and kills it after `graceMs`. Resolves once it no longer runs;
   * a task that was never started (or is being prepared or started) is stopped as well.
   */
  stop(task: TaskObject, graceMs: number): Promise<void>;
  /** Frees everything the task held (container, files). Idempotent. */
  remove(task: TaskObject): Promise<void>;
  inspect(task: TaskObject): Promise<ExecState>;
}

/** An executor failure with a message meant for Status.Err. */
export class ExecutorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorError';
  }
}

/** Docker's wording for a task that exited with a non-zero code. */
export const exitError = (code: number) => `task: non-zero exit (${code})`;

/** SwarmKit's default stop grace period, when the container spec sets none. */
export const DEFAULT_STOP_GRACE_MS = 10_000;
