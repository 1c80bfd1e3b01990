// A synchronous test network for the Raft core, in the manner of etcd's raft_test.go `network`:
// messages are delivered immediately and in order, unless a test drops, cuts or isolates.

import { Raft, type RaftConfig } from '../../../core/raft/raft.ts';
import type { PersistedState } from '../../../core/raft/storage.ts';
import type { Entry, HardState, Message, NodeId, Snapshot } from '../../../core/raft/types.ts';
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

  load(): PersistedState {
    return { hardState: { ...this.hardState }, snapshot: this.snapshot, entries: this.entries.slice() };
  }
}

export interface NodeOptions extends Partial<RaftConfig> {
  peers?: NodeId[];
}

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (d: Uint8Array) => new TextDecoder().decode(d);

export class TestNetwork {
  nodes = new Map<NodeId, Raft>();
  disks = new Map<NodeId, MemoryDisk>();
  /** Applied normal entries (non-empty data) per node, as strings. */
  applied = new Map<NodeId, string[]>();
  private cut = new Set<string>();
  private dropRate = new Map<string, number>();
  private ignored = new Set<string>();
  private random = seededRandom(1);
  /** Every message delivered, for assertions on what was sent. */
  delivered: Message[] = [];
  /** When set, messages are queued here instead of delivered. */
  intercept: ((m: Message) => boolean) | undefined;
  held: Message[] = [];

  constructor(
    ids: NodeId[],
    private defaults: NodeOptions = {},
  ) {
    for (const id of ids) this.add(id, { bootstrap: ids, ...defaults });
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
      random: seededRandom(id.charCodeAt(id.length - 1) * 7919 + 13),
      preVote: false,
      checkQuorum: false,
      ...this.defaults,
      ...opts,
    });
    this.nodes.set(id, r);
    if (!this.applied.has(id)) this.applied.set(id, []);
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
    const queue: Message[] = [...msgs];
    for (;;) {
      for (const id of this.nodes.keys()) queue.push(...this.drain(id));
      const m = queue.shift();
      if (!m) return;
      if (!this.deliverable(m)) continue;
      if (this.intercept && this.intercept(m)) {
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
      if (rd.snapshot) this.applied.set(id, [`snapshot@${rd.snapshot.metadata.index}`]);
      for (const e of rd.committedEntries) {
        if (e.type === 'normal' && e.data.length > 0) this.applied.get(id)!.push(dec(e.data));
      }
      r.advance(rd);
    }
    return out;
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

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
    this.send();
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
