// Raft's stable storage for the simulator. The SimDisk is what survives a crash; a SimStorage is
// one process's handle on it: the simulator keeps the disk and opens a new SimStorage on restart.
//
// A write is durable only once "fsynced". With a latency, fsync completes on the virtual clock,
// and a crash before then loses the write: its promise never settles (the crashed node's code is
// abandoned, and a rejection would only surface as an unhandled one). That is legal for Raft,
// which sends nothing that depends on a write before the write is acknowledged.

import type { Timer } from '../../core/clock.ts';
import type { Random } from '../../core/random.ts';
import type { Scheduler } from './virtual-clock.ts';
import { emptyHardState } from '../../core/raft/types.ts';
import type { Entry, HardState, Snapshot } from '../../core/raft/types.ts';
import type { PersistedState, RaftStorage } from '../../core/raft/storage.ts';

export interface SimDiskOptions {
  /** Needed only when fsyncLatencyMs can be above 0. */
  clock?: Scheduler;
  /** Time from a write to its fsync; 0 (default) makes writes synchronous. */
  fsyncLatencyMs?: number | (() => number);
  /**
   * When given, a crash keeps a random prefix of the unsynced records (torn write), as a WAL
   * that lost its tail would; without it, a crash loses every unsynced write whole.
   */
  tornWrites?: Random;
}

/** The durable state, live and read-only: for invariant checks, never to be mutated or kept. */
export interface DurableView {
  readonly hardState: Readonly<HardState>;
  readonly snapshot: Readonly<Snapshot> | undefined;
  /** Contiguous, starting right after the snapshot's index (or at 1). */
  readonly entries: readonly Readonly<Entry>[];
  /** Index of the last durable entry (or of the snapshot, or 0). */
  readonly lastIndex: number;
}

export interface DiskStats {
  /** Writes acknowledged (fsynced). */
  synced: number;
  /** Writes lost (whole or torn) by crashes. */
  lost: number;
  crashes: number;
}

/** One WAL record: a write is a sequence of them, and a torn write keeps a prefix. */
type DiskRecord =
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'entry'; entry: Entry }
  | { kind: 'hardState'; hardState: HardState };

interface PendingWrite {
  records: DiskRecord[];
  at: number;
  timer: Timer;
}

export class SimDisk {
  readonly stats: DiskStats = { synced: 0, lost: 0, crashes: 0 };
  private hardState: HardState = emptyHardState();
  private snapshot: Snapshot | undefined;
  private entries: Entry[] = [];
  private pending: PendingWrite[] = [];
  private owner: SimStorage | undefined;
  private readonly clock: Scheduler | undefined;
  private readonly latency: () => number;
  private readonly torn: Random | undefined;

  constructor(options: SimDiskOptions = {}) {
    this.clock = options.clock;
    const latency = options.fsyncLatencyMs ?? 0;
    this.latency = typeof latency === 'number' ? () => latency : latency;
    this.torn = options.tornWrites;
  }

  get durable(): DurableView {
    return {
      hardState: this.hardState,
      snapshot: this.snapshot,
      entries: this.entries,
      lastIndex: this.snapIndex() + this.entries.length,
    };
  }

  /** Writes issued but not yet fsynced. */
  get unsyncedWrites(): number {
    return this.pending.length;
  }

  /**
   * The process using the disk died: unsynced writes are lost (or torn), their promises never
   * settle, and the current SimStorage becomes unusable. Open a new SimStorage to restart.
   */
  crash(): void {
    this.stats.crashes++;
    this.owner = undefined;
    const pending = this.pending;
    this.pending = [];
    for (const w of pending) w.timer.cancel();
    this.stats.lost += pending.length;
    if (this.torn !== undefined && pending.length > 0) {
      const records = pending.flatMap((w) => w.records);
      const keep = this.torn.int(records.length + 1);
      for (const r of records.slice(0, keep)) this.apply(r);
    }
  }

  /** @internal SimStorage's constructor: one live handle per disk. */
  open(storage: SimStorage): void {
    if (this.owner !== undefined) throw new Error('SimDisk: already open; crash() or close the old storage first');
    this.owner = storage;
  }

  /** @internal */
  release(storage: SimStorage): void {
    if (this.owner === storage) this.owner = undefined;
  }

  /** @internal */
  check(storage: SimStorage): void {
    if (this.owner !== storage) throw new Error('SimStorage: used after crash or close');
  }

  /** @internal */
  read(): PersistedState {
    const state: PersistedState = { hardState: { ...this.hardState }, entries: this.entries.map(copyEntry) };
    if (this.snapshot !== undefined) state.snapshot = copySnapshot(this.snapshot);
    return state;
  }

  /** @internal The records must be the disk's own copies: it keeps them. */
  write(records: DiskRecord[]): void | Promise<void> {
    if (records.length === 0) return;
    const latency = this.latency();
    if (latency <= 0 && this.pending.length === 0) {
      for (const r of records) this.apply(r);
      this.stats.synced++;
      return;
    }
    const clock = this.clock;
    if (clock === undefined) throw new Error('SimDisk: fsync latency needs a clock');
    // fsyncs complete in order: a later write never becomes durable before an earlier one.
    const last = this.pending[this.pending.length - 1];
    const at = Math.max(clock.now() + latency, last?.at ?? 0);
    return new Promise((resolve) => {
      const w: PendingWrite = {
        records,
        at,
        timer: clock.schedule(at, () => this.sync(w, resolve), 'fsync'),
      };
      this.pending.push(w);
    });
  }

  private sync(w: PendingWrite, resolve: () => void): void {
    if (this.pending[0] !== w) throw new Error('SimDisk: fsyncs completed out of order');
    this.pending.shift();
    for (const r of w.records) this.apply(r);
    this.stats.synced++;
    resolve();
  }

  private snapIndex(): number {
    return this.snapshot?.metadata.index ?? 0;
  }

  private apply(r: DiskRecord): void {
    switch (r.kind) {
      case 'hardState':
        this.hardState = r.hardState;
        return;
      case 'entry': {
        const first = this.snapIndex() + 1;
        const i = r.entry.index;
        if (i < first) return; // already compacted into the snapshot
        if (i > first + this.entries.length) {
          throw new Error(`SimDisk: entry ${i} leaves a gap after ${first + this.entries.length - 1}`);
        }
        // An entry whose index is already stored replaces it and every entry after it.
        this.entries.length = i - first;
        this.entries.push(r.entry);
        return;
      }
      case 'snapshot': {
        const { index, term } = r.snapshot.metadata;
        const snapIndex = this.snapIndex();
        if (index <= snapIndex) return; // older than what we have
        // Raft's rule: keep the entries after the snapshot only if the log agrees with it at its index.
        const at = this.entries[index - snapIndex - 1];
        this.entries = at !== undefined && at.term === term ? this.entries.slice(index - snapIndex) : [];
        this.snapshot = r.snapshot;
        return;
      }
    }
  }
}

export class SimStorage implements RaftStorage {
  constructor(readonly disk: SimDisk) {
    disk.open(this);
  }

  /** Deep copies: a restarted node shares nothing with the one that crashed. */
  load(): PersistedState {
    this.disk.check(this);
    return this.disk.read();
  }

  /** Order of the records, as in a WAL: snapshot, then entries, then the hard state. */
  save(hardState: HardState | undefined, entries: Entry[], snapshot?: Snapshot): void | Promise<void> {
    this.disk.check(this);
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i] as Entry).index !== (entries[i - 1] as Entry).index + 1) {
        throw new Error(`SimStorage: entries not contiguous at ${(entries[i] as Entry).index}`);
      }
    }
    const records: DiskRecord[] = [];
    if (snapshot !== undefined) records.push({ kind: 'snapshot', snapshot: copySnapshot(snapshot) });
    for (const entry of entries) records.push({ kind: 'entry', entry: copyEntry(entry) });
    if (hardState !== undefined) records.push({ kind: 'hardState', hardState: { ...hardState } });
    return this.disk.write(records);
  }

  saveSnapshot(snapshot: Snapshot): void | Promise<void> {
    this.disk.check(this);
    return this.disk.write([{ kind: 'snapshot', snapshot: copySnapshot(snapshot) }]);
  }

  /** A clean shutdown: writes already issued still complete. */
  close(): void {
    this.disk.release(this);
  }
}

function copyEntry(e: Entry): Entry {
  return { term: e.term, index: e.index, type: e.type, data: e.data.slice() };
}

function copySnapshot(s: Snapshot): Snapshot {
  const { index, term, confState } = s.metadata;
  return { metadata: { index, term, confState: { ...confState, voters: [...confState.voters] } }, data: s.data.slice() };
}
