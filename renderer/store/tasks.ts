// Which tasks the topology draws, and where: one dot per replica slot (or per global task's node),
// so a replacement started elsewhere is the same dot moving, not a new one appearing.

import type { TaskState, TaskView } from '../../main/lab/protocol.ts';

const ORDER: TaskState[] = [
  'new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running',
  'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned',
];
const RANK = new Map(ORDER.map((s, i) => [s, i]));
const RUNNING = RANK.get('running')!;
const ASSIGNED = RANK.get('assigned')!;

export function stateRank(s: TaskState): number {
  return RANK.get(s) ?? 0;
}

/** On its way to running, or running. */
export function isLive(t: TaskView): boolean {
  return stateRank(t.state) <= RUNNING;
}

/** Waiting for the scheduler: not yet on a node. */
export function isPending(t: TaskView): boolean {
  return t.desiredState === 'running' && stateRank(t.state) < ASSIGNED && !t.nodeId;
}

export function slotKey(t: TaskView): string {
  if (t.slot !== undefined) return `${t.serviceId}/${t.slot}`;
  if (t.nodeId) return `${t.serviceId}/@${t.nodeId}`;
  return t.id;
}

export interface Dot {
  key: string;
  task: TaskView;
  nodeId: string;
}

/**
 * The dots to draw: per slot, the task meant to run (desired running) wins over one being shut
 * down, and among those the newest. Tasks not on a node yet belong to the pending tray instead.
 */
export function dotsOf(tasks: Iterable<TaskView>): Map<string, Dot> {
  const best = new Map<string, Dot>();
  for (const t of tasks) {
    if (!t.nodeId || !isLive(t)) continue;
    const dot = dotOf(t, t.nodeId);
    const cur = best.get(dot.key);
    if (!cur || better(t, cur.task)) best.set(dot.key, dot);
  }
  return best;
}

/** Task views are replaced, never changed, on update: an unchanged task keeps its Dot (and key). */
const dotCache = new WeakMap<TaskView, Dot>();

function dotOf(t: TaskView, nodeId: string): Dot {
  let dot = dotCache.get(t);
  if (!dot) {
    dot = { key: slotKey(t), task: t, nodeId };
    dotCache.set(t, dot);
  }
  return dot;
}

function better(a: TaskView, b: TaskView): boolean {
  const wantA = a.desiredState === 'running' ? 1 : 0;
  const wantB = b.desiredState === 'running' ? 1 : 0;
  if (wantA !== wantB) return wantA > wantB;
  return a.timestamp > b.timestamp;
}

export function pendingTasks(tasks: Iterable<TaskView>): TaskView[] {
  const out: TaskView[] = [];
  for (const t of tasks) if (isPending(t)) out.push(t);
  return out;
}

/** Running tasks per node (what `data-tasks` on a node says). */
export function runningPerNode(dots: Map<string, Dot>): Map<string, number> {
  const n = new Map<string, number>();
  for (const d of dots.values()) if (d.task.state === 'running') n.set(d.nodeId, (n.get(d.nodeId) ?? 0) + 1);
  return n;
}
