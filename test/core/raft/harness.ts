// A synchronous test network for the Raft core, in the manner of etcd's raft_test.go `network`:
// messages are delivered immediately and in order, unless a test drops, cuts or isolates.

import { Raft, type RaftConfig } from '../../../core/raft/raft.ts';
import type { PersistedState } from '../../../core/raft/storage.ts';
import {
  message,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
} from '../../../core/raft/types.ts';
import { seededRandom } from '../../../core/random.ts';

/** What a node has made durable: enough to restart it. */
export class MemoryDisk {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];

  save(hs: HardState | undefined, ents: Entry[], snap?: Snapshot): void {
    if (hs) this.hardState = { ...hs };
    if (snap) {
      this.snapshot = snap;
      // A snapshot from the leader replaces the log: entries after it are not known to match.
      this.entries = [];
    }
    for (const e of ents) {
      const first = this.entries[0]?.index ?? e.index;
      this.entries.length = Math.max(0, e.index - first);
      this.entries.push(e);
    }
  }

  /** The application compacted its own log at a snapshot: keep only the entries after it. */
  saveSnapshot(snap: Snapshot): void {
    if (this.snapshot && snap.metadata.index <= this.snapshot.metadata.index) return;
    this.snapshot = snap;
    this.entries = this.entries.filter((e) => e.index > snap.metadata.index);
  }

  load(): PersistedState {
    return { hardState: { ...this.hardState }, snapshot: this.snapshot, entries: this.entries.slice() };
  }
}

export interface NodeOptions extends Partial<RaftConfig> {
  peers?: NodeId[];
}

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (d: Uint8Array) => new TextDecoder().decode(d);

/** Entries with the given terms from index `from` on: the shape of a log in the paper's figures. */
export function logOf(terms: number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ term, index: from + i, type: 'normal', data: enc(`${from + i}@${term}`) }));
}

/** The terms of a node's log, from its first retained entry: easy to compare with a figure. */
export function termsOf(r: Raft): number[] {
  return r.log.allEntries().map((e) => e.term);
}

export interface DiskShape {
  /** Terms of the entries at indexes 1, 2, ... */
  terms?: number[];
  /** Defaults to the last entry's term. */
  term?: number;
  vote?: NodeId;
  commit?: number;
}

/**
 * The durable state of a member of `voters` whose log holds entries of `terms`, as etcd's tests
 * build them: the membership comes from an empty snapshot at index 0, so the log is exactly the
 * given entries (no bootstrap configuration entries).
 */
export function diskState(voters: NodeId[], shape: DiskShape = {}): PersistedState {
  const terms = shape.terms ?? [];
  return {
    hardState: { term: shape.term ?? terms[terms.length - 1] ?? 0, vote: shape.vote ?? '', commit: shape.commit ?? 0 },
    snapshot: { metadata: { index: 0, term: 0, confState: { voters: [...voters] } }, data: new Uint8Array(0) },
    entries: logOf(terms),
  };
}

export const seedOf = (id: NodeId) => id.charCodeAt(id.length - 1) * 7919 + 13;

/**
 * A single Raft node driven by hand, as in etcd's paper tests: step it with built messages and
 * look at what flush() returns. Pre-vote and check-quorum are off unless asked for.
 */
export function newRaft(id: NodeId, voters: NodeId[], opts: NodeOptions & DiskShape = {}): Raft {
  const { terms, term, vote, commit, ...cfg } = opts;
  return new Raft({
    id,
    electionTick: 10,
    heartbeatTick: 1,
    random: seededRandom(seedOf(id)),
    preVote: false,
    checkQuorum: false,
    restore: diskState(voters, { terms, term, vote, commit }),
    ...cfg,
  });
}

/**
 * Does what the application does with each Ready until there is none (persist, send, apply,
 * advance) and returns the messages the node wanted sent.
 */
export function flush(r: Raft): Message[] {
  const out: Message[] = [];
  while (r.hasReady()) {
    const rd = r.ready();
    out.push(...rd.messages);
    r.advance(rd);
  }
  return out;
}

/** Makes a hand-driven node leader: it campaigns and its peers grant, in id order. */
export function makeLeader(r: Raft): Message[] {
  const state = () => r.state; // read afresh: step() changes it behind the compiler's back
  r.campaign();
  // With pre-vote, two rounds: the pre-vote, then the real vote.
  for (let round = 0; round < 2 && state() !== 'leader'; round++) {
    for (const peer of r.voters().sort()) {
      if (state() === 'leader' || peer === r.id) continue;
      if (state() === 'preCandidate') r.step(message({ type: 'preVoteResp', from: peer, to: r.id, term: r.term + 1 }));
      else r.step(message({ type: 'voteResp', from: peer, to: r.id, term: r.term }));
    }
  }
  if (state() !== 'leader') throw new Error(`${r.id} did not become leader`);
  return flush(r);
}

/** A follower's acknowledgement of the leader's log up to `index`. */
export function ack(r: Raft, from: NodeId, index: number): Message[] {
  r.step(message({ type: 'appResp', from, to: r.id, term: r.term, index }));
  return flush(r);
}

export const ofType = (msgs: Message[], type: Message['type'], to?: NodeId) =>
  msgs.filter((m) => m.type === type && (to === undefined || m.to === to));

export class TestNetwork {
  nodes = new Map<NodeId, Raft>();
  disks = new Map<NodeId, MemoryDisk>();
  /** Applied normal entries (non-empty data) per node, as strings. */
  applied = new Map<NodeId, string[]>();
  /** ReadStates handed to the application, per node. */
  reads = new Map<NodeId, ReadState[]>();
  private cut = new Set<string>();
  private dropRate = new Map<string, number>();
  private ignored = new Set<string>();
  private random = seededRandom(1);
  /** Every message delivered, for assertions on what was sent. */
  delivered: Message[] = [];
  /** When set, messages are queued here instead of delivered. */
  intercept: ((m: Message) => boolean) | undefined;
  held: Message[] = [];

  /**
   * A cluster of `ids` bootstrapped together; a node listed in `states` instead starts from that
   * durable state (see diskState), to build the logs of the paper's figures.
   */
  constructor(
    ids: NodeId[],
    private defaults: NodeOptions = {},
    states: Partial<Record<NodeId, PersistedState>> = {},
  ) {
    for (const id of ids) {
      const st = states[id];
      if (!st) {
        this.add(id, { bootstrap: ids, ...defaults });
        continue;
      }
      const disk = new MemoryDisk();
      disk.hardState = { ...st.hardState };
      disk.snapshot = st.snapshot;
      disk.entries = st.entries.slice();
      this.disks.set(id, disk);
      this.add(id, { restore: disk.load() });
    }
    // Persist and apply the bootstrap configuration, as a starting node would.
    this.send();
  }

  add(id: NodeId, opts: NodeOptions = {}): Raft {
    const disk = this.disks.get(id) ?? new MemoryDisk();
    this.disks.set(id, disk);
    const r = new Raft({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      random: seededRandom(seedOf(id)),
      preVote: false,
      checkQuorum: false,
      ...this.defaults,
      ...opts,
    });
    this.nodes.set(id, r);
    if (!this.applied.has(id)) this.applied.set(id, []);
    if (!this.reads.has(id)) this.reads.set(id, []);
    return r;
  }

  /** Crash a node and bring it back from its disk (volatile state is lost). */
  restart(id: NodeId, opts: NodeOptions = {}): Raft {
    const disk = this.disks.get(id)!;
    this.applied.set(id, []);
    return this.add(id, { bootstrap: undefined, restore: disk.load(), ...opts });
  }

  node(id: NodeId): Raft {
    const r = this.nodes.get(id);
    if (!r) throw new Error(`no node ${id}`);
    return r;
  }

  /** Delivers messages until the network is quiet. */
  send(...msgs: Message[]): void {
    this.run(msgs, new Set());
  }

  private run(msgs: Message[], released: Set<Message>): void {
    const queue: Message[] = [...msgs];
    for (;;) {
      for (const id of this.nodes.keys()) queue.push(...this.drain(id));
      const m = queue.shift();
      if (!m) return;
      if (!this.deliverable(m)) continue;
      if (this.intercept && !released.has(m) && this.intercept(m)) {
        this.held.push(m);
        continue;
      }
      const to = this.nodes.get(m.to);
      if (!to) continue;
      this.delivered.push(m);
      to.step(m);
    }
  }

  /** Runs every node's Ready cycle (persist, apply, advance) and returns the messages to send. */
  drain(id: NodeId): Message[] {
    const r = this.nodes.get(id)!;
    const disk = this.disks.get(id)!;
    const out: Message[] = [];
    while (r.hasReady()) {
      const rd = r.ready();
      disk.save(rd.hardState, rd.entries, rd.snapshot);
      out.push(...rd.messages);
      this.reads.get(id)!.push(...rd.readStates);
      if (rd.snapshot) this.applied.set(id, [`snapshot@${rd.snapshot.metadata.index}`]);
      for (const e of rd.committedEntries) {
        if (e.type === 'normal' && e.data.length > 0) this.applied.get(id)!.push(dec(e.data));
      }
      r.advance(rd);
    }
    return out;
  }

  /** A cluster of the keys of `logs`, each node holding a log of those terms (as in Figure 7). */
  static withLogs(logs: Record<NodeId, number[]>, defaults: NodeOptions = {}): TestNetwork {
    const ids = Object.keys(logs);
    const states: Record<NodeId, PersistedState> = {};
    for (const id of ids) states[id] = diskState(ids, { terms: logs[id] });
    return new TestNetwork(ids, defaults, states);
  }

  /** Campaigns on `id` and runs the network until quiet. */
  elect(id: NodeId): void {
    this.node(id).campaign();
    this.send();
  }

  propose(id: NodeId, data: string): ReturnType<Raft['propose']> {
    const res = this.node(id).propose(enc(data));
    this.send();
    return res;
  }

  /** Ticks one node `n` times, delivering what each tick causes before the next. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).tick();
      this.send();
    }
  }

  /** Ticks every node once per round, `rounds` times, delivering after each round. */
  tickAll(rounds = 1): void {
    for (let i = 0; i < rounds; i++) {
      for (const r of this.nodes.values()) r.tick();
      this.send();
    }
  }

  /** Delivers the held messages that match (all by default), and whatever they cause. */
  release(match: (m: Message) => boolean = () => true): void {
    const now = this.held.filter(match);
    this.held = this.held.filter((m) => !match(m));
    this.run(now, new Set(now));
  }

  /** Messages delivered so far, of one type (optionally from/to given nodes). */
  sent(type: Message['type'], from?: NodeId, to?: NodeId): Message[] {
    return this.delivered.filter(
      (m) => m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to),
    );
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  drop(from: NodeId, to: NodeId, rate: number): void {
    this.dropRate.set(`${from}>${to}`, rate);
  }

  /** Drops every message of this type. */
  ignore(type: Message['type']): void {
    this.ignored.add(type);
  }

  recover(): void {
    this.cut.clear();
    this.dropRate.clear();
    this.ignored.clear();
  }

  private deliverable(m: Message): boolean {
    if (this.ignored.has(m.type)) return false;
    const key = `${m.from}>${m.to}`;
    if (this.cut.has(key)) return false;
    const rate = this.dropRate.get(key);
    if (rate !== undefined && this.random.next() < rate) return false;
    return true;
  }

  leader(): Raft | undefined {
    const leaders = [...this.nodes.values()].filter((r) => r.state === 'leader');
    let best: Raft | undefined;
    for (const l of leaders) if (!best || l.term > best.term) best = l;
    return best;
  }
}
