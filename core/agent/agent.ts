// The agent, after SwarmKit's: a node's side of its session with the leader's dispatcher.
//
// It opens a session with a manager, heartbeats on the period the dispatcher names, applies the
// assignments stream (a COMPLETE set replaces what it runs, INCREMENTAL messages patch it) through
// one TaskController per task, and reports their states back in batches. Any session failure — the
// stream breaks, a heartbeat or report fails, a manager answers that it is not the leader —
// ends the session; the agent reconnects: to the leader if the answer named it, else to the next
// manager it knows, with a jittered exponential backoff on the injected clock. While disconnected its
// tasks keep running (workers keep their tasks when the managers lose quorum), and what they did
// is reported after reconnecting.

import type { NodeDescription, NodeRole, TaskObject, TaskState, TaskStatus } from '../api/objects.ts';
import { isForward } from '../api/task-state.ts';
import type { Clock, Timer } from '../clock.ts';
import {
  DispatcherError,
  type AssignmentExtras,
  type AssignmentsMessage,
  type DispatcherClient,
  type DispatcherConnector,
  type ManagerPeer,
  type Subscription,
} from '../dispatcher/protocol.ts';
import type { Random } from '../random.ts';
import { TaskController } from './controller.ts';
import type { Executor } from './executor.ts';

export interface AgentOptions {
  nodeId: string;
  description: NodeDescription;
  /** This node's address, as the managers record it. */
  addr: string;
  /** The role to create the node object with, if the managers do not know it yet. */
  role?: NodeRole;
  clock: Clock;
  random: Random;
  executor: Executor;
  /** Dials a manager. */
  connect: DispatcherConnector;
  /** Manager addresses to start from; the dispatcher's lists replace them as they come. */
  managers: string[];
  /** Status reports are sent this long after the first one waiting (ms, default 10). */
  statusBatchMs?: number;
  /** At most this many reports per request (default 500). */
  maxStatusBatch?: number;
  /** Reconnection backoff: first delay and cap (ms, defaults 100 and 8,000, as SwarmKit's). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  logger?: (line: string) => void;
  onEvent?: (e: AgentEvent) => void;
  /**
   * The network map and the secrets and configs the node's tasks mount, whenever they change —
   * before the tasks of the same message are handed to the executor.
   */
  onExtras?: (extras: AssignmentExtras) => void;
}

export type AgentState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'removed' | 'stopped';

export type AgentEvent =
  | { type: 'connected'; manager: string; sessionId: string }
  | { type: 'disconnected'; manager: string; error: DispatcherError; next: string; retryInMs: number }
  | { type: 'removed'; message: string }
  /** The managers to fail over to changed (worth keeping for a restart). */
  | { type: 'managers'; managers: string[] }
  /** The role the managers have for this node (from the session and each heartbeat). */
  | { type: 'role'; role: NodeRole };

export interface AgentTaskInfo {
  id: string;
  state: TaskState;
  desired: TaskState;
}

interface Connection {
  gen: number;
  addr: string;
  client: DispatcherClient;
  sessionId: string | undefined;
  sub: Subscription | undefined;
  heartbeat: Timer | undefined;
}

export class Agent {
  private st: AgentState = 'idle';
  private gen = 0;
  private conn: Connection | undefined;
  private managers: string[];
  private backoffMs = 0;
  private redirects = 0;
  private retryTimer: Timer | undefined;
  private lastSeq = 0;
  private readonly controllers = new Map<string, TaskController>();
  private pending = new Map<string, TaskStatus>();
  private inflight = false;
  private statusTimer: Timer | undefined;
  private readonly statusBatchMs: number;
  private readonly maxStatusBatch: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  /** Sessions opened so far (reconnections included). */
  sessions = 0;

  constructor(private readonly opts: AgentOptions) {
    this.managers = unique(opts.managers);
    this.statusBatchMs = opts.statusBatchMs ?? 10;
    this.maxStatusBatch = opts.maxStatusBatch ?? 500;
    this.backoffInitialMs = opts.backoffInitialMs ?? 100;
    this.backoffMaxMs = opts.backoffMaxMs ?? 8_000;
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  get state(): AgentState {
    return this.st;
  }

  /** The manager of the current (or last attempted) session. */
  get manager(): string | undefined {
    return this.conn?.addr;
  }

  get sessionId(): string | undefined {
    return this.conn?.sessionId;
  }

  /** The managers the agent would fail over to, in order. */
  knownManagers(): string[] {
    return [...this.managers];
  }

  tasks(): AgentTaskInfo[] {
    return [...this.controllers.values()].map((c) => ({ id: c.id, state: c.state, desired: c.desiredState }));
  }

  task(id: string): AgentTaskInfo | undefined {
    const c = this.controllers.get(id);
    return c && { id: c.id, state: c.state, desired: c.desiredState };
  }

  /** Status reports not yet acknowledged by a dispatcher. */
  get unreported(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.st !== 'idle') return;
    const first = this.managers[0];
    if (first === undefined) throw new Error('agent: no manager to connect to');
    void this.connectTo(first);
  }

  /** Ends the session and stops reconnecting. Tasks keep running. */
  stop(): void {
    if (this.st === 'stopped') return;
    this.gen++;
    this.teardown();
    this.retryTimer?.cancel();
    this.statusTimer?.cancel();
    this.statusTimer = undefined;
    this.st = 'stopped';
  }

  // ---- the session ---------------------------------------------------------------------------------

  private async connectTo(addr: string): Promise<void> {
    const gen = ++this.gen;
    this.st = 'connecting';
    let client: DispatcherClient;
    try {
      client = this.opts.connect(addr);
    } catch (err) {
      this.conn = undefined;
      return this.fail(gen, DispatcherError.from(err), addr);
    }
    const conn: Connection = { gen, addr, client, sessionId: undefined, sub: undefined, heartbeat: undefined };
    this.conn = conn;
    let resp;
    try {
      resp = await client.session({
        nodeId: this.opts.nodeId,
        description: this.opts.description,
        addr: this.opts.addr,
        ...(this.opts.role ? { role: this.opts.role } : {}),
      });
    } catch (err) {
      return this.fail(gen, DispatcherError.from(err), addr);
    }
    if (gen !== this.gen) return;
    conn.sessionId = resp.sessionId;
    this.sessions++;
    this.setManagers(resp.managers);
    this.st = 'connected';
    const role = resp.node?.Role ?? resp.node?.Spec.Role;
    if (role) this.opts.onEvent?.({ type: 'role', role });
    this.redirects = 0;
    this.lastSeq = 0;
    this.log(`session ${resp.sessionId} with ${addr}`);
    this.opts.onEvent?.({ type: 'connected', manager: addr, sessionId: resp.sessionId });
    conn.heartbeat = this.opts.clock.setTimeout(() => this.beat(conn), resp.heartbeatPeriodMs);
    const sub = client.assignments(
      { nodeId: this.opts.nodeId, sessionId: resp.sessionId },
      {
        message: (m) => this.onAssignments(conn, m),
        end: (err) => this.fail(gen, err ?? new DispatcherError('unavailable', 'assignments stream closed'), addr),
      },
    );
    if (gen === this.gen) conn.sub = sub;
    else sub.close();
    this.flushStatuses();
  }

  private beat(conn: Connection): void {
    if (conn.gen !== this.gen || !conn.sessionId) return;
    conn.client.heartbeat({ nodeId: this.opts.nodeId, sessionId: conn.sessionId }).then(
      (r) => {
        if (conn.gen !== this.gen) return;
        this.backoffMs = 0; // the session works: the next failure starts the backoff over
        if (r.managers) this.setManagers(r.managers);
        if (r.role) this.opts.onEvent?.({ type: 'role', role: r.role });
        conn.heartbeat = this.opts.clock.setTimeout(() => this.beat(conn), r.periodMs);
      },
      (err: unknown) => this.fail(conn.gen, DispatcherError.from(err), conn.addr),
    );
  }

  private fail(gen: number, err: DispatcherError, addr: string): void {
    if (gen !== this.gen || this.st === 'stopped' || this.st === 'removed') return;
    this.gen++;
    this.teardown();
    if (err.code === 'node-removed') {
      this.st = 'removed';
      this.log(err.message);
      this.opts.onEvent?.({ type: 'removed', message: err.message });
      // The node left the swarm: its tasks go with it.
      for (const id of [...this.controllers.keys()]) this.removeTask(id);
      this.pending.clear();
      return;
    }
    let next: string;
    let delay: number;
    if (err.code === 'not-leader' && err.leader) {
      next = err.leader.addr;
      if (!this.managers.includes(next)) this.managers.push(next);
      // Straight to the leader; only a run of redirections backs off.
      delay = this.redirects++ === 0 ? 0 : this.nextBackoff();
    } else if (err.code === 'session-invalid') {
      next = addr; // the session ended (expired, replaced): open a new one with the same dispatcher
      delay = this.nextBackoff();
    } else {
      next = this.nextManager(addr);
      delay = this.nextBackoff();
    }
    this.st = 'backoff';
    this.log(`session with ${addr} failed (${err.code}: ${err.message}); trying ${next} in ${delay} ms`);
    this.opts.onEvent?.({ type: 'disconnected', manager: addr, error: err, next, retryInMs: delay });
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connectTo(next);
    }, delay);
  }

  private teardown(): void {
    const conn = this.conn;
    if (!conn) return;
    conn.heartbeat?.cancel();
    conn.heartbeat = undefined;
    conn.sub?.close();
    conn.sub = undefined;
    conn.sessionId = undefined;
    conn.client.close();
  }

  /** SwarmKit's: exponential from the initial delay up to the cap, with half of it random. */
  private nextBackoff(): number {
    this.backoffMs = Math.min(this.backoffMaxMs, this.backoffMs > 0 ? this.backoffMs * 2 : this.backoffInitialMs);
    return Math.round(this.backoffMs / 2 + (this.opts.random.next() * this.backoffMs) / 2);
  }

  private nextManager(current: string): string {
    const list = this.managers;
    if (list.length === 0) return current;
    const i = list.indexOf(current);
    return list[(i + 1) % list.length] ?? current;
  }

  private setManagers(peers: ManagerPeer[]): void {
    const addrs = unique(peers.map((p) => p.addr).filter((a) => typeof a === 'string' && a !== ''));
    if (addrs.length === 0) return;
    const changed = addrs.join(',') !== this.managers.join(',');
    this.managers = addrs;
    if (changed) this.opts.onEvent?.({ type: 'managers', managers: [...addrs] });
  }

  // ---- assignments ---------------------------------------------------------------------------------

  private onAssignments(conn: Connection, m: AssignmentsMessage): void {
    if (conn.gen !== this.gen) return;
    if (m.type === 'complete' || m.appliesTo === this.lastSeq) this.deliverExtras(m);
    if (m.type === 'complete') {
      this.lastSeq = m.seq;
      const ids = new Set(m.tasks.map((t) => t.ID));
      for (const id of [...this.controllers.keys()]) if (!ids.has(id)) this.removeTask(id);
      for (const t of m.tasks) this.upsert(t);
      return;
    }
    if (m.appliesTo !== this.lastSeq) {
      this.fail(conn.gen, new DispatcherError('unavailable', `assignments out of sequence (${m.appliesTo} after ${this.lastSeq})`), conn.addr);
      return;
    }
    this.lastSeq = m.seq;
    for (const t of m.update) this.upsert(t);
    for (const id of m.remove) this.removeTask(id);
  }

  private deliverExtras(m: AssignmentExtras): void {
    if (!this.opts.onExtras || (!m.network && !m.secrets && !m.configs)) return;
    const extras: AssignmentExtras = {};
    if (m.network) extras.network = m.network;
    if (m.secrets) extras.secrets = m.secrets;
    if (m.configs) extras.configs = m.configs;
    try {
      this.opts.onExtras(extras);
    } catch (err) {
      this.log(`applying the network map and mounted files failed: ${(err as Error).message}`);
    }
  }

  private upsert(task: TaskObject): void {
    if (task.NodeID !== this.opts.nodeId) return;
    const c = this.controllers.get(task.ID);
    if (c) {
      c.update(task);
      return;
    }
    const ctrl = new TaskController({
      task,
      executor: this.opts.executor,
      clock: this.opts.clock,
      report: (id, status) => this.report(id, status),
      logger: this.opts.logger,
    });
    this.controllers.set(task.ID, ctrl);
    ctrl.start();
  }

  private removeTask(id: string): void {
    const c = this.controllers.get(id);
    if (!c) return;
    this.controllers.delete(id);
    void c.remove();
  }

  // ---- status reports ------------------------------------------------------------------------------

  private report(taskId: string, status: TaskStatus): void {
    const cur = this.pending.get(taskId);
    if (!cur || isForward(cur.State, status.State)) this.pending.set(taskId, status);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.statusTimer || !this.conn?.sessionId) return;
    this.statusTimer = this.opts.clock.setTimeout(() => {
      this.statusTimer = undefined;
      this.flushStatuses();
    }, this.statusBatchMs);
  }

  private flushStatuses(): void {
    const conn = this.conn;
    if (this.inflight || !conn?.sessionId || conn.gen !== this.gen || this.pending.size === 0) return;
    const batch: [string, TaskStatus][] = [];
    for (const entry of this.pending) {
      batch.push(entry);
      if (batch.length >= this.maxStatusBatch) break;
    }
    for (const [id] of batch) this.pending.delete(id);
    this.inflight = true;
    conn.client
      .updateTaskStatus({
        nodeId: this.opts.nodeId,
        sessionId: conn.sessionId,
        updates: batch.map(([taskId, status]) => ({ taskId, status })),
      })
      .then(
        (r) => {
          for (const i of r.ignored) this.log(`status of task ${i.taskId} not taken: ${i.reason}`);
        },
        (err: unknown) => {
          // Not acknowledged: keep them for the next session, unless a newer state came meanwhile.
          for (const [id, status] of batch) {
            const newer = this.pending.get(id);
            if (!newer || !isForward(status.State, newer.State)) this.pending.set(id, status);
          }
          this.fail(conn.gen, DispatcherError.from(err), conn.addr);
        },
      )
      .finally(() => {
        this.inflight = false;
        if (this.pending.size > 0) this.scheduleFlush();
      });
  }

  private log(line: string): void {
    this.opts.logger?.(`agent ${this.opts.nodeId}: ${line}`);
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
