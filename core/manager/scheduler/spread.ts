// Where the tasks of a group go among the nodes that can take them. SwarmKit's spread: the node
// with the fewest tasks of the service first, then the fewest tasks overall; a node where the
// service keeps failing comes last. Placement preferences (`spread=node.labels.zone`) first
// balance the service's tasks across the label's values, level by level (nodes without the label
// form a branch of their own), then use the same ordering within a branch.

import type { PlacementPreference } from '../../api/objects.ts';
import { MAX_FAILURES, type NodeInfo } from './node-info.ts';

/**
 * A node's place in the order for one group of tasks, as numbers so the heap compares cheaply:
 * SwarmKit's nodeLess. `faulty` is the service's recent failures on the node once they reach
 * MAX_FAILURES (0 below), so a faulty node sorts after the others, the least faulty first.
 */
export class NodeSlot {
  faulty = 0;
  service = 0;
  total = 0;
  constructor(readonly node: NodeInfo) {}
}

export class NodeRanker {
  constructor(
    readonly serviceId: string,
    readonly failureKey: string,
    readonly now: number,
  ) {}

  /** Reads the slot's numbers from its node (after the node's counts changed). */
  rank(slot: NodeSlot): void {
    const n = slot.node;
    const f = n.recentFailures(this.failureKey, this.now);
    slot.faulty = f >= MAX_FAILURES ? f : 0;
    slot.service = n.serviceTasks(this.serviceId);
    slot.total = n.activeTasksCount;
  }
}

/** Negative when `a` should get the service's next task before `b`. Ties go by node ID. */
export function compareSlots(a: NodeSlot, b: NodeSlot): number {
  return (
    a.faulty - b.faulty ||
    a.service - b.service ||
    a.total - b.total ||
    (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0)
  );
}

/** The same order as a comparator of NodeInfos (for sorting a few nodes; the heap uses slots). */
export function nodeOrder(serviceId: string, failureKey: string, now: number): (a: NodeInfo, b: NodeInfo) => number {
  const ranker = new NodeRanker(serviceId, failureKey, now);
  return (a, b) => {
    const sa = new NodeSlot(a);
    const sb = new NodeSlot(b);
    ranker.rank(sa);
    ranker.rank(sb);
    return compareSlots(sa, sb);
  };
}

/** A binary min-heap of node slots. */
export class NodeHeap {
  private readonly items: NodeSlot[];

  constructor(items: NodeSlot[]) {
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.items.length;
  }

  /** The slots left, in heap order. */
  remaining(): readonly NodeSlot[] {
    return this.items;
  }

  pop(): NodeSlot | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.down(0);
    }
    return top;
  }

  push(n: NodeSlot): void {
    const items = this.items;
    let i = items.length;
    items.push(n);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (compareSlots(n, p) >= 0) break;
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
      if (child + 1 < len && compareSlots(items[child + 1]!, items[child]!) < 0) child++;
      const c = items[child]!;
      if (compareSlots(c, n) >= 0) break;
      items[i] = c;
      i = child;
    }
    items[i] = n;
  }
}

/**
 * Places up to `count` tasks on `nodes` (all of which can take the task), one at a time on the
 * best node by the ranker's order. `place` puts one task on a node and says whether the node can
 * still take another. Returns how many were placed; `nodes` is left holding the nodes that can
 * still take one (so a spread-tree leaf can be filled again).
 */
export function spreadOverNodes(
  count: number,
  nodes: NodeInfo[],
  ranker: NodeRanker,
  place: (node: NodeInfo) => boolean,
): number {
  if (count <= 0 || nodes.length === 0) return 0;
  const slots = nodes.map((n) => {
    const slot = new NodeSlot(n);
    ranker.rank(slot);
    return slot;
  });
  const heap = new NodeHeap(slots);
  let placed = 0;
  while (placed < count) {
    const best = heap.pop();
    if (!best) break;
    placed++;
    // The node's counts changed: it goes back in at its new place, if it can take more.
    if (place(best.node)) {
      ranker.rank(best);
      heap.push(best);
    }
  }
  nodes.length = 0;
  for (const slot of heap.remaining()) nodes.push(slot.node);
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
