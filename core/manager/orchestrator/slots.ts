// A replicated service's tasks grouped by slot: the replicas Docker numbers 1..n. A slot lives as
// long as it has a task meant to run, or its last task stopped for good by the restart policy.

import type { ServiceObject, TaskObject } from '../../api/objects.ts';
import { meantToRun } from '../../api/task-state.ts';

export type Slot = TaskObject[];

/** Tasks of a slot, newest first (Version.Index grows with every change; CreatedAt breaks ties). */
function newestFirst(tasks: TaskObject[]): TaskObject[] {
  return [...tasks].sort((a, b) => b.CreatedAt.localeCompare(a.CreatedAt) || b.Version.Index - a.Version.Index);
}

export function groupBySlot(tasks: TaskObject[]): Map<number, Slot> {
  const slots = new Map<number, Slot>();
  for (const t of tasks) {
    if (t.DesiredState === 'remove' || t.Slot === undefined) continue;
    const s = slots.get(t.Slot);
    if (s) s.push(t);
    else slots.set(t.Slot, [t]);
  }
  return slots;
}

/**
 * Splits slots into live ones (with their tasks meant to run, or their stopped last task when the
 * restart policy will not restart it) and dead ones (whose tasks are all shut down).
 */
export function liveAndDeadSlots(
  service: ServiceObject,
  slots: Map<number, Slot>,
  shouldRestart: (t: TaskObject, s: ServiceObject) => boolean,
): { live: Map<number, Slot>; dead: Map<number, Slot> } {
  const live = new Map<number, Slot>();
  const dead = new Map<number, Slot>();
  for (const [n, tasks] of slots) {
    const running = tasks.filter(meantToRun);
    if (running.length > 0) {
      live.set(n, running);
      continue;
    }
    const last = newestFirst(tasks)[0]!;
    if (last.DesiredState === 'shutdown' && !shouldRestart(last, service) && last.Status.State !== 'shutdown') {
      live.set(n, [last]);
    } else {
      dead.set(n, tasks);
    }
  }
  return { live, dead };
}
