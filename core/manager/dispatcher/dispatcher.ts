// The dispatcher, after SwarmKit's: the leader's side of the agents' sessions.
//
// - Sessions: a node opens one (the node object is created or updated: `ready`, its description,
//   its address); a newer session of the same node replaces the older one.
// - Heartbeats: every answer names the next period (the cluster's, jittered from the injected
//   Random); a node silent for period x grace multiplier is marked `down` ('heartbeat failure') and
//   its session ends. A new leader's dispatcher first marks every node that was not down `unknown`:
//   those that do not open a session within the (longer) unknown grace go `down`.
// - Assignments: per session, a stream of the node's tasks — a COMPLETE set, then INCREMENTAL
//   changes, coalesced over a short window. A task belongs to the set once it is `assigned` and
//   until it has stopped with a desired state past running (so the agent stops tasks told to stop);
//   tasks that leave the set are sent as removals.
// - Task status: the one writer of reported task status. Reports are queued and written in batches
//   (many tasks, one transaction), only when they move a task forward: a late or duplicated report
//   never undoes a newer state. Reports for another node's task are refused.
// - Removed nodes (deleted from the store, or listed in the cluster's BlacklistedCertificates) are
//   refused: "node <id> was removed from the swarm".

import type { ClusterObject, NodeObject, TaskObject, TaskStatus } from '../../api/objects.ts';
import { TIMING_PROFILES, nsToMs } from '../../api/defaults.ts';
import { newId } from '../../api/ids.ts';
import { isForward, isTerminal, stateRank } from '../../api/task-state.ts';
import type { Timer } from '../../clock.ts';
import {
  AGENT_REPORTED_STATES,
  DispatcherError,
  nodeRemovedError,
  type AssignmentExtras,
  type AssignmentsMessage,
  type FileAssignment,
  type AssignmentsObserver,
  type AssignmentsRequest,
  type DispatcherApi,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type ManagerPeer,
  type SessionRef,
  type SessionRequest,
  type SessionResponse,
  type Subscription,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from '../../dispatcher/protocol.ts';
import { StoreError } from '../../store/errors.ts';
import type { ReadTx, StoreEvent, Tx } from '../../store/store.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import type { DispatcherEndpoint } from './endpoint.ts';

import { buildNetworkMap, sameMap } from '../../network/map-builder.ts';
import type { NetworkMap } from '../../network/map.ts';

export const HEARTBEAT_FAILURE_MESSAGE = 'heartbeat failure';
/** SwarmKit's message for a node whose connection to the dispatcher broke. */
export const DISCONNECTED_MESSAGE = 'node is currently trying to find new manager';
export const UNKNOWN_AFTER_LEADER_CHANGE_MESSAGE = 'Node moved to "unknown" state due to leadership change in cluster';
export const UNKNOWN_HEARTBEAT_FAILURE_MESSAGE = 'heartbeat failure for node in "unknown" state';

export interface DispatcherOptions {
  /** Heartbeat period (ms) when the cluster spec sets none (default: the lab profile's). */
  defaultHeartbeatPeriodMs?: number;
  /** A node is down after this many periods without a heartbeat (default: the profile's, 3). */
  graceMultiplier?: number;
  /** Grace multiplier for nodes left `unknown` by a leader change (SwarmKit: twice the normal). */
  unknownGraceMultiplier?: number;
  /** Every period is drawn from period x [1 - jitter, 1 + jitter] (default 0.1, SwarmKit's 500 ms of 5 s). */
  jitter?: number;
  /** Status reports and node changes are written this long after the first one queued (ms, default 10). */
  statusBatchMs?: number;
  /** Assignment changes are sent this long after the first one (ms, default 10). */
  assignmentBatchMs?: number;
  /** At most this many objects per transaction (default 500). */
  maxBatchItems?: number;
  /** An assignments message carries at most this many changes before it is sent (default 200). */
  maxAssignmentBatch?: number;
  /** The managers agents fail over to (default: the store's manager nodes with an address). */
  managers?: () => ManagerPeer[];
  /** Registered while the dispatcher runs, so the manager's transport reaches it. */
  endpoint?: DispatcherEndpoint;
}

export interface DispatcherStats {
  /** Transactions written for status reports and node changes. */
  transactions: number;
  statusesApplied: number;
  /** Reports dropped when written: not forward, task gone, task moved. */
  statusesIgnored: number;
  /** Reports refused on arrival (another node's task, unknown task, invalid). */
  statusesRefused: number;
  /** Transactions retried after a conflict with another writer. */
  retries: number;
}

type NodeOp =
  | { kind: 'ready'; sessionId: string; req: SessionRequest }
  | { kind: 'down'; message: string }
  | { kind: 'disconnected' }
  | { kind: 'reconnected' }
  | { kind: 'unknown' };

type Waiter = (err?: DispatcherError) => void;

interface PendingStatus {
  nodeId: string;
  status: TaskStatus;
  waiters: Waiter[];
}

interface PendingNode {
  op: NodeOp;
  waiters: Waiter[];
}

interface Session {
  id: string;
  nodeId: string;
  expiry: Timer | undefined;
  streams: Set<AssignmentStream>;
}

const ASSIGNED = stateRank('assigned');
const RUNNING = stateRank('running');

/** Whether the agent should have the task: assigned, and not stopped for good. */
export function belongsToAssignments(t: TaskObject): boolean {
  if (stateRank(t.Status.State) < ASSIGNED) return false;
  return !(stateRank(t.DesiredState) > RUNNING && isTerminal(t.Status.State));
}

/** Equal but for what the agent itself reports (status) and the store's bookkeeping. */
function stableEqual(a: TaskObject, b: TaskObject): boolean {
  const strip = (t: TaskObject) => JSON.stringify({ ...t, Status: undefined, Version: undefined, UpdatedAt: undefined });
  return strip(a) === strip(b);
}

export class Dispatcher implements LeaderComponent, DispatcherApi {
  readonly name = 'dispatcher';
  readonly stats: DispatcherStats = { transactions: 0, statusesApplied: 0, statusesIgnored: 0, statusesRefused: 0, retries: 0 };

  private running = false;
  private unwatch: (() => void) | undefined;
  private readonly sessions = new Map<string, Session>();
  /** Nodes left `unknown` by the leader change, with the timer that marks them down. */
  private readonly unknown = new Map<string, Timer>();
  /** Nodes deleted while this dispatcher ran (before the tombstone is in the store). */
  private readonly removed = new Set<string>();
  private pendingNodes = new Map<string, PendingNode>();
  private pendingTasks = new Map<string, PendingStatus>();
  private flushTimer: Timer | undefined;
  private flushing = false;
  private basePeriodMs: number;
  private networkMap: NetworkMap | undefined;
  private mapTimer: Timer | undefined;

  private readonly defaultPeriodMs: number;
  private readonly grace: number;
  private readonly unknownGrace: number;
  private readonly jitter: number;
  private readonly statusBatchMs: number;
  readonly assignmentBatchMs: number;
  private readonly maxBatchItems: number;
  readonly maxAssignmentBatch: number;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly opts: DispatcherOptions = {},
  ) {
    const lab = TIMING_PROFILES.lab;
    this.defaultPeriodMs = opts.defaultHeartbeatPeriodMs ?? nsToMs(lab.dispatcherHeartbeat);
    this.grace = opts.graceMultiplier ?? lab.heartbeatGraceMultiplier;
    this.unknownGrace = opts.unknownGraceMultiplier ?? 2 * this.grace;
    this.jitter = opts.jitter ?? 0.1;
    this.statusBatchMs = opts.statusBatchMs ?? 10;
    this.assignmentBatchMs = opts.assignmentBatchMs ?? 10;
    this.maxBatchItems = opts.maxBatchItems ?? 500;
    this.maxAssignmentBatch = opts.maxAssignmentBatch ?? 200;
    this.basePeriodMs = this.defaultPeriodMs;
  }

  // ---- LeaderComponent -------------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loadConfig();
    this.unwatch = this.ctx.store.watch((e) => this.onStoreEvent(e));
    this.markNodesUnknown();
    this.opts.endpoint?.serve(this);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.opts.endpoint?.unserve(this);
    this.unwatch?.();
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    this.mapTimer?.cancel();
    this.mapTimer = undefined;
    this.networkMap = undefined;
    const stopped = new DispatcherError('unavailable', 'dispatcher stopped: this manager is no longer the leader');
    for (const s of [...this.sessions.values()]) this.endSession(s, stopped);
    for (const t of this.unknown.values()) t.cancel();
    this.unknown.clear();
    for (const p of this.pendingNodes.values()) p.waiters.forEach((w) => w(stopped));
    for (const p of this.pendingTasks.values()) p.waiters.forEach((w) => w(stopped));
    this.pendingNodes.clear();
    this.pendingTasks.clear();
  }

  /** The heartbeat period (ms) before jitter, from the cluster spec or the default. */
  get heartbeatPeriodMs(): number {
    return this.basePeriodMs;
  }

  /** Node IDs with a live session. */
  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  // ---- the protocol ----------------------------------------------------------------------------------

  async session(req: SessionRequest): Promise<SessionResponse> {
    this.ensureRunning();
    if (!req || typeof req.nodeId !== 'string' || req.nodeId === '' || !req.description || typeof req.addr !== 'string') {
      throw new DispatcherError('invalid-argument', 'a session needs a node ID, a description and an address');
    }
    const nodeId = req.nodeId;
    if (this.store().view((tx) => this.isRemoved(tx, nodeId))) {
      this.log(`refused a session from node ${nodeId}: it was removed from the swarm`);
      throw nodeRemovedError(nodeId);
    }
    const old = this.sessions.get(nodeId);
    if (old) this.endSession(old, new DispatcherError('session-invalid', 'session replaced by a newer one'));
    this.unknown.get(nodeId)?.cancel();
    this.unknown.delete(nodeId);

    const s: Session = { id: newId(this.ctx.random), nodeId, expiry: undefined, streams: new Set() };
    this.sessions.set(nodeId, s);
    this.armExpiry(s, this.choosePeriod());
    this.log(`node ${nodeId} (${req.description.Hostname}) opened session ${s.id} from ${req.addr}`);
    try {
      await new Promise<void>((resolve, reject) =>
        this.queueNode(nodeId, { kind: 'ready', sessionId: s.id, req }, (err) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      if (this.sessions.get(nodeId) === s) this.endSession(s, DispatcherError.from(err));
      throw err;
    }
    this.ensureRunning();
    if (this.sessions.get(nodeId) !== s) throw new DispatcherError('session-invalid', 'the session ended before it was established');
    return {
      sessionId: s.id,
      heartbeatPeriodMs: this.choosePeriod(),
      managers: this.managers(),
      node: this.store().view((tx) => tx.get('nodes', nodeId)),
    };
  }

  async heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    const s = this.checkSession(req);
    const periodMs = this.choosePeriod();
    this.armExpiry(s, periodMs);
    const role = this.store().view((tx) => tx.get('nodes', req.nodeId)?.Role);
    return role ? { periodMs, managers: this.managers(), role } : { periodMs, managers: this.managers() };
  }

  async updateTaskStatus(req: UpdateTaskStatusRequest): Promise<UpdateTaskStatusResponse> {
    const s = this.checkSession(req);
    if (!Array.isArray(req.updates)) throw new DispatcherError('invalid-argument', 'updates must be a list');
    const ignored: UpdateTaskStatusResponse['ignored'] = [];
    const accepted: { taskId: string; status: TaskStatus }[] = [];
    this.store().view((tx) => {
      for (const u of req.updates) {
        const taskId = typeof u?.taskId === 'string' ? u.taskId : '';
        if (!taskId || !u.status || !AGENT_REPORTED_STATES.includes(u.status.State)) {
          ignored.push({ taskId, reason: `invalid status update${u?.status ? ` (state ${String(u.status.State)})` : ''}` });
          continue;
        }
        const t = tx.get('tasks', taskId);
        if (!t) {
          ignored.push({ taskId, reason: 'task not found' });
          this.log(`status update from node ${s.nodeId} for task ${taskId} ignored: task not found`);
          continue;
        }
        if (t.NodeID !== s.nodeId) {
          const reason = `task ${taskId} is not assigned to node ${s.nodeId}`;
          ignored.push({ taskId, reason });
          this.log(`refused a status update from node ${s.nodeId}: ${reason} (it is on ${t.NodeID ?? 'no node'})`);
          continue;
        }
        accepted.push({ taskId, status: u.status });
      }
    });
    this.stats.statusesRefused += ignored.length;
    await Promise.all(
      accepted.map(
        (u) => new Promise<void>((resolve, reject) => this.queueTask(u.taskId, s.nodeId, u.status, (err) => (err ? reject(err) : resolve()))),
      ),
    );
    return { ignored };
  }

  assignments(req: AssignmentsRequest, observer: AssignmentsObserver): Subscription {
    let s: Session;
    try {
      s = this.checkSession(req);
    } catch (err) {
      observer.end(DispatcherError.from(err));
      return { close() {} };
    }
    const stream = new AssignmentStream(this, s, observer, () => {
      s.streams.delete(stream);
      // The agent's connection broke while its session still stands: the node is `disconnected`
      // until it reconnects, and `down` if its heartbeats do not come back in time.
      if (s.streams.size === 0 && this.running && this.sessions.get(s.nodeId) === s) {
        this.queueNode(s.nodeId, { kind: 'disconnected' });
      }
    });
    s.streams.add(stream);
    this.queueNode(s.nodeId, { kind: 'reconnected' });
    stream.open(this.store().view((tx) => tx.find('tasks', (t) => t.NodeID === s.nodeId && belongsToAssignments(t))));
    return { close: () => stream.close() };
  }

  // ---- sessions and heartbeats -----------------------------------------------------------------------

  private ensureRunning(): void {
    if (!this.running) throw new DispatcherError('unavailable', 'dispatcher is stopped');
  }

  private checkSession(ref: SessionRef): Session {
    this.ensureRunning();
    const s = ref && typeof ref.nodeId === 'string' ? this.sessions.get(ref.nodeId) : undefined;
    if (!s || s.id !== ref.sessionId) throw new DispatcherError('session-invalid', 'session invalid: start a new one');
    return s;
  }

  /** A period drawn from [base, base x (1 + jitter)], whole milliseconds. */
  private choosePeriod(): number {
    const base = this.basePeriodMs;
    // SwarmKit's period chooser: the period plus or minus epsilon (500 ms of 5 s), so nodes spread out.
    return Math.max(1, Math.round(base + (2 * this.ctx.random.next() - 1) * base * this.jitter));
  }

  private armExpiry(s: Session, periodMs: number): void {
    s.expiry?.cancel();
    s.expiry = this.ctx.clock.setTimeout(() => this.expire(s), periodMs * this.grace);
  }

  private expire(s: Session): void {
    if (this.sessions.get(s.nodeId) !== s) return;
    this.log(`node ${s.nodeId}: ${HEARTBEAT_FAILURE_MESSAGE} (session ${s.id})`);
    this.endSession(s, new DispatcherError('session-invalid', HEARTBEAT_FAILURE_MESSAGE));
    this.queueNode(s.nodeId, { kind: 'down', message: HEARTBEAT_FAILURE_MESSAGE });
  }

  private endSession(s: Session, err: DispatcherError): void {
    s.expiry?.cancel();
    s.expiry = undefined;
    if (this.sessions.get(s.nodeId) === s) this.sessions.delete(s.nodeId);
    for (const stream of [...s.streams]) stream.end(err);
  }

  /** SwarmKit's markNodesUnknown: nodes that were not down wait for their agents to come back. */
  private markNodesUnknown(): void {
    const nodes = this.store().view((tx) => tx.find('nodes', (n) => n.Status.State !== 'down'));
    for (const n of nodes) {
      const timer = this.ctx.clock.setTimeout(() => {
        this.unknown.delete(n.ID);
        this.log(`node ${n.ID}: ${UNKNOWN_HEARTBEAT_FAILURE_MESSAGE}`);
        this.queueNode(n.ID, { kind: 'down', message: UNKNOWN_HEARTBEAT_FAILURE_MESSAGE });
      }, this.choosePeriod() * this.unknownGrace);
      this.unknown.set(n.ID, timer);
      this.queueNode(n.ID, { kind: 'unknown' });
    }
    if (nodes.length > 0) this.log(`${nodes.length} node(s) marked unknown until their agents reconnect`);
  }

  private managers(): ManagerPeer[] {
    if (this.opts.managers) return this.opts.managers();
    return this.store().view((tx) =>
      tx
        .find('nodes', (n) => !!n.ManagerStatus?.Addr && n.ManagerStatus.Reachability !== 'unreachable')
        .sort((a, b) => Number(!!b.ManagerStatus?.Leader) - Number(!!a.ManagerStatus?.Leader) || a.ID.localeCompare(b.ID))
        .map((n) => ({ nodeId: n.ID, addr: n.ManagerStatus!.Addr })),
    );
  }

  // ---- the store -------------------------------------------------------------------------------------

  private store() {
    return this.ctx.store;
  }

  private loadConfig(): void {
    const cluster = this.store().view((tx) => tx.find('clusters')[0]);
    const ns = cluster?.Spec.Dispatcher?.HeartbeatPeriod;
    const period = ns && ns > 0 ? nsToMs(ns) : this.defaultPeriodMs;
    if (period !== this.basePeriodMs) this.log(`heartbeat period is now ${period} ms`);
    this.basePeriodMs = period;
  }

  private isRemoved(tx: ReadTx, nodeId: string): boolean {
    if (this.removed.has(nodeId)) return true;
    return tx.find('clusters').some((c) => !!c.BlacklistedCertificates?.[nodeId]);
  }

  private onStoreEvent(e: StoreEvent): void {
    if (!this.running) return;
    if (e.restored) {
      this.loadConfig();
      for (const s of [...this.sessions.values()]) {
        const node = this.store().view((tx) => (this.isRemoved(tx, s.nodeId) ? 'removed' : 'ok'));
        if (node === 'removed') {
          this.endSession(s, nodeRemovedError(s.nodeId));
          continue;
        }
        const tasks = this.store().view((tx) => tx.find('tasks', (t) => t.NodeID === s.nodeId));
        for (const stream of s.streams) stream.resync(tasks);
      }
      return;
    }
    let mapChanged = false;
    let filesChanged = false;
    for (const c of e.changes) {
      if (c.table === 'networks' || c.table === 'services' || c.table === 'nodes') mapChanged = true;
      else if (c.table === 'secrets' || c.table === 'configs') filesChanged = true;
      else if (c.table === 'tasks' && this.inNetworkMap(c.object)) mapChanged = true;
      if (c.table === 'tasks') {
        const task = c.type === 'delete' ? undefined : c.object;
        const oldNode = c.type === 'update' ? c.old.NodeID : undefined;
        for (const nodeId of new Set([c.object.NodeID, oldNode])) {
          if (!nodeId) continue;
          const s = this.sessions.get(nodeId);
          if (s) for (const stream of s.streams) stream.onTaskChange(c.object.ID, task);
        }
      } else if (c.table === 'nodes' && c.type === 'delete') {
        this.onNodeDeleted(c.object.ID);
      } else if (c.table === 'clusters' && c.type !== 'delete') {
        this.loadConfig();
        this.refuseBlacklisted(c.object);
      }
    }
    if (mapChanged) this.scheduleNetworkMap();
    if (filesChanged) for (const s of this.sessions.values()) for (const stream of s.streams) stream.filesMayHaveChanged();
  }

  // ---- the network map and mounted files ----------------------------------------------------------

  /** Whether a change to this task can change the map (it is on a network, or its service publishes ports). */
  private inNetworkMap(t: TaskObject): boolean {
    if (t.NetworksAttachments?.length) return true;
    const map = this.networkMap;
    return map === undefined || map.services.some((s) => s.id === t.ServiceID);
  }

  /** The map as it stands (built on first use after the leader starts). */
  currentNetworkMap(): NetworkMap {
    // Versions are Raft indexes, so they keep growing across leaders: a node takes a new leader's
    // map although the old leader had sent many.
    this.networkMap ??= this.store().view((tx) => buildNetworkMap(tx, this.ctx.store.index));
    return this.networkMap;
  }

  private scheduleNetworkMap(): void {
    this.mapTimer ??= this.ctx.clock.setTimeout(() => {
      this.mapTimer = undefined;
      if (!this.running) return;
      const prev = this.currentNetworkMap();
      const next = this.store().view((tx) => buildNetworkMap(tx, Math.max(prev.version + 1, this.ctx.store.index)));
      if (sameMap(prev, next)) return;
      this.networkMap = next;
      for (const s of this.sessions.values()) for (const stream of s.streams) stream.networkChanged();
    }, this.assignmentBatchMs);
  }

  /** The secrets and configs the given tasks mount, with a key that changes when any of them does. */
  filesFor(tasks: Iterable<TaskObject>): { key: string; secrets: FileAssignment[]; configs: FileAssignment[] } {
    const secretIds = new Set<string>();
    const configIds = new Set<string>();
    for (const t of tasks) {
      for (const r of t.Spec.ContainerSpec.Secrets ?? []) secretIds.add(r.SecretID);
      for (const r of t.Spec.ContainerSpec.Configs ?? []) configIds.add(r.ConfigID);
    }
    return this.store().view((tx) => {
      const keys: string[] = [];
      const pick = (table: 'secrets' | 'configs', ids: Set<string>) =>
        [...ids].sort().flatMap((id) => {
          const o = tx.get(table, id);
          if (!o) return [];
          keys.push(`${id}@${o.Version.Index}`);
          return [{ id, name: o.Spec.Name ?? id, data: o.Spec.Data ?? '' }];
        });
      const secrets = pick('secrets', secretIds);
      const configs = pick('configs', configIds);
      return { key: keys.join(','), secrets, configs };
    });
  }

  private refuseBlacklisted(cluster: ClusterObject): void {
    for (const id of Object.keys(cluster.BlacklistedCertificates ?? {})) {
      const s = this.sessions.get(id);
      if (s) this.endSession(s, nodeRemovedError(id));
    }
  }

  private onNodeDeleted(nodeId: string): void {
    this.removed.add(nodeId);
    this.unknown.get(nodeId)?.cancel();
    this.unknown.delete(nodeId);
    const s = this.sessions.get(nodeId);
    if (s) {
      this.log(`node ${nodeId} was removed from the swarm: its session ends`);
      this.endSession(s, nodeRemovedError(nodeId));
    }
    void this.writeTombstone(nodeId);
  }

  /** Records the removal in the cluster object, so the next leader refuses the node too. */
  private async writeTombstone(nodeId: string, attempts = 5): Promise<void> {
    for (let i = 0; i < attempts && this.running; i++) {
      try {
        await this.store().update((tx) => {
          const cluster = tx.find('clusters')[0];
          if (!cluster || cluster.BlacklistedCertificates?.[nodeId]) return;
          tx.update('clusters', { ...cluster, BlacklistedCertificates: { ...cluster.BlacklistedCertificates, [nodeId]: {} } });
        });
        return;
      } catch (err) {
        if (!(err instanceof StoreError)) {
          this.log(`could not record the removal of node ${nodeId}: ${(err as Error).message}`);
          return;
        }
      }
    }
  }

  // ---- batched writes --------------------------------------------------------------------------------

  private queueNode(nodeId: string, op: NodeOp, waiter?: Waiter): void {
    const cur = this.pendingNodes.get(nodeId);
    // A connection coming or going never replaces a pending decision with a caller waiting on it
    // (a session start, a heartbeat failure): those set the node's state themselves.
    if (cur && cur.op.kind !== 'disconnected' && cur.op.kind !== 'reconnected' && (op.kind === 'disconnected' || op.kind === 'reconnected')) return;
    const waiters = [...(cur?.waiters ?? []), ...(waiter ? [waiter] : [])];
    // The latest decision about a node wins; whoever waited on an earlier one learns the outcome.
    this.pendingNodes.set(nodeId, { op, waiters });
    this.scheduleFlush();
  }

  private queueTask(taskId: string, nodeId: string, status: TaskStatus, waiter: Waiter): void {
    const cur = this.pendingTasks.get(taskId);
    if (cur && !isForward(cur.status.State, status.State)) {
      cur.waiters.push(waiter);
    } else {
      this.pendingTasks.set(taskId, { nodeId, status, waiters: [...(cur?.waiters ?? []), waiter] });
    }
    this.scheduleFlush();
  }

  private scheduleFlush(delayMs = this.statusBatchMs): void {
    if (!this.running || this.flushTimer || this.flushing) return;
    this.flushTimer = this.ctx.clock.setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.flushing || !this.running) return;
    const nodes = take(this.pendingNodes, this.maxBatchItems);
    const tasks = take(this.pendingTasks, this.maxBatchItems - nodes.length);
    if (nodes.length === 0 && tasks.length === 0) return;
    this.flushing = true;
    const outcome = new Map<string, DispatcherError>();
    let applied = 0;
    let retry = false;
    try {
      await this.store().update((tx) => {
        outcome.clear();
        applied = 0;
        for (const [id, p] of nodes) {
          const err = this.applyNodeOp(tx, id, p.op);
          if (err) outcome.set(id, err);
        }
        for (const [id, p] of tasks) if (this.applyStatus(tx, id, p)) applied++;
      });
      this.stats.transactions++;
      this.stats.statusesApplied += applied;
      this.stats.statusesIgnored += tasks.length - applied;
      for (const [id, p] of nodes) p.waiters.forEach((w) => w(outcome.get(id)));
      for (const [, p] of tasks) p.waiters.forEach((w) => w());
    } catch (err) {
      if (err instanceof StoreError && this.running) {
        // Another writer changed an object first: read again and retry what is still wanted.
        this.stats.retries++;
        retry = true;
        for (const [id, p] of nodes) {
          const newer = this.pendingNodes.get(id);
          const light = (k: NodeOp['kind']) => k === 'disconnected' || k === 'reconnected';
          if (newer && !(light(newer.op.kind) && !light(p.op.kind))) newer.waiters.unshift(...p.waiters);
          else this.pendingNodes.set(id, newer ? { op: p.op, waiters: [...p.waiters, ...newer.waiters] } : p);
        }
        for (const [id, p] of tasks) {
          const newer = this.pendingTasks.get(id);
          if (newer && isForward(p.status.State, newer.status.State)) newer.waiters.unshift(...p.waiters);
          else this.pendingTasks.set(id, newer ? { ...p, waiters: [...p.waiters, ...newer.waiters] } : p);
        }
      } else {
        const e = new DispatcherError('unavailable', `could not write to the store: ${(err as Error).message}`);
        if (this.running) this.log(e.message);
        for (const [, p] of nodes) p.waiters.forEach((w) => w(e));
        for (const [, p] of tasks) p.waiters.forEach((w) => w(e));
      }
    } finally {
      this.flushing = false;
    }
    if (this.pendingNodes.size > 0 || this.pendingTasks.size > 0) this.scheduleFlush(retry ? 1 : 0);
  }

  private applyNodeOp(tx: Tx, nodeId: string, op: NodeOp): DispatcherError | undefined {
    const cur = tx.get('nodes', nodeId);
    switch (op.kind) {
      case 'ready': {
        if (this.sessions.get(nodeId)?.id !== op.sessionId) return new DispatcherError('session-invalid', 'session replaced');
        const { req } = op;
        if (!cur) {
          if (this.isRemoved(tx, nodeId)) return nodeRemovedError(nodeId);
          const role = req.role ?? 'worker';
          tx.create('nodes', {
            ID: nodeId,
            Spec: { Role: role, Availability: 'active' },
            Role: role,
            Description: req.description,
            Status: { State: 'ready', Addr: req.addr },
          });
          return undefined;
        }
        const next: NodeObject = { ...cur, Description: req.description, Status: { State: 'ready', Addr: req.addr } };
        if (JSON.stringify([cur.Description, cur.Status]) !== JSON.stringify([next.Description, next.Status])) tx.update('nodes', next);
        return undefined;
      }
      case 'down':
        if (!cur || cur.Status.State === 'down' || this.sessions.has(nodeId)) return undefined;
        tx.update('nodes', { ...cur, Status: { ...cur.Status, State: 'down', Message: op.message } });
        return undefined;
      case 'disconnected': {
        const s = this.sessions.get(nodeId);
        if (!cur || cur.Status.State !== 'ready' || !s || s.streams.size > 0) return undefined;
        tx.update('nodes', { ...cur, Status: { ...cur.Status, State: 'disconnected', Message: DISCONNECTED_MESSAGE } });
        return undefined;
      }
      case 'reconnected': {
        const s = this.sessions.get(nodeId);
        if (!cur || cur.Status.State !== 'disconnected' || !s || s.streams.size === 0) return undefined;
        tx.update('nodes', { ...cur, Status: { ...cur.Status, State: 'ready', Message: undefined } });
        return undefined;
      }
      case 'unknown':
        if (!cur || cur.Status.State === 'down' || this.sessions.has(nodeId)) return undefined;
        tx.update('nodes', { ...cur, Status: { ...cur.Status, State: 'unknown', Message: UNKNOWN_AFTER_LEADER_CHANGE_MESSAGE } });
        return undefined;
    }
  }

  /** Writes a reported status if it moves the task forward; says whether it did. */
  private applyStatus(tx: Tx, taskId: string, p: PendingStatus): boolean {
    const t = tx.get('tasks', taskId);
    if (!t) {
      this.log(`status ${p.status.State} of task ${taskId} from node ${p.nodeId} dropped: the task is gone`);
      return false;
    }
    if (t.NodeID !== p.nodeId) {
      this.log(`status ${p.status.State} of task ${taskId} from node ${p.nodeId} refused: the task is on ${t.NodeID ?? 'no node'}`);
      return false;
    }
    if (!isForward(t.Status.State, p.status.State)) return false;
    tx.update('tasks', { ...t, Status: p.status });
    return true;
  }

  /** @internal */
  log(line: string): void {
    this.ctx.logger?.(this.name, line);
  }

  /** @internal */
  get clock() {
    return this.ctx.clock;
  }
}

function take<V>(m: Map<string, V>, n: number): [string, V][] {
  const out: [string, V][] = [];
  if (n <= 0) return out;
  for (const entry of m) {
    out.push(entry);
    if (out.length >= n) break;
  }
  for (const [k] of out) m.delete(k);
  return out;
}

/** One node's assignments stream: what the agent was sent, and the changes waiting to go. */
class AssignmentStream {
  /** The latest version of every task in the agent's set. */
  private readonly known = new Map<string, TaskObject>();
  private readonly update = new Map<string, TaskObject>();
  private readonly remove = new Set<string>();
  private changes = 0;
  private seq = 0;
  private timer: Timer | undefined;
  private closed = false;
  private sentMapVersion = 0;
  private sentFilesKey = '';
  private checkFiles = false;

  constructor(
    private readonly d: Dispatcher,
    private readonly session: Session,
    private readonly observer: AssignmentsObserver,
    private readonly detach: () => void,
  ) {}

  open(tasks: TaskObject[]): void {
    for (const t of tasks) this.known.set(t.ID, t);
    this.send({ type: 'complete', seq: ++this.seq, tasks, ...this.extras(true) });
  }

  networkChanged(): void {
    if (!this.closed) this.changed();
  }

  filesMayHaveChanged(): void {
    if (this.closed) return;
    this.checkFiles = true;
    this.changed();
  }

  /** The map and the files, when they differ from what the agent was sent (always, for a complete set). */
  private extras(all: boolean): AssignmentExtras {
    const out: AssignmentExtras = {};
    const map = this.d.currentNetworkMap();
    if (all || map.version !== this.sentMapVersion) {
      out.network = map;
      this.sentMapVersion = map.version;
    }
    const files = this.d.filesFor(this.known.values());
    if (all || files.key !== this.sentFilesKey) {
      out.secrets = files.secrets;
      out.configs = files.configs;
      this.sentFilesKey = files.key;
    }
    this.checkFiles = false;
    return out;
  }

  onTaskChange(id: string, task: TaskObject | undefined): void {
    if (this.closed) return;
    if (!task || task.NodeID !== this.session.nodeId || !belongsToAssignments(task)) {
      this.update.delete(id);
      if (this.known.delete(id)) {
        this.remove.add(id);
        this.changed();
      }
      return;
    }
    const prev = this.known.get(id);
    this.known.set(id, task);
    if (this.update.has(id)) {
      this.update.set(id, task);
      return;
    }
    // Status changes come from the agent itself: only what it must act on is sent. Tasks at
    // `assigned` are sent whatever changed, as only the managers move them there.
    if (prev && stableEqual(prev, task) && stateRank(task.Status.State) > ASSIGNED) return;
    this.remove.delete(id);
    this.update.set(id, task);
    this.changed();
  }

  /** After the store was replaced by a snapshot: diff against the new state. */
  resync(tasks: TaskObject[]): void {
    const fresh = new Map(tasks.map((t) => [t.ID, t]));
    for (const id of new Set([...this.known.keys(), ...fresh.keys()])) this.onTaskChange(id, fresh.get(id));
  }

  end(err: DispatcherError): void {
    if (this.closed) return;
    this.close();
    this.observer.end(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.detach();
  }

  private changed(): void {
    this.changes++;
    if (this.changes >= this.d.maxAssignmentBatch) return this.flush();
    this.timer ??= this.d.clock.setTimeout(() => this.flush(), this.d.assignmentBatchMs);
  }

  private flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.changes = 0;
    if (this.closed) return;
    // Any change to the task set may change which secrets and configs the node must hold.
    const extras =
      this.update.size > 0 || this.remove.size > 0 || this.checkFiles || this.d.currentNetworkMap().version !== this.sentMapVersion ? this.extras(false) : {};
    if (this.update.size === 0 && this.remove.size === 0 && !extras.network && !extras.secrets) return;
    const seq = ++this.seq;
    const msg: AssignmentsMessage = { type: 'incremental', seq, appliesTo: seq - 1, update: [...this.update.values()], remove: [...this.remove], ...extras };
    this.update.clear();
    this.remove.clear();
    this.send(msg);
  }

  private send(msg: AssignmentsMessage): void {
    this.observer.message(msg);
  }
}
