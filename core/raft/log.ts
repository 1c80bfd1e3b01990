import type { Entry, Snapshot } from './types.ts';

/**
 * The in-memory Raft log: a snapshot (everything up to `snapshotIndex`, compacted) followed by
 * entries. Entries above `stableIndex` are not yet known to be on disk ("unstable"); they are
 * handed to the application in Ready and marked stable on advance.
 */
export class RaftLog {
  /** The latest snapshot, sent to followers that are too far behind. */
  snapshot: Snapshot | undefined;
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** entries[i].index === snapshotIndex + 1 + i */
  private entries: Entry[] = [];
  /** A snapshot received from the leader that has not been persisted yet. */
  pendingSnapshot: Snapshot | undefined;
  stableIndex = 0;
  committed = 0;
  applied = 0;

  constructor(snapshot: Snapshot | undefined, entries: Entry[]) {
    if (snapshot) {
      this.snapshot = snapshot;
      this.snapshotIndex = snapshot.metadata.index;
      this.snapshotTerm = snapshot.metadata.term;
      this.committed = this.snapshotIndex;
      this.applied = this.snapshotIndex;
    }
    for (const e of entries) {
      if (e.index !== this.snapshotIndex + 1 + this.entries.length) {
        throw new Error(
          `raft log: entry ${e.index} does not follow ${this.lastIndex()} (restored log has a gap)`,
        );
      }
      this.entries.push(e);
    }
    this.stableIndex = this.lastIndex();
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of entry i, or undefined when it is compacted away or beyond the log. */
  term(i: number): number | undefined {
    if (i === this.snapshotIndex) return this.snapshotTerm;
    if (i < this.snapshotIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapshotIndex - 1]!.term;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Entries [lo, ...] up to maxBytes (at least one), or undefined when lo is compacted.
   */
  slice(lo: number, maxBytes = Infinity, hi = this.lastIndex() + 1): Entry[] | undefined {
    if (lo <= this.snapshotIndex) return undefined;
    if (lo > this.lastIndex()) return [];
    const start = lo - this.snapshotIndex - 1;
    const end = Math.min(hi, this.lastIndex() + 1) - this.snapshotIndex - 1;
    if (maxBytes === Infinity) return this.entries.slice(start, end);
    const out: Entry[] = [];
    let size = 0;
    for (let i = start; i < end; i++) {
      const e = this.entries[i]!;
      size += e.data.length + 24;
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /**
   * The index of the first entry of `ents` that conflicts with the log (different term) or is
   * new; 0 when every entry is already present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The fast-backtracking hint: the largest index <= index whose term is <= term. A leader whose
   * probe was rejected can skip a whole term of mismatching entries at once.
   */
  findConflictByTerm(index: number, term: number): number {
    for (let i = Math.min(index, this.lastIndex()); i > 0; i--) {
      const t = this.term(i);
      // Compacted: its term is unknown, so it may match. (Returning the snapshot index instead
      // would claim an entry whose term is newer, costing the leader an extra probe.)
      if (t === undefined || t <= term) return i;
    }
    return 0;
  }

  /** Appends after truncating any conflicting suffix. Returns the new last index. */
  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const first = ents[0]!.index;
    if (first <= this.committed) {
      throw new Error(`raft log: append at ${first} would overwrite committed entry (committed ${this.committed})`);
    }
    if (first > this.lastIndex() + 1) {
      throw new Error(`raft log: append at ${first} leaves a gap after ${this.lastIndex()}`);
    }
    this.entries.length = first - this.snapshotIndex - 1;
    if (this.stableIndex >= first) this.stableIndex = first - 1;
    for (const e of ents) this.entries.push(e);
    return this.lastIndex();
  }

  /**
   * The follower's side of AppendEntries: if our log has (index, logTerm), append what is new and
   * advance commit. Returns the last index of the new entries, or undefined on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) this.append(ents.slice(ci - index - 1));
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  commitTo(i: number): void {
    if (i > this.committed) {
      if (i > this.lastIndex()) {
        throw new Error(`raft log: commit ${i} is beyond the last index ${this.lastIndex()}`);
      }
      this.committed = i;
    }
  }

  unstableEntries(): Entry[] {
    return this.slice(this.stableIndex + 1) ?? [];
  }

  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.stableIndex) this.stableIndex = index;
  }

  /** Committed entries not yet applied. */
  nextCommitted(): Entry[] {
    if (!this.hasNextCommitted()) return [];
    return this.slice(this.applied + 1, Infinity, this.committed + 1) ?? [];
  }

  /** False while a restored snapshot is not applied yet: nothing after it can be applied. */
  hasNextCommitted(): boolean {
    return this.committed > this.applied && this.applied >= this.snapshotIndex;
  }

  appliedTo(i: number): void {
    if (i > this.committed) throw new Error(`raft log: applied ${i} beyond committed ${this.committed}`);
    if (i > this.applied) this.applied = i;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(s: Snapshot): void {
    this.snapshot = s;
    this.pendingSnapshot = s;
    this.snapshotIndex = s.metadata.index;
    this.snapshotTerm = s.metadata.term;
    this.entries = [];
    this.committed = s.metadata.index;
    // `applied` moves when the application has restored the snapshot (advance), not before:
    // until then the state machine is still at the old index.
    this.stableIndex = s.metadata.index;
  }

  /** The application took a snapshot at `s.metadata.index` (<= applied): drop the log before it. */
  compact(s: Snapshot, keepEntries = 0): void {
    const index = s.metadata.index;
    if (index <= this.snapshotIndex) return;
    if (index > this.applied) throw new Error(`raft log: cannot compact to ${index}, applied is ${this.applied}`);
    this.snapshot = s;
    // Keeping a tail of entries lets a slightly lagging follower catch up without a snapshot.
    const cut = Math.max(this.snapshotIndex, index - keepEntries);
    if (cut > this.snapshotIndex) {
      const cutTerm = this.term(cut)!;
      this.entries = this.entries.slice(cut - this.snapshotIndex);
      this.snapshotIndex = cut;
      this.snapshotTerm = cutTerm;
    }
  }

  allEntries(): Entry[] {
    return this.entries.slice();
  }
}
