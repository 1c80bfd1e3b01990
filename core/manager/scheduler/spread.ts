// Where the tasks of a group go among the nodes that can take them. SwarmKit's spread: the node
// with the fewest tasks of the service first, then the fewest tasks overall; a node where the
// service keeps failing comes last. Placement preferences (`spread=node.labels.zone`) first
// balance the service's tasks across the label's values, level by level (nodes without the label
// form a branch of their own), then use the same ordering within a branch.

import type { PlacementPreference } from '../../api/objects.ts';
import { MAX_FAILURES, type NodeInfo } from './node-info.ts';

export type NodeCompare = (a: NodeInfo, b: NodeInfo) => number;

/** Negative when `a` should get the service's next task before `b`. Ties go by node ID. */
export function nodeOrder(serviceId: string, failureKey: string, now: number): NodeCompare {
  return (a, b) => {
    const fa = a.recentFailures(failureKey, now);
    const fb = b.recentFailures(failureKey, now);
    if ((fa >= MAX_FAILURES || fb >= MAX_FAILURES) && fa !== fb) return fa - fb;
    const d = a.serviceTasks(serviceId) - b.serviceTasks(serviceId);
    if (d !== 0) return d;
    const t = a.activeTasksCount - b.activeTasksCount;
    if (t !== 0) return t;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

/** A binary min-heap of nodes. */
export class NodeHeap {
  private readonly items: NodeInfo[];

  constructor(
    items: NodeInfo[],
    private readonly compare: NodeCompare,
  ) {
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.items.length;
  }

  pop(): NodeInfo | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.down(0);
    }
    return top;
  }

  push(n: NodeInfo): void {
    const items = this.items;
    let i = items.length;
    items.push(n);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (this.compare(n, p) >= 0) break;
      items[i] = p;
      i = parent;
    }
    items[i] = n;
  }

  private down(start: number): void {
    const items = this.items;
    const len = items.length;
    const n = items[start]!;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= len) break;
      if (child + 1 < len && this.compare(items[child + 1]!, items[child]!) < 0) child++;
      const c = items[child]!;
      if (this.compare(c, n) >= 0) break;
      items[i] = c;
      i = child;
    }
    items[i] = n;
  }
}

/**
 * Places up to `count` tasks on `nodes` (all of which can take the task), one at a time on the
 * best node by `compare`. `place` puts one task on a node and says whether the node can still take
 * another. Returns how many were placed. Takes ownership of the `nodes` array.
 */
export function spreadOverNodes(
  count: number,
  nodes: NodeInfo[],
  compare: NodeCompare,
  place: (node: NodeInfo) => boolean,
): number {
  if (count <= 0 || nodes.length === 0) return 0;
  const heap = new NodeHeap(nodes, compare);
  let placed = 0;
  while (placed < count) {
    const best = heap.pop();
    if (!best) break;
    placed++;
    // The node's counts changed: it goes back in at its new place, if it can take more.
    if (place(best)) heap.push(best);
  }
  return placed;
}

// ---- placement preferences ----------------------------------------------------------------------------

/** One level of the spread tree: the nodes that share a label value. */
export interface SpreadBranch {
  /** The label value ('' for nodes without the label). */
  key: string;
  /** Tasks of the service meant to run on all nodes of this branch (eligible or not). */
  tasks: number;
  /** Sub-branches by the next preference's value; absent on leaves. */
  children?: Map<string, SpreadBranch>;
  /** On leaves: the nodes that can take the task. */
  nodes: NodeInfo[];
}

/** The label a spread descriptor names, or undefined for descriptors SwarmKit ignores. */
export function spreadLabel(descriptor: string): { from: 'node' | 'engine'; label: string } | undefined {
  const lower = descriptor.toLowerCase();
  if (lower.startsWith('node.labels.') && descriptor.length > 'node.labels.'.length) {
    return { from: 'node', label: descriptor.slice('node.labels.'.length) };
  }
  if (lower.startsWith('engine.labels.') && descriptor.length > 'engine.labels.'.length) {
    return { from: 'engine', label: descriptor.slice('engine.labels.'.length) };
  }
  return undefined;
}

/** The supported spread descriptors of a task's preferences, in order. */
export function spreadLevels(prefs: readonly PlacementPreference[] | undefined): { from: 'node' | 'engine'; label: string }[] {
  const out: { from: 'node' | 'engine'; label: string }[] = [];
  for (const p of prefs ?? []) {
    const l = p.Spread?.SpreadDescriptor ? spreadLabel(p.Spread.SpreadDescriptor) : undefined;
    if (l) out.push(l);
  }
  return out;
}

function labelValue(n: NodeInfo, level: { from: 'node' | 'engine'; label: string }): string {
  const labels = level.from === 'node' ? n.node.Spec.Labels : n.node.Description?.Engine.Labels;
  return labels?.[level.label] ?? '';
}

export function buildSpreadTree(
  all: Iterable<NodeInfo>,
  serviceId: string,
  levels: readonly { from: 'node' | 'engine'; label: string }[],
  eligible: (n: NodeInfo) => boolean,
): SpreadBranch {
  const root: SpreadBranch = { key: '', tasks: 0, nodes: [] };
  for (const n of all) {
    const tasks = n.serviceTasks(serviceId);
    let branch = root;
    branch.tasks += tasks;
    for (const level of levels) {
      const value = labelValue(n, level);
      branch.children ??= new Map();
      let next = branch.children.get(value);
      if (!next) {
        next = { key: value, tasks: 0, nodes: [] };
        branch.children.set(value, next);
      }
      next.tasks += tasks;
      branch = next;
    }
    if (eligible(n)) branch.nodes.push(n);
  }
  return root;
}

const byTasksThenKey = (a: SpreadBranch, b: SpreadBranch) => a.tasks - b.tasks || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Places up to `count` tasks in a branch: at a leaf, with `leaf`; above, by filling the branches
 * with the fewest tasks up to a common level (water filling), the remainder going to the branches
 * with the fewest tasks. A branch that cannot take its share is closed and the rest redistributed.
 */
export function spreadOverTree(count: number, branch: SpreadBranch, leaf: (count: number, nodes: NodeInfo[]) => number): number {
  if (count <= 0) return 0;
  if (!branch.children) {
    const got = leaf(count, branch.nodes);
    branch.tasks += got;
    return got;
  }
  const open = [...branch.children.values()];
  let remaining = count;
  while (remaining > 0 && open.length > 0) {
    open.sort(byTasksThenKey);
    // The water level: the first j branches (fewest tasks) share `remaining` and end level.
    let sum = 0;
    let j = 0;
    while (j < open.length) {
      const t = open[j]!.tasks;
      if (j > 0 && (sum + t + remaining) / (j + 1) < t) break;
      sum += t;
      j++;
    }
    const total = sum + remaining;
    const base = Math.floor(total / j);
    let extra = total % j;
    const closed: SpreadBranch[] = [];
    for (let i = 0; i < j && remaining > 0; i++) {
      const b = open[i]!;
      let want = base - b.tasks;
      if (extra > 0) {
        want++;
        extra--;
      }
      want = Math.min(want, remaining);
      if (want <= 0) continue;
      const got = spreadOverTree(want, b, leaf); // updates b.tasks
      remaining -= got;
      if (got < want) closed.push(b);
    }
    if (closed.length === 0) break;
    for (const b of closed) open.splice(open.indexOf(b), 1);
  }
  branch.tasks += count - remaining;
  return count - remaining;
}
