// The Raft consensus core, in the style of etcd's raft: a pure state machine. The caller feeds it
// messages (step) and ticks (tick), and collects what to persist, send and apply (ready). There
// are no timers, sockets or files here, so the same code runs in swarmd and in the simulator.

import type { Random } from '../random.ts';
import { decodeConfChange, encodeConfChange } from './confchange.ts';
import { RaftLog } from './log.ts';
import { Progress } from './progress.ts';
import { ReadOnlyQueue } from './read-only.ts';
import {
  NONE,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  type Message,
  type MessageType,
  type NodeId,
  type ReadState,
  type Ready,
  type Snapshot,
  type SoftState,
  type StateType,
} from './types.ts';
import type { PersistedState } from './storage.ts';

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized up to 2x). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be smaller than electionTick. */
  heartbeatTick: number;
  random: Random;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Upper bound of the bytes of entries in one append message. */
  maxSizePerMsg?: number;
  /** Append messages in flight to one follower before waiting for acknowledgements. */
  maxInflightMsgs?: number;
  /**
   * Voters of a brand new cluster. Every bootstrapped member writes the same configuration
   * entries, so a node that joins later learns the membership from the log.
   */
  bootstrap?: NodeId[];
  /** What was on disk, for a restart. */
  restore?: PersistedState;
  /** The index already applied by the state machine (e.g. restored from the snapshot). */
  applied?: number;
  /** Optional diagnostics; the core never logs by itself. */
  logger?: (line: string) => void;
}

export type ProposeResult = { ok: true; index?: number } | { ok: false; reason: string };

export class ProposalDroppedError extends Error {}

export interface RaftStatus {
  id: NodeId;
  term: number;
  vote: NodeId;
  lead: NodeId;
  state: StateType;
  commit: number;
  applied: number;
  lastIndex: number;
  voters: NodeId[];
  leadTransferee: NodeId;
  progress?: Record<NodeId, { match: number; next: number; state: string; recentActive: boolean }>;
}

const voteResponseType = (t: MessageType): MessageType => (t === 'preVote' ? 'preVoteResp' : 'voteResp');


export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: StateType = 'follower';
  readonly log: RaftLog;

  /** Every voter, including this node when it is one. */
  private prs = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private readOnly = new ReadOnlyQueue();
  /** Reads that arrived before this leader committed an entry of its term. */
  private pendingReads: Message[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsg: number;
  private readonly maxInflight: number;
  private readonly random: Random;
  private readonly logger: ((line: string) => void) | undefined;

  leadTransferee: NodeId = NONE;
  /** A configuration change at or below this index is not yet applied: refuse another. */
  private pendingConfIndex = 0;

  private prevSoft: SoftState;
  private prevHard: HardState;
  private readyInFlight = false;

  constructor(cfg: RaftConfig) {
    if (!cfg.id) throw new Error('raft: config needs an id');
    if (cfg.heartbeatTick <= 0 || cfg.electionTick <= cfg.heartbeatTick) {
      throw new Error('raft: electionTick must be greater than heartbeatTick, and both positive');
    }
    this.id = cfg.id;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.preVote = cfg.preVote ?? true;
    this.checkQuorum = cfg.checkQuorum ?? true;
    this.maxSizePerMsg = cfg.maxSizePerMsg ?? 1024 * 1024;
    this.maxInflight = cfg.maxInflightMsgs ?? 256;
    this.random = cfg.random;
    this.logger = cfg.logger;

    const restored = cfg.restore;
    this.log = new RaftLog(restored?.snapshot, restored?.entries ?? []);
    if (restored?.snapshot) this.applyConfState(restored.snapshot.metadata.confState);
    if (restored) {
      this.term = restored.hardState.term;
      this.vote = restored.hardState.vote;
      if (restored.hardState.commit > 0) this.log.commitTo(Math.min(restored.hardState.commit, this.log.lastIndex()));
    }
    if (cfg.applied !== undefined && cfg.applied > this.log.applied) this.log.appliedTo(cfg.applied);
    // Membership is the snapshot's plus the configuration entries the state machine has already
    // applied; later ones take effect again as they are applied (advance).
    for (const e of this.log.allEntries()) {
      if (e.index > this.log.applied) break;
      if (e.type === 'conf') this.applyConfChangeToTracker(decodeConfChange(e.data));
    }

    if (cfg.bootstrap && cfg.bootstrap.length > 0 && this.log.lastIndex() === 0 && this.term === 0) {
      const ents: Entry[] = cfg.bootstrap.map((id, i) => ({
        term: 1,
        index: i + 1,
        type: 'conf' as EntryType,
        data: encodeConfChange({ type: 'addNode', nodeId: id }),
      }));
      this.log.append(ents);
      this.log.stableIndex = 0;
      this.term = 1;
      this.log.commitTo(ents.length);
      for (const e of ents) this.applyConfChangeToTracker(decodeConfChange(e.data));
    }

    this.becomeFollower(this.term, NONE);
    this.prevSoft = { lead: this.lead, state: this.state };
    this.prevHard = restored ? { ...restored.hardState } : { term: 0, vote: NONE, commit: 0 };
  }

  // ---- public API -----------------------------------------------------------------------------

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Starts an election now (as an expired election timer would). */
  campaign(): void {
    this.step(message({ type: 'hup', from: this.id }));
  }

  /**
   * Proposes entries. On the leader they are appended at once; on a follower they are forwarded
   * to the leader (their index is then unknown here).
   */
  propose(data: Uint8Array[] | Uint8Array, type: EntryType = 'normal'): ProposeResult {
    const list = Array.isArray(data) ? data : [data];
    if (list.length === 0) return { ok: false, reason: 'nothing to propose' };
    try {
      this.step(
        message({
          type: 'prop',
          from: this.id,
          entries: list.map((d) => ({ term: 0, index: 0, type, data: d })),
        }),
      );
    } catch (err) {
      if (err instanceof ProposalDroppedError) return { ok: false, reason: err.message };
      throw err;
    }
    return this.state === 'leader' ? { ok: true, index: this.log.lastIndex() } : { ok: true };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.propose(encodeConfChange(cc), 'conf');
  }

  /** Asks for a linearizable read; a ReadState with this ctx appears in a later Ready. */
  readIndex(ctx: string): void {
    this.step(message({ type: 'readIndex', from: this.id, context: ctx }));
  }

  /** Asks the leader to hand leadership to `transferee`. */
  transferLeadership(transferee: NodeId): void {
    // The transferee travels in `context`: a follower forwards the request to the leader, and
    // send() makes `from` the sender, so `from` cannot carry it.
    this.step(message({ type: 'transferLeader', from: this.id, to: this.id, context: transferee }));
  }

  /** The transport reports that a message to `id` could not be delivered. */
  reportUnreachable(id: NodeId): void {
    this.step(message({ type: 'unreachable', from: id }));
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.step(message({ type: 'snapStatus', from: id, reject: !ok }));
  }

  /**
   * The application made a snapshot of its state at the applied index: compact the log.
   * `keepEntries` older entries stay, for followers that are only a little behind.
   */
  createSnapshot(data: Uint8Array, keepEntries = 0): Snapshot {
    const index = this.log.applied;
    const term = this.log.term(index);
    if (term === undefined) throw new Error(`raft: cannot snapshot at ${index}: entry is compacted`);
    const snap: Snapshot = { metadata: { index, term, confState: this.confState() }, data };
    this.log.compact(snap, keepEntries);
    return snap;
  }

  confState(): ConfState {
    return { voters: [...this.prs.keys()].sort() };
  }

  voters(): NodeId[] {
    return [...this.prs.keys()];
  }

  isVoter(id: NodeId = this.id): boolean {
    return this.prs.has(id);
  }

  status(): RaftStatus {
    const s: RaftStatus = {
      id: this.id,
      term: this.term,
      vote: this.vote,
      lead: this.lead,
      state: this.state,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      voters: this.voters().sort(),
      leadTransferee: this.leadTransferee,
    };
    if (this.state === 'leader') {
      s.progress = {};
      for (const [id, pr] of this.prs) {
        s.progress[id] = { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive };
      }
    }
    return s;
  }

  // ---- Ready / advance --------------------------------------------------------------------------

  private softState(): SoftState {
    return { lead: this.lead, state: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  hasReady(): boolean {
    if (this.readyInFlight) return false;
    const soft = this.softState();
    const hard = this.hardState();
    return (
      soft.lead !== this.prevSoft.lead ||
      soft.state !== this.prevSoft.state ||
      hard.term !== this.prevHard.term ||
      hard.vote !== this.prevHard.vote ||
      hard.commit !== this.prevHard.commit ||
      this.log.pendingSnapshot !== undefined ||
      this.log.lastIndex() > this.log.stableIndex ||
      this.log.hasNextCommitted() ||
      this.msgs.length > 0 ||
      this.readStates.length > 0
    );
  }

  /** What to do now. Call advance(ready) when done before asking again. */
  ready(): Ready {
    if (this.readyInFlight) throw new Error('raft: ready() called again before advance()');
    this.readyInFlight = true;
    const rd: Ready = {
      entries: this.log.unstableEntries(),
      committedEntries: this.log.nextCommitted(),
      messages: this.msgs,
      readStates: this.readStates,
    };
    const soft = this.softState();
    if (soft.lead !== this.prevSoft.lead || soft.state !== this.prevSoft.state) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    const hard = this.hardState();
    if (hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote || hard.commit !== this.prevHard.commit) {
      rd.hardState = hard;
    }
    if (this.log.pendingSnapshot) rd.snapshot = this.log.pendingSnapshot;
    this.msgs = [];
    this.readStates = [];
    return rd;
  }

  advance(rd: Ready): void {
    this.readyInFlight = false;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      if (this.log.pendingSnapshot === rd.snapshot) this.log.pendingSnapshot = undefined;
      this.log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry) {
      this.log.stableTo(lastEntry.index, lastEntry.term);
      // The leader counts its own copy only once it is on disk.
      if (this.state === 'leader') {
        const self = this.prs.get(this.id);
        if (self && self.maybeUpdate(this.log.stableIndex) && this.maybeCommit()) this.bcastAppend();
      }
    }
    for (const e of rd.committedEntries) {
      this.log.appliedTo(e.index);
      // An entry at or below a snapshot restored meanwhile is already part of its configuration.
      if (e.type === 'conf' && e.index > (this.log.snapshot?.metadata.index ?? 0)) {
        this.applyConfChange(decodeConfChange(e.data));
      }
    }
  }

  // ---- state transitions ------------------------------------------------------------------------

  private promotable(): boolean {
    return this.prs.has(this.id) && this.log.pendingSnapshot === undefined;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.int(this.electionTimeout);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const id of this.prs.keys()) {
      const fresh = new Progress(last + 1, this.maxInflight);
      if (id === this.id) fresh.match = this.log.stableIndex;
      this.prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.readOnly.reset();
    this.pendingReads = [];
  }

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  private becomePreCandidate(): void {
    if (this.state === 'leader') throw new Error('raft: leader cannot become pre-candidate');
    // Neither the term nor the vote changes: a pre-election must not disturb the cluster.
    this.votes.clear();
    this.lead = NONE;
    this.state = 'preCandidate';
  }

  private becomeCandidate(): void {
    if (this.state === 'leader') throw new Error('raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  private becomeLeader(): void {
    if (this.state === 'follower') throw new Error('raft: follower cannot become leader directly');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    // Followers become recently active by answering this leader, not by having voted: a leader
    // that hears from no quorum within its first election timeout steps down (check-quorum).
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    // No configuration change until everything before this term is applied and, through the
    // empty entry just appended, an entry of this term is committed (and applied).
    this.pendingConfIndex = this.log.lastIndex();
    this.logger?.(`${this.id} became leader at term ${this.term}`);
  }

  private campaign_(kind: 'pre' | 'election' | 'transfer'): void {
    if (!this.promotable()) return;
    let voteType: MessageType;
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteType = 'preVote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      term = this.term;
    }
    const result = this.poll(this.id, true);
    if (result === 'won') {
      if (kind === 'pre') this.campaign_('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.prs.keys()) {
      if (id === this.id) continue;
      this.send(
        message({
          type: voteType,
          to: id,
          term,
          index: this.log.lastIndex(),
          logTerm: this.log.lastTerm(),
          context: kind === 'transfer' ? 'transfer' : '',
        }),
      );
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const voter of this.prs.keys()) {
      const v = this.votes.get(voter);
      if (v === true) yes++;
      else if (v === false) no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'won';
    if (no > this.prs.size - q) return 'lost';
    return 'pending';
  }

  private quorum(): number {
    return Math.floor(this.prs.size / 2) + 1;
  }

  // ---- step ---------------------------------------------------------------------------------------

  step(m: Message): void {
    try {
      this.stepInner(m);
    } catch (err) {
      // A proposal forwarded by a follower that cannot be accepted here is dropped: the
      // follower's caller times out, as with a lost message.
      if (err instanceof ProposalDroppedError && m.from !== this.id) return;
      throw err;
    }
  }

  private stepInner(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === 'transfer';
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Check-quorum's lease: a node that heard from a leader recently ignores a (pre)candidate,
        // so a node that was cut off and comes back cannot depose a healthy leader.
        if (!force && inLease) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // The term in a granted pre-vote response is the one we would campaign in.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (e.g. one that was partitioned) learns our term and steps down. Without
        // this, with pre-vote, it would keep the rest of the cluster from making progress.
        this.send(message({ type: 'appResp', to: m.from }));
      } else if (m.type === 'preVote') {
        this.send(message({ type: 'preVoteResp', to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case 'hup':
        this.hup(this.preVote ? 'pre' : 'election');
        return;
      case 'vote':
      case 'preVote': {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === 'preVote' && m.term > this.term);
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          // Grant in the term of the request: for a pre-vote that is the future term.
          this.send(message({ type: voteResponseType(m.type), to: m.from, term: m.term }));
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(message({ type: voteResponseType(m.type), to: m.from, term: this.term, reject: true }));
        }
        return;
      }
    }
    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private hup(kind: 'pre' | 'election' | 'transfer'): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    // A committed but unapplied configuration change may change who votes: wait for it.
    for (const e of this.log.nextCommitted()) {
      if (e.type === 'conf') {
        this.logger?.(`${this.id} cannot campaign: configuration change at ${e.index} not yet applied`);
        return;
      }
    }
    this.campaign_(kind);
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'beat':
        this.bcastHeartbeat();
        return;
      case 'checkQuorum':
        if (!this.quorumActive()) {
          this.logger?.(`${this.id} stepped down at term ${this.term}: no quorum heard from`);
          this.becomeFollower(this.term, NONE);
        }
        for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
        return;
      case 'prop': {
        if (!this.prs.has(this.id)) throw new ProposalDroppedError('this node was removed from the cluster');
        if (this.leadTransferee !== NONE) {
          throw new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}`);
        }
        const confAt = m.entries.findIndex((e) => e.type === 'conf');
        if (confAt >= 0) {
          if (this.pendingConfIndex > this.log.applied || m.entries.filter((e) => e.type === 'conf').length > 1) {
            throw new ProposalDroppedError('a configuration change is already in progress; retry when it is applied');
          }
          this.pendingConfIndex = this.log.lastIndex() + 1 + confAt;
        }
        this.appendEntries(m.entries);
        this.bcastAppend();
        return;
      }
      case 'readIndex': {
        if (this.prs.size === 1) {
          this.answerRead(m.from, this.log.committed, m.context);
          return;
        }
        // Until this leader commits an entry of its own term it does not know the real commit
        // index (Raft §6.4): hold the read.
        if (this.log.term(this.log.committed) !== this.term) {
          this.pendingReads.push(m);
          return;
        }
        this.startRead(m);
        return;
      }
      case 'appResp': {
        const pr = this.prs.get(m.from);
        if (!pr) return;
        pr.recentActive = true;
        if (m.reject) {
          let next = m.rejectHint;
          if (m.logTerm > 0) next = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
          if (pr.maybeDecrTo(m.index, next)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        const wasPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index)) {
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
            pr.becomeProbe();
            pr.becomeReplicate();
          } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);

          if (this.maybeCommit()) this.bcastAppend();
          else if (wasPaused) this.sendAppend(m.from);
          while (this.maybeSendAppend(m.from, false)) {
            /* keep the pipeline full */
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.logger?.(`${this.id} sends timeoutNow to ${m.from}: its log is up to date`);
            this.send(message({ type: 'timeoutNow', to: m.from }));
          }
        }
        return;
      }
      case 'heartbeatResp': {
        const pr = this.prs.get(m.from);
        if (!pr) return;
        pr.recentActive = true;
        pr.probeSent = false;
        // A heartbeat answer proves the follower is alive: let one more append through.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context === '') return;
        const acks = this.readOnly.ack(m.context, m.from);
        if (!acks) return;
        let voterAcks = 0;
        for (const id of acks) if (this.prs.has(id)) voterAcks++;
        if (voterAcks < this.quorum()) return;
        for (const rs of this.readOnly.release(m.context)) this.answerRead(rs.from, rs.index, rs.ctx);
        return;
      }
      case 'snapStatus': {
        const pr = this.prs.get(m.from);
        if (!pr || pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing again, so a failing snapshot is not resent
        // in a tight loop.
        pr.probeSent = true;
        return;
      }
      case 'unreachable': {
        const pr = this.prs.get(m.from);
        if (pr && pr.state === 'replicate') pr.becomeProbe();
        return;
      }
      case 'transferLeader': {
        const transferee = m.context;
        if (!this.prs.has(transferee)) return;
        if (this.leadTransferee !== NONE) {
          if (this.leadTransferee === transferee) return;
          this.leadTransferee = NONE;
        }
        // Transferring to ourselves is a no-op, but it does cancel a transfer in progress.
        if (transferee === this.id) return;
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        this.logger?.(`${this.id} starts transferring leadership to ${transferee}`);
        const pr = this.prs.get(transferee)!;
        if (pr.match === this.log.lastIndex()) this.send(message({ type: 'timeoutNow', to: transferee }));
        else this.sendAppend(transferee);
        return;
      }
    }
  }

  private stepCandidate(m: Message): void {
    const myVoteResp: MessageType = this.state === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'prop':
        throw new ProposalDroppedError('no leader: an election is in progress');
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'readIndex':
        return;
      case 'preVoteResp':
      case 'voteResp': {
        if (m.type !== myVoteResp) return;
        const r = this.poll(m.from, !m.reject);
        if (r === 'won') {
          if (this.state === 'preCandidate') this.campaign_('election');
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (r === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'prop':
        if (this.lead === NONE) throw new ProposalDroppedError('no leader');
        this.send({ ...m, to: this.lead });
        return;
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'transferLeader':
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead });
        return;
      case 'timeoutNow':
        this.logger?.(`${this.id} campaigns at once: leadership transferred to it`);
        this.hup('transfer');
        return;
      case 'readIndex':
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead });
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, requestCtx: m.context });
        return;
    }
  }

  // ---- replication --------------------------------------------------------------------------------

  private appendEntries(ents: Entry[]): void {
    let index = this.log.lastIndex();
    const stamped = ents.map((e) => ({ term: this.term, index: ++index, type: e.type, data: e.data }));
    this.log.append(stamped);
    // The leader's own progress moves when the entries are stable (advance), not here.
  }

  private maybeCommit(): boolean {
    const matches = [...this.prs.values()].map((p) => p.match).sort((a, b) => b - a);
    const mci = matches[this.quorum() - 1] ?? 0;
    // Only entries of the current term are committed by counting (the Figure 8 case).
    if (mci > this.log.committed && this.log.term(mci) === this.term) {
      this.log.commitTo(mci);
      this.releasePendingReads();
      return true;
    }
    return false;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents = prevTerm === undefined ? undefined : this.log.slice(pr.next, this.maxSizePerMsg);
    if (ents !== undefined && ents.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || ents === undefined) {
      if (!pr.recentActive) return false;
      const snap = this.log.snapshot;
      if (!snap) return false;
      this.logger?.(`${this.id} sends snapshot at ${snap.metadata.index} to ${to}`);
      this.send(message({ type: 'snap', to, snapshot: snap }));
      pr.becomeSnapshot(snap.metadata.index);
      return true;
    }
    const last = ents.length > 0 ? ents[ents.length - 1]!.index : prevIndex;
    this.send(message({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed }));
    pr.sentEntries(ents.length, last);
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx = this.readOnly.lastPending() ?? ''): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // Never tell a follower a commit index beyond what it has: it could not apply it.
      this.send(message({ type: 'heartbeat', to: id, commit: Math.min(pr.match, this.log.committed), context: ctx }));
    }
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const [id, pr] of this.prs) if (id === this.id || pr.recentActive) active++;
    return active >= this.quorum();
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: 'appResp', to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(message({ type: 'appResp', to: m.from, index: lastNew }));
      return;
    }
    // Reject with a hint: the last index whose term is no greater than the leader's term at
    // m.index, so the leader skips over a whole conflicting term at once.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.send(message({ type: 'appResp', to: m.from, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm }));
  }

  private handleHeartbeat(m: Message): void {
    if (m.commit <= this.log.lastIndex()) this.log.commitTo(m.commit);
    this.send(message({ type: 'heartbeatResp', to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (this.restore(s)) {
      this.logger?.(`${this.id} restored snapshot at ${s.metadata.index}`);
      this.send(message({ type: 'appResp', to: m.from, index: this.log.lastIndex() }));
    } else {
      this.send(message({ type: 'appResp', to: m.from, index: this.log.committed }));
    }
  }

  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the entries: just move commit forward.
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    this.applyConfState(s.metadata.confState);
    return true;
  }

  // ---- reads --------------------------------------------------------------------------------------

  private startRead(m: Message): void {
    this.readOnly.add(m.context, this.log.committed, m.from);
    this.readOnly.ack(m.context, this.id);
    this.bcastHeartbeat(m.context);
  }

  private answerRead(from: NodeId, index: number, ctx: string): void {
    if (from === NONE || from === this.id) this.readStates.push({ index, requestCtx: ctx });
    else this.send(message({ type: 'readIndexResp', to: from, index, context: ctx }));
  }

  private releasePendingReads(): void {
    if (this.pendingReads.length === 0 || this.log.term(this.log.committed) !== this.term) return;
    const reads = this.pendingReads;
    this.pendingReads = [];
    for (const m of reads) this.startRead(m);
  }

  // ---- membership -----------------------------------------------------------------------------------

  private applyConfState(cs: ConfState): void {
    this.prs.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of cs.voters) this.prs.set(id, new Progress(next, this.maxInflight));
  }

  private applyConfChangeToTracker(cc: ConfChange): void {
    if (cc.type === 'addNode') {
      if (this.prs.has(cc.nodeId)) return;
      const pr = new Progress(this.log.lastIndex() + 1, this.maxInflight);
      // A new member counts as active, so check-quorum does not fire before it caught up.
      pr.recentActive = true;
      this.prs.set(cc.nodeId, pr);
    } else {
      this.prs.delete(cc.nodeId);
    }
  }

  private applyConfChange(cc: ConfChange): void {
    this.applyConfChangeToTracker(cc);
    if (cc.type === 'removeNode') {
      if (cc.nodeId === this.leadTransferee) this.leadTransferee = NONE;
      if (cc.nodeId === this.id && this.state === 'leader') {
        this.logger?.(`${this.id} was removed from the cluster: stepping down`);
        this.becomeFollower(this.term, NONE);
        return;
      }
    }
    if (this.state === 'leader' && this.prs.size > 0) {
      if (this.maybeCommit()) this.bcastAppend();
      else if (cc.type === 'addNode') this.sendAppend(cc.nodeId);
    }
  }

  // ---- ticks --------------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: 'hup', from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(message({ type: 'checkQuorum', from: this.id }));
      if (this.state === 'leader' && this.leadTransferee !== NONE) {
        this.logger?.(`${this.id} aborts leadership transfer to ${this.leadTransferee}: timed out`);
        this.leadTransferee = NONE;
      }
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: 'beat', from: this.id }));
    }
  }

  private send(m: Message): void {
    m.from = this.id;
    // Vote traffic carries its own term; proposals and read requests are term-less (local
    // semantics) so they survive a term change while forwarded. Everything else gets our term.
    if (m.type === 'vote' || m.type === 'voteResp' || m.type === 'preVote' || m.type === 'preVoteResp') {
      if (m.term === 0) throw new Error(`raft: ${m.type} without a term`);
    } else if (m.type !== 'prop' && m.type !== 'readIndex') {
      m.term = this.term;
    }
    this.msgs.push(m);
  }
}
