// The I/O around the pure Raft core: it ticks on a clock, persists each Ready through a
// RaftStorage (one fsync per batch), sends through a Transport, applies to a StateMachine, takes
// snapshots, and turns proposals and reads into promises. Clock, randomness, storage and transport
// are injected, so the same code runs in swarmd and in the simulator.

import type { Clock, Timer } from '../clock.ts';
import type { Random } from '../random.ts';
import { decodeConfChange } from './confchange.ts';
import { Raft, type RaftStatus } from './raft.ts';
import type { RaftStorage } from './storage.ts';
import { NONE, type ConfChange, type Entry, type Message, type NodeId, type Ready, type StateType } from './types.ts';

export interface Transport {
  /** Fire and forget: Raft tolerates loss, duplication and reordering. */
  send(messages: Message[]): void;
}

export interface StateMachine {
  /** Applies a committed normal entry (never an empty one). Must be deterministic. */
  apply(entry: Entry): void;
  /** A committed configuration change was applied (e.g. to learn a new member's address). */
  applyConfChange?(cc: ConfChange, index: number): void;
  snapshot(): Uint8Array;
  restore(data: Uint8Array, index: number): void;
}

export interface RaftNodeOptions {
  id: NodeId;
  storage: RaftStorage;
  transport: Transport;
  stateMachine: StateMachine;
  clock: Clock;
  random: Random;
  /** Voters of a new cluster; omit when restarting or when joining an existing cluster. */
  bootstrap?: NodeId[];
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  /** Take a snapshot after this many applied entries (SwarmKit: 10,000). */
  snapshotInterval?: number;
  /** Entries kept behind a snapshot for slow followers (SwarmKit: 500). */
  keepEntries?: number;
  /** A proposal or read not done within this time fails. */
  requestTimeoutMs?: number;
  logger?: (line: string) => void;
  /** Called when the node cannot go on (a storage failure, a bug): the node has stopped. */
  onFatal?: (err: Error) => void;
}

/** Raised for a write or read sent to a node that is not the leader. */
export class NotLeaderError extends Error {
  constructor(readonly leader: NodeId) {
    super(
      leader === NONE
        ? 'the swarm does not have a leader: it may be electing one, or it has lost quorum (a majority of managers is unreachable)'
        : `this node is not the leader; the leader is ${leader}`,
    );
    this.name = 'NotLeaderError';
  }
}

/** The outcome is unknown: the entry may or may not be committed later. */
export class LeadershipLostError extends Error {
  constructor(what = 'the request') {
    super(`leadership was lost while ${what} was being committed; it may or may not have taken effect`);
    this.name = 'LeadershipLostError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} was not committed within ${ms} ms: the swarm may have lost quorum`);
    this.name = 'RequestTimeoutError';
  }
}

export class NodeStoppedError extends Error {
  constructor() {
    super('the raft node is stopped');
    this.name = 'NodeStoppedError';
  }
}

interface Pending {
  index: number;
  term: number;
  resolve: (index: number) => void;
  reject: (err: Error) => void;
  timer: Timer;
}

interface PendingRead {
  ctx: string;
  index: number | undefined;
  waiters: { resolve: () => void; reject: (err: Error) => void; timer: Timer }[];
}

export interface NodeState {
  state: StateType;
  lead: NodeId;
  term: number;
}

export class RaftNode {
  readonly id: NodeId;
  private raft!: Raft;
  private readonly opts: RaftNodeOptions;
  private ticker: Timer | undefined;
  private processing = false;
  private stopped = false;
  private queued: { data: Uint8Array; conf: boolean; resolve: (i: number) => void; reject: (e: Error) => void }[] = [];
  private flushScheduled = false;
  /** Proposals appended by this leader, by index, waiting to be applied. */
  private pending = new Map<number, Pending>();
  private reads = new Map<string, PendingRead>();
  private openRead: PendingRead | undefined;
  private readSeq = 0;
  private readonly nonce: string;
  private lastSnapshotIndex = 0;
  private listeners = new Set<(s: NodeState) => void>();
  private appliedListeners = new Set<(index: number) => void>();

  constructor(opts: RaftNodeOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.nonce = opts.random.int(0x7fffffff).toString(36);
  }

  /** Loads persisted state, restores the state machine, and starts ticking. */
  async start(): Promise<void> {
    const o = this.opts;
    const persisted = await o.storage.load();
    const fresh = persisted.hardState.term === 0 && persisted.entries.length === 0 && !persisted.snapshot;
    let applied = 0;
    if (persisted.snapshot) {
      o.stateMachine.restore(persisted.snapshot.data, persisted.snapshot.metadata.index);
      applied = persisted.snapshot.metadata.index;
      this.lastSnapshotIndex = applied;
    }
    this.raft = new Raft({
      id: o.id,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      random: o.random,
      preVote: o.preVote ?? true,
      checkQuorum: o.checkQuorum ?? true,
      maxSizePerMsg: o.maxSizePerMsg,
      maxInflightMsgs: o.maxInflightMsgs,
      bootstrap: fresh ? o.bootstrap : undefined,
      restore: fresh ? undefined : persisted,
      applied,
      logger: o.logger,
    });
    this.ticker = o.clock.setInterval(() => this.tick(), o.tickMs);
    this.kick();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker?.cancel();
    const err = new NodeStoppedError();
    this.failAll(err);
  }

  get stoppedNode(): boolean {
    return this.stopped;
  }

  // ---- inputs ------------------------------------------------------------------------------------

  /** A message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    this.raft.step(m);
    this.kick();
  }

  tick(): void {
    if (this.stopped) return;
    this.raft.tick();
    this.kick();
  }

  campaign(): void {
    if (this.stopped) return;
    this.raft.campaign();
    this.kick();
  }

  /**
   * Proposes data on the leader. Resolves with the entry's index once it is committed and
   * applied here; rejects with NotLeaderError at once on a follower.
   */
  propose(data: Uint8Array): Promise<number> {
    return this.enqueue(data, false);
  }

  proposeConfChange(cc: ConfChange): Promise<number> {
    return this.enqueue(new TextEncoder().encode(JSON.stringify(cc)), true);
  }

  /**
   * Resolves once this node's state machine reflects everything committed before the call:
   * reads after it are linearizable. Works on followers too (the leader confirms the index).
   */
  readBarrier(): Promise<void> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    return new Promise((resolve, reject) => {
      if (!this.openRead) {
        this.openRead = { ctx: `${this.id}/${this.nonce}/${++this.readSeq}`, index: undefined, waiters: [] };
        this.reads.set(this.openRead.ctx, this.openRead);
        this.scheduleFlush();
      }
      const read = this.openRead;
      const ms = this.opts.requestTimeoutMs ?? 10_000;
      const timer = this.opts.clock.setTimeout(() => {
        read.waiters = read.waiters.filter((w) => w.timer !== timer);
        if (read.waiters.length === 0) this.reads.delete(read.ctx);
        reject(new RequestTimeoutError('a linearizable read', ms));
      }, ms);
      read.waiters.push({ resolve, reject, timer });
    });
  }

  transferLeadership(to: NodeId): void {
    if (this.stopped) return;
    this.raft.transferLeadership(to);
    this.kick();
  }

  reportUnreachable(id: NodeId): void {
    if (this.stopped) return;
    this.raft.reportUnreachable(id);
    this.kick();
  }

  // ---- observation ---------------------------------------------------------------------------------

  /** The consensus core, for inspection (status pages, the simulator's invariant checks). */
  get core(): Raft {
    return this.raft;
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  isLeader(): boolean {
    return this.raft.state === 'leader';
  }

  leader(): NodeId {
    return this.raft.lead;
  }

  term(): number {
    return this.raft.term;
  }

  appliedIndex(): number {
    return this.raft.log.applied;
  }

  voters(): NodeId[] {
    return this.raft.voters();
  }

  onStateChange(fn: (s: NodeState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onApplied(fn: (index: number) => void): () => void {
    this.appliedListeners.add(fn);
    return () => this.appliedListeners.delete(fn);
  }

  // ---- the Ready loop -------------------------------------------------------------------------------

  private enqueue(data: Uint8Array, conf: boolean): Promise<number> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    if (this.raft.state !== 'leader') return Promise.reject(new NotLeaderError(this.raft.lead));
    return new Promise((resolve, reject) => {
      this.queued.push({ data, conf, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Proposals and reads made in the same turn go to Raft as one batch. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (this.stopped) return;
      this.flushProposals();
      this.flushRead();
      this.kick();
    });
  }

  private flushProposals(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    const ms = this.opts.requestTimeoutMs ?? 10_000;
    // Configuration changes go one by one (Raft allows one pending change); data goes as one batch.
    let i = 0;
    while (i < batch.length) {
      let j = i;
      if (batch[i]!.conf) j = i + 1;
      else while (j < batch.length && !batch[j]!.conf) j++;
      const group = batch.slice(i, j);
      i = j;
      if (this.raft.state !== 'leader') {
        for (const p of group) p.reject(new NotLeaderError(this.raft.lead));
        continue;
      }
      const res = this.raft.propose(
        group.map((p) => p.data),
        group[0]!.conf ? 'conf' : 'normal',
      );
      if (!res.ok || res.index === undefined) {
        const reason = res.ok ? 'not the leader' : res.reason;
        for (const p of group) p.reject(new Error(`proposal dropped: ${reason}`));
        continue;
      }
      const first = res.index - group.length + 1;
      const term = this.raft.term;
      group.forEach((p, k) => {
        const index = first + k;
        const timer = this.opts.clock.setTimeout(() => {
          if (this.pending.get(index)?.timer !== timer) return;
          this.pending.delete(index);
          p.reject(new RequestTimeoutError('the change', ms));
        }, ms);
        this.pending.set(index, { index, term, resolve: p.resolve, reject: p.reject, timer });
      });
    }
  }

  private flushRead(): void {
    const read = this.openRead;
    this.openRead = undefined;
    if (!read || read.waiters.length === 0) return;
    this.raft.readIndex(read.ctx);
  }

  private kick(): void {
    if (this.processing || this.stopped) return;
    void this.process();
  }

  private async process(): Promise<void> {
    this.processing = true;
    try {
      while (!this.stopped && this.raft.hasReady()) {
        const rd = this.raft.ready();
        const saved = this.opts.storage.save(rd.hardState, rd.entries, rd.snapshot);
        if (saved) await saved;
        if (this.stopped) return;
        if (rd.messages.length > 0) {
          this.opts.transport.send(rd.messages);
          // The transport does not confirm delivery, so a snapshot counts as sent: the leader
          // waits for the next heartbeat answer and probes, and resends it if it was lost.
          for (const m of rd.messages) if (m.type === 'snap') this.raft.reportSnapshot(m.to, true);
        }
        this.apply(rd);
        this.raft.advance(rd);
        if (rd.softState) this.stateChanged();
        this.serveReads(rd);
        await this.maybeSnapshot();
      }
    } catch (err) {
      this.fatal(err as Error);
    } finally {
      this.processing = false;
    }
  }

  private apply(rd: Ready): void {
    const sm = this.opts.stateMachine;
    if (rd.snapshot) {
      sm.restore(rd.snapshot.data, rd.snapshot.metadata.index);
      this.lastSnapshotIndex = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) {
      if (e.type === 'conf') sm.applyConfChange?.(decodeConfChange(e.data), e.index);
      else if (e.data.length > 0) sm.apply(e);
      const p = this.pending.get(e.index);
      if (p) {
        this.pending.delete(e.index);
        p.timer.cancel();
        if (p.term === e.term) p.resolve(e.index);
        else p.reject(new LeadershipLostError('the change'));
      }
    }
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last || rd.snapshot) {
      const index = last?.index ?? rd.snapshot!.metadata.index;
      for (const fn of this.appliedListeners) fn(index);
    }
  }

  private stateChanged(): void {
    if (this.raft.state !== 'leader') {
      // Whatever this node appended as leader may be overwritten by the next leader: the caller
      // learns that the outcome is unknown rather than waiting for a timeout.
      for (const p of this.pending.values()) {
        p.timer.cancel();
        p.reject(new LeadershipLostError('the change'));
      }
      this.pending.clear();
      for (const q of this.queued) q.reject(new NotLeaderError(this.raft.lead));
      this.queued = [];
    }
    const s: NodeState = { state: this.raft.state, lead: this.raft.lead, term: this.raft.term };
    for (const fn of this.listeners) fn(s);
  }

  private serveReads(rd: Ready): void {
    for (const rs of rd.readStates) {
      const read = this.reads.get(rs.requestCtx);
      if (read) read.index = rs.index;
    }
    const applied = this.raft.log.applied;
    for (const [ctx, read] of this.reads) {
      if (read.index === undefined || read.index > applied) continue;
      this.reads.delete(ctx);
      for (const w of read.waiters) {
        w.timer.cancel();
        w.resolve();
      }
    }
  }

  private async maybeSnapshot(): Promise<void> {
    const interval = this.opts.snapshotInterval ?? 10_000;
    const log = this.raft.log;
    // Not while a snapshot from the leader waits to be applied: the state machine is behind.
    if (log.pendingSnapshot || log.applied < log.snapshotIndex) return;
    if (log.applied - this.lastSnapshotIndex < interval) return;
    const snap = this.raft.createSnapshot(this.opts.stateMachine.snapshot(), this.opts.keepEntries ?? 500);
    this.lastSnapshotIndex = snap.metadata.index;
    const saved = this.opts.storage.saveSnapshot(snap);
    if (saved) await saved;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) {
      p.timer.cancel();
      p.reject(err);
    }
    this.pending.clear();
    for (const q of this.queued) q.reject(err);
    this.queued = [];
    for (const read of this.reads.values()) {
      for (const w of read.waiters) {
        w.timer.cancel();
        w.reject(err);
      }
    }
    this.reads.clear();
    this.openRead = undefined;
  }

  private fatal(err: Error): void {
    this.stop();
    if (this.opts.onFatal) this.opts.onFatal(err);
    else throw err;
  }
}
