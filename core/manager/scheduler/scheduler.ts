// The scheduler, in SwarmKit's design: it keeps a NodeInfo per node up to date from the store's
// changes, collects the tasks that wait for a node (`pending`, meant to run) and, in batched
// passes, assigns them: tasks of one service and spec are scheduled as a group (one filtering and
// one ordering of the nodes serve them all), and the decisions are committed in large
// transactions. A task no node can take stays `pending`, with the reason in Status.Err.
//
// What it does not do: take tasks away from nodes that went down, were drained or paused (the
// orchestrators decide that), or move running tasks to rebalance.

import type { NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { isFailure, isForward, stateRank } from '../../api/task-state.ts';
import type { Timer } from '../../clock.ts';
import type { Change } from '../../store/state.ts';
import type { StoreEvent } from '../../store/store.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import { defaultFilters, type Filter } from './filters.ts';
import { failureKey, holdsNode, meantToRun, NodeInfo, serviceHostPorts, type HostPortResolver } from './node-info.ts';
import { noSuitableNode, Pipeline } from './pipeline.ts';
import { buildSpreadTree, NodeRanker, spreadLevels, spreadOverNodes, spreadOverTree } from './spread.ts';

export interface SchedulerOptions {
  /** A pass runs this long after the first change that calls for one, so changes batch up (ms). */
  batchDelayMs?: number;
  /** At most this many task changes per store transaction. */
  maxBatchSize?: number;
  /** The host-mode ports a task publishes (default: from its service's endpoint). */
  hostPorts?: HostPortResolver;
  /** Replaces the default filter pipeline. */
  filters?: (hostPorts: HostPortResolver) => Filter[];
}

export const DEFAULT_BATCH_DELAY_MS = 10;
export const DEFAULT_MAX_BATCH_SIZE = 250;

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';
export const PREASSIGNED_MESSAGE = 'scheduler confirmed task can run on preassigned node';

/** One write the scheduler wants: an assignment (nodeId set), or a new Status.Err. */
interface Decision {
  /** The task as the decision read it: the write fails if it changed since. */
  task: TaskObject;
  next: TaskObject;
  nodeId?: string;
}

export interface SchedulerStats {
  passes: number;
  /** Transactions that wrote something. */
  transactions: number;
  assigned: number;
  /** Decisions dropped because the task changed before they were written (retried). */
  retried: number;
}

const RUNNING = stateRank('running');

/** Waiting for the scheduler: pending and meant to run (SwarmKit also schedules desired `ready`). */
export function isSchedulable(t: TaskObject): boolean {
  return t.Status.State === 'pending' && stateRank(t.DesiredState) <= RUNNING;
}

function schedulingKey(n: NodeObject): string {
  const d = n.Description;
  return JSON.stringify([n.Spec, n.Status.State, d?.Hostname, d?.Platform, d?.Resources, d?.Engine.Labels]);
}

/** Tasks made from the same spec of the same service can share one scheduling decision. */
function groupKey(t: TaskObject): string {
  return t.SpecVersion ? `${t.ServiceID}\u0000${t.SpecVersion.Index}` : `${t.ServiceID}\u0000${JSON.stringify(t.Spec)}`;
}

export class Scheduler implements LeaderComponent {
  readonly name = 'scheduler';
  readonly stats: SchedulerStats = { passes: 0, transactions: 0, assigned: 0, retried: 0 };

  private readonly nodes = new Map<string, NodeInfo>();
  /** Task ID -> the node it is counted on (known or not). */
  private readonly taskNode = new Map<string, string>();
  /** Tasks placed on nodes the scheduler does not know (yet), by node ID. */
  private readonly orphans = new Map<string, Map<string, TaskObject>>();
  /** Waiting for a node, in arrival order. */
  private readonly pending = new Map<string, TaskObject>();
  /** Pending with a node already chosen (global services): the node is checked, not chosen. */
  private readonly preassigned = new Map<string, TaskObject>();
  private readonly services = new Map<string, ServiceObject>();

  private readonly pipeline: Pipeline;
  private readonly hostPorts: HostPortResolver;
  private readonly batchDelayMs: number;
  private readonly maxBatchSize: number;

  private unwatch: (() => void) | undefined;
  private timer: Timer | undefined;
  private running = false;
  private again = false;
  private stopped = true;

  constructor(
    private readonly ctx: ManagerContext,
    opts: SchedulerOptions = {},
  ) {
    this.batchDelayMs = opts.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS;
    this.maxBatchSize = Math.max(1, opts.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    this.hostPorts = opts.hostPorts ?? serviceHostPorts((id) => this.services.get(id));
    this.pipeline = new Pipeline((opts.filters ?? defaultFilters)(this.hostPorts));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // view and watch in one synchronous step: no change can fall between them.
    this.load();
    this.unwatch = this.ctx.store.watch((e) => this.onEvent(e));
    if (this.queued > 0) this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** No pass is due or running. */
  get idle(): boolean {
    return this.timer === undefined && !this.running;
  }

  /** Tasks waiting for a node. */
  get queued(): number {
    return this.pending.size + this.preassigned.size;
  }

  /** The scheduler's view of a node (for tests and diagnostics). */
  nodeInfo(id: string): NodeInfo | undefined {
    return this.nodes.get(id);
  }

  // ---- keeping up with the store --------------------------------------------------------------------

  private load(): void {
    this.nodes.clear();
    this.taskNode.clear();
    this.orphans.clear();
    this.pending.clear();
    this.preassigned.clear();
    this.services.clear();
    const { nodes, tasks, services } = this.ctx.store.view((tx) => ({
      nodes: tx.find('nodes'),
      tasks: tx.find('tasks'),
      services: tx.find('services'),
    }));
    for (const s of services) this.services.set(s.ID, s);
    for (const n of nodes) this.nodes.set(n.ID, new NodeInfo(n));
    for (const t of tasks) this.onTask(t.ID, t, undefined);
  }

  private onEvent(e: StoreEvent): void {
    if (this.stopped) return;
    if (e.restored) {
      this.load();
      if (this.queued > 0) this.wake();
      return;
    }
    let wake = false;
    for (const c of e.changes) {
      if (c.table === 'tasks') {
        const t = c.type === 'delete' ? undefined : (c.object as TaskObject);
        const prev = c.type === 'update' ? (c.old as TaskObject) : undefined;
        if (this.onTask(c.object.ID, t, prev)) wake = true;
      } else if (c.table === 'nodes') {
        if (this.onNode(c)) wake = true;
      } else if (c.table === 'services') {
        if (c.type === 'delete') this.services.delete(c.object.ID);
        else this.services.set(c.object.ID, c.object as ServiceObject);
      }
    }
    if (wake && this.queued > 0) this.wake();
  }

  /**
   * Brings the bookkeeping in line with a task's stored version (undefined: deleted). Returns
   * whether a pass is called for: a task started waiting, or a node may have room again.
   */
  private onTask(id: string, t: TaskObject | undefined, prev: TaskObject | undefined): boolean {
    let wake = false;
    const at = this.taskNode.get(id);
    const to = t && holdsNode(t) ? t.NodeID : undefined;
    if (at !== undefined && at !== to) {
      this.unplace(id, at);
      wake = true; // resources, ports or a replica slot were freed
    }
    if (t && to !== undefined) {
      if (at === to) {
        const info = this.nodes.get(to);
        if (info) {
          const before = info.tasks.get(id);
          info.addTask(t);
          if (before && meantToRun(before) && !meantToRun(t)) wake = true;
        } else {
          this.orphans.get(to)?.set(id, t);
        }
      } else {
        this.place(t, to);
      }
    }
    if (t && prev && t.NodeID && isFailure(t.Status.State) && !isFailure(prev.Status.State)) {
      this.nodes.get(t.NodeID)?.taskFailed(t, this.ctx.clock.now());
    }
    if (t && isSchedulable(t)) {
      const queue = t.NodeID ? this.preassigned : this.pending;
      (t.NodeID ? this.pending : this.preassigned).delete(id);
      if (!queue.has(id)) wake = true;
      queue.set(id, t);
    } else {
      this.pending.delete(id);
      this.preassigned.delete(id);
    }
    return wake;
  }

  private place(t: TaskObject, nodeId: string): void {
    this.taskNode.set(t.ID, nodeId);
    const info = this.nodes.get(nodeId);
    if (info) {
      info.addTask(t, this.hostPorts(t));
      return;
    }
    let m = this.orphans.get(nodeId);
    if (!m) this.orphans.set(nodeId, (m = new Map()));
    m.set(t.ID, t);
  }

  private unplace(id: string, nodeId: string): void {
    this.taskNode.delete(id);
    if (this.nodes.get(nodeId)?.removeTask(id)) return;
    const m = this.orphans.get(nodeId);
    if (m?.delete(id) && m.size === 0) this.orphans.delete(nodeId);
  }

  /** Returns whether the change may let waiting tasks be placed. */
  private onNode(c: Change): boolean {
    const id = c.object.ID;
    if (c.type === 'delete') {
      const info = this.nodes.get(id);
      if (info && info.tasks.size > 0) this.orphans.set(id, new Map(info.tasks));
      this.nodes.delete(id);
      return false;
    }
    const node = c.object as NodeObject;
    const info = this.nodes.get(id);
    if (!info) {
      const fresh = new NodeInfo(node);
      this.nodes.set(id, fresh);
      const waiting = this.orphans.get(id);
      this.orphans.delete(id);
      for (const t of waiting?.values() ?? []) fresh.addTask(t, this.hostPorts(t));
      return true;
    }
    const before = info.node;
    info.setNode(node);
    return this.queued > 0 && schedulingKey(before) !== schedulingKey(node);
  }

  // ---- passes -------------------------------------------------------------------------------------

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.batchDelayMs);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.again = false;
    try {
      this.stats.passes++;
      const decisions = this.decide();
      if (decisions.length > 0) await this.commit(decisions);
    } catch (err) {
      this.ctx.logger?.(this.name, `pass failed: ${(err as Error).message}`);
      this.again = true;
    } finally {
      this.running = false;
    }
    if (this.again) this.wake();
  }

  /** Decides for every waiting task; assignments are entered in the NodeInfos right away. */
  private decide(): Decision[] {
    const now = this.ctx.clock.now();
    const ts = new Date(now).toISOString();
    const out: Decision[] = [];
    // Preassigned tasks first, as SwarmKit does: global services' tasks take their node's room.
    for (const t of [...this.preassigned.values()]) {
      const info = this.nodes.get(t.NodeID!);
      if (!info) continue; // its node is not known (yet)
      this.pipeline.setTask(t);
      if (this.pipeline.process(info)) {
        out.push(this.assign(t, info, ts, PREASSIGNED_MESSAGE));
      } else {
        const err = this.pipeline.explain();
        if (t.Status.Err !== err) out.push({ task: t, next: withErr(t, err) });
      }
    }
    const groups = new Map<string, TaskObject[]>();
    for (const t of this.pending.values()) {
      const k = groupKey(t);
      const g = groups.get(k);
      if (g) g.push(t);
      else groups.set(k, [t]);
    }
    for (const g of groups.values()) this.scheduleGroup(g, out, now, ts);
    return out;
  }

  /** SwarmKit's scheduleTaskGroup: one filtering and ordering of the nodes for the whole group. */
  private scheduleGroup(tasks: TaskObject[], out: Decision[], now: number, ts: string): void {
    const first = tasks[0]!;
    const p = this.pipeline;
    p.setTask(first);
    const ranker = new NodeRanker(first.ServiceID, failureKey(first), now);
    let next = 0;
    const place = (info: NodeInfo): boolean => {
      out.push(this.assign(tasks[next++]!, info, ts, ASSIGNED_MESSAGE));
      return p.check(info);
    };
    const levels = spreadLevels(first.Spec.Placement?.Preferences);
    let placed: number;
    if (levels.length === 0) {
      const eligible: NodeInfo[] = [];
      for (const n of this.nodes.values()) if (p.process(n)) eligible.push(n);
      placed = spreadOverNodes(tasks.length, eligible, ranker, place);
    } else {
      const tree = buildSpreadTree(this.nodes.values(), first.ServiceID, levels, (n) => p.process(n));
      placed = spreadOverTree(tasks.length, tree, (count, nodes) => spreadOverNodes(count, nodes, ranker, place));
    }
    if (placed === tasks.length) return;
    // Explain from the nodes as they stand after this group's assignments.
    p.setTask(first);
    for (const n of this.nodes.values()) p.process(n);
    const err = noSuitableNode(p.explain());
    for (let i = placed; i < tasks.length; i++) {
      const t = tasks[i]!;
      if (t.Status.Err !== err) out.push({ task: t, next: withErr(t, err) });
    }
  }

  private assign(t: TaskObject, info: NodeInfo, ts: string, message: string): Decision {
    const next: TaskObject = {
      ...t,
      NodeID: info.id,
      Status: {
        State: 'assigned',
        Timestamp: ts,
        Message: message,
        ...(t.Status.PortStatus ? { PortStatus: t.Status.PortStatus } : {}),
      },
    };
    info.addTask(next, this.hostPorts(next));
    this.taskNode.set(t.ID, info.id);
    this.pending.delete(t.ID);
    this.preassigned.delete(t.ID);
    return { task: t, next, nodeId: info.id };
  }

  private async commit(decisions: Decision[]): Promise<void> {
    const batches: Promise<void>[] = [];
    for (let i = 0; i < decisions.length; i += this.maxBatchSize) {
      batches.push(this.commitBatch(decisions.slice(i, i + this.maxBatchSize)));
    }
    await Promise.all(batches);
  }

  private async commitBatch(batch: Decision[]): Promise<void> {
    let stale: Decision[] = [];
    let written = 0;
    let assigned = 0;
    try {
      await this.ctx.store.update((tx) => {
        stale = [];
        written = 0;
        assigned = 0;
        for (const d of batch) {
          const cur = tx.get('tasks', d.task.ID);
          if (
            !cur ||
            cur.Version.Index !== d.task.Version.Index ||
            (d.nodeId !== undefined && !isForward(cur.Status.State, d.next.Status.State))
          ) {
            stale.push(d);
            continue;
          }
          tx.update('tasks', d.next);
          written++;
          if (d.nodeId !== undefined) assigned++;
        }
      });
      if (written > 0) this.stats.transactions++;
      this.stats.assigned += assigned;
    } catch (err) {
      // Refused as a whole (a task changed between the decision and the commit, or no quorum):
      // every decision of the batch is undone and its task read again for the next pass.
      this.ctx.logger?.(this.name, `assignment transaction failed, will retry: ${(err as Error).message}`);
      stale = batch;
    }
    if (this.stopped || stale.length === 0) return;
    this.stats.retried += stale.length;
    for (const d of stale) this.retry(d);
    this.wake();
  }

  /** Undoes a decision that was not written and re-reads its task. */
  private retry(d: Decision): void {
    const id = d.task.ID;
    if (d.nodeId !== undefined && this.taskNode.get(id) === d.nodeId) {
      const info = this.nodes.get(d.nodeId);
      if (info?.tasks.get(id) === d.next) {
        info.removeTask(id);
        this.taskNode.delete(id);
      }
    }
    const cur = this.ctx.store.view((tx) => tx.get('tasks', id));
    this.onTask(id, cur, undefined);
  }
}

function withErr(t: TaskObject, err: string): TaskObject {
  return { ...t, Status: { ...t.Status, Err: err } };
}
