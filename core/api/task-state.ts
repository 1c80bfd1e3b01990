// Task state is a Lamport clock: a task's observed state only moves forward, so a late or
// duplicated status report can never undo a newer one. This module is the one place that decides.

import type { TaskState } from './objects.ts';

export const TASK_STATES: readonly TaskState[] = [
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
];

const rank = new Map(TASK_STATES.map((s, i) => [s, i]));

export function stateRank(s: TaskState): number {
  const r = rank.get(s);
  if (r === undefined) throw new Error(`unknown task state ${String(s)}`);
  return r;
}

/** True when `next` may follow `current`: strictly later in the order. */
export function isForward(current: TaskState, next: TaskState): boolean {
  return stateRank(next) > stateRank(current);
}

/** A task in one of these states will not run again. */
export function isTerminal(s: TaskState): boolean {
  return stateRank(s) >= stateRank('complete');
}

/** Running or on its way there (assigned to a node and not finished). */
export function isActive(s: TaskState): boolean {
  return stateRank(s) >= stateRank('assigned') && stateRank(s) <= stateRank('running');
}

export function isFailure(s: TaskState): boolean {
  return s === 'failed' || s === 'rejected';
}

/** The task is meant to run: its desired state is still `running` (or `ready`, about to start). */
export function meantToRun(t: { DesiredState: TaskState }): boolean {
  return stateRank(t.DesiredState) <= stateRank('running');
}

/**
 * The task no longer runs and never will again: it stopped, or it was told to stop before it ever
 * reached a node (no agent will report on it, so waiting for its report would wait forever).
 */
export function isStopped(t: { DesiredState: TaskState; Status: { State: TaskState } }): boolean {
  if (isTerminal(t.Status.State)) return true;
  return !meantToRun(t) && stateRank(t.Status.State) < stateRank('assigned');
}
