// RaftStorage on disk: a write-ahead log of CRC-framed records plus snapshot files.
//
//   <dir>/wal/<seq>-<firstIndex>.wal   segments of the log (see segments.ts, record.ts, frame.ts)
//   <dir>/snap/<term>-<index>.snap     snapshots (see snapshot-files.ts)
//
// Every save() is one write and one fdatasync, and saves queued behind a write in progress are
// coalesced into the next one, so the cost of an fsync is shared by everything waiting for it.
//
// With `encryption`, every record and snapshot is written encrypted (see encryption.ts, record.ts).
// State written in the clear before encryption was turned on is read, then written again
// encrypted at load (the WAL in a new segment, each snapshot file in place), so that nothing
// stays on disk unencrypted.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PersistedState, RaftStorage } from '../storage.ts';
import type { Entry, HardState, Snapshot } from '../types.ts';
import { DecodeError } from './binary.ts';
import { removeTmpFiles } from './durable-fs.ts';
import { DecryptError, type Decrypter, type Encrypter } from './encryption.ts';
import { SnapshotCorruptError, WalCorruptError, WalKeyError } from './errors.ts';
import type { LogReplay } from './log-replay.ts';
import type { WalRecord } from './record.ts';
import {
  listSnapshotFiles,
  pruneSnapshotFiles,
  readSnapshotFile,
  snapshotFileName,
  writeSnapshotFile,
} from './snapshot-files.ts';
import { readWal, type TornTail, type WalContents } from './wal-reader.ts';
import { WalWriter, type WalStats } from './wal-writer.ts';

export interface DiskStorageOptions {
  /** The state directory: the WAL goes to <dir>/wal, snapshots to <dir>/snap. */
  dir: string;
  /** A new WAL segment is started once the current one has reached this size. Default 64 MiB. */
  segmentBytes?: number;
  /**
   * Snapshot files to keep (default 3). The WAL is kept back to the second newest one, so that a
   * damaged newest snapshot can be done without.
   */
  keepSnapshots?: number;
  /**
   * Encryption at rest: what is written is sealed by `encrypter`, what was sealed is opened by
   * `decrypter` (typically the same key). Without it, records are written in the clear, and a WAL
   * or snapshot that was encrypted cannot be loaded (WalKeyError).
   */
  encryption?: { encrypter: Encrypter; decrypter: Decrypter };
}

/** What load() found and repaired, for the caller to log. */
export interface Recovery {
  /** A crash cut the last write short; the segment was cut back to its last good record. */
  tornTail?: TornTail;
  /** Snapshot files passed over, newest first. */
  skippedSnapshots: { file: string; reason: string }[];
  /**
   * State found in the clear (written before encryption was turned on) and written again
   * encrypted: WAL records read unencrypted, and snapshot files re-encrypted.
   */
  encrypted?: { records: number; snapshots: number };
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

type Job =
  | ({ kind: 'save'; hardState?: HardState; entries: Entry[]; snapshot?: Snapshot } & Pending)
  | ({ kind: 'appSnapshot'; snapshot: Snapshot } & Pending);

export class DiskStorage implements RaftStorage {
  private readonly walDir: string;
  private readonly snapDir: string;
  private readonly segmentBytes: number;
  private readonly keepSnapshots: number;
  private readonly encrypter?: Encrypter;
  private readonly decrypter?: Decrypter;

  private writer?: WalWriter;
  private loading = false;
  private closed = false;
  /** Once a write has failed, what is on disk is unknown: nothing more is accepted. */
  private failure?: Error;

  private readonly queue: Job[] = [];
  private busy = false;
  private draining: Promise<void> = Promise.resolve();
  /** The log's last index once everything queued is written: what the next entries must follow. */
  private queuedLastIndex = 0;
  private writtenLastIndex = 0;
  private writtenHardState!: HardState;

  recovery?: Recovery;

  constructor(options: DiskStorageOptions) {
    this.walDir = join(options.dir, 'wal');
    this.snapDir = join(options.dir, 'snap');
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.keepSnapshots = Math.max(2, options.keepSnapshots ?? 3);
    this.encrypter = options.encryption?.encrypter;
    this.decrypter = options.encryption?.decrypter;
  }

  /** Counters of the WAL writer (available after load). */
  get stats(): WalStats {
    return this.opened().stats;
  }

  /** The WAL segment files, oldest first (after load). */
  segmentFiles(): string[] {
    return this.opened().segmentFiles();
  }

  async load(): Promise<PersistedState> {
    if (this.writer || this.loading) throw new Error('DiskStorage: load() may only be called once');
    this.loading = true;
    try {
      await mkdir(this.walDir, { recursive: true });
      await mkdir(this.snapDir, { recursive: true });
      await removeTmpFiles(this.walDir);
      await removeTmpFiles(this.snapDir);

      const wal = await readWal(this.walDir, this.decrypter);
      const { snapshot, skippedSnapshots } = await this.chooseSnapshot(wal);
      const snapIndex = snapshot?.metadata.index ?? 0;
      const hardState = { ...wal.replay.hardState };
      // A snapshot only ever holds committed state, whichever way it got here.
      if (hardState.commit < snapIndex) hardState.commit = snapIndex;
      const entries = wal.replay.entriesAfter(snapIndex);
      const lastIndex = Math.max(snapIndex, wal.replay.lastIndex);

      this.writer = await WalWriter.open(
        this.walDir,
        wal.segments,
        wal.lastSegmentBytes,
        { firstIndex: lastIndex + 1, hardState },
        this.segmentBytes,
        this.encrypter,
      );
      this.queuedLastIndex = this.writtenLastIndex = lastIndex;
      this.writtenHardState = hardState;
      this.recovery = { tornTail: wal.tornTail, skippedSnapshots };
      if (this.encrypter) {
        const snapshots = await this.encryptSnapshotFiles();
        if (wal.plainRecords > 0) await this.encryptWal(wal.replay, lastIndex, hardState);
        if (snapshots > 0 || wal.plainRecords > 0) this.recovery.encrypted = { records: wal.plainRecords, snapshots };
      }
      return snapshot ? { hardState, snapshot, entries } : { hardState, entries };
    } finally {
      this.loading = false;
    }
  }

  save(hardState: HardState | undefined, entries: Entry[], snapshot?: Snapshot): Promise<void> {
    const problem = this.refuse() ?? this.checkContinuity(entries, snapshot);
    if (problem) return Promise.reject(problem);
    if (snapshot) this.queuedLastIndex = snapshot.metadata.index;
    if (entries.length > 0) this.queuedLastIndex = entries.at(-1)!.index;
    return this.enqueue((p) => ({ kind: 'save', hardState, entries, snapshot, ...p }));
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    const problem = this.refuse();
    if (problem) return Promise.reject(problem);
    return this.enqueue((p) => ({ kind: 'appSnapshot', snapshot, ...p }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.draining;
    await this.writer?.close();
  }

  private opened(): WalWriter {
    if (!this.writer) throw new Error('DiskStorage: call load() first');
    return this.writer;
  }

  private refuse(): Error | undefined {
    if (this.closed) return new Error('DiskStorage: closed');
    if (!this.writer) return new Error('DiskStorage: call load() first');
    return this.failure;
  }

  /** Entries that would leave a gap would make the WAL unreadable: refuse them up front. */
  private checkContinuity(entries: Entry[], snapshot: Snapshot | undefined): Error | undefined {
    let last = snapshot ? snapshot.metadata.index : this.queuedLastIndex;
    for (const [i, e] of entries.entries()) {
      if (i === 0 ? e.index < 1 || e.index > last + 1 : e.index !== last + 1) {
        return new Error(`DiskStorage: entry ${e.index} cannot follow entry ${last} (the log would have a gap)`);
      }
      last = e.index;
    }
    return undefined;
  }

  private enqueue(make: (p: Pending) => Job): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push(make({ resolve, reject }));
      if (!this.busy) {
        this.busy = true;
        this.draining = this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // Every save waiting so far goes into one write; an application snapshot goes alone.
        const first = this.queue[0]!;
        const n = first.kind === 'appSnapshot' ? 1 : countWhile(this.queue, (j) => j.kind === 'save');
        await this.run(this.queue.splice(0, n));
      }
    } finally {
      // Cleared in the same turn as the queue is found empty, so no job can be left waiting.
      this.busy = false;
    }
  }

  private async run(group: Job[]): Promise<void> {
    try {
      if (this.failure) throw this.failure;
      const first = group[0]!;
      if (first.kind === 'appSnapshot') await this.writeAppSnapshot(first.snapshot);
      else await this.writeSaves(group as Extract<Job, { kind: 'save' }>[]);
      for (const job of group) job.resolve();
    } catch (err) {
      this.failure ??= new Error(`DiskStorage: a write failed, so this storage accepts no more: ${String(err)}`, {
        cause: err,
      });
      for (const job of group) job.reject(err instanceof Error ? err : this.failure);
    }
  }

  private async writeSaves(jobs: Extract<Job, { kind: 'save' }>[]): Promise<void> {
    const writer = this.opened();
    // A leader's snapshot is on disk before the marker that makes the WAL depend on it.
    const snapshots = jobs.flatMap((j) => (j.snapshot ? [j.snapshot] : []));
    for (const s of snapshots) await writeSnapshotFile(this.snapDir, s, this.encrypter);

    if (writer.isFull) await writer.roll(this.writtenLastIndex + 1, this.writtenHardState);
    const records: WalRecord[] = [];
    for (const job of jobs) {
      if (job.snapshot) {
        const { index, term } = job.snapshot.metadata;
        records.push({ type: 'snapshot', index, term });
        this.writtenLastIndex = index;
      }
      for (const entry of job.entries) records.push({ type: 'entry', entry });
      if (job.entries.length > 0) this.writtenLastIndex = job.entries.at(-1)!.index;
      if (job.hardState) {
        records.push({ type: 'hardState', hardState: job.hardState });
        this.writtenHardState = job.hardState;
      }
    }
    if (records.length > 0) await writer.append(records);
    if (snapshots.length > 0) await this.compact();
  }

  private async writeAppSnapshot(snapshot: Snapshot): Promise<void> {
    await writeSnapshotFile(this.snapDir, snapshot, this.encrypter);
    await this.compact();
  }

  /** Drops old snapshot files, and the WAL segments that none of the kept ones needs. */
  private async compact(): Promise<void> {
    const kept = await pruneSnapshotFiles(this.snapDir, this.keepSnapshots);
    const fallback = kept[1];
    if (fallback) await this.opened().removeSegmentsBefore(fallback.index);
  }

  /** The newest snapshot file that is intact and that the WAL continues. */
  private async chooseSnapshot(
    wal: WalContents,
  ): Promise<{ snapshot?: Snapshot; skippedSnapshots: Recovery['skippedSnapshots'] }> {
    const skippedSnapshots: Recovery['skippedSnapshots'] = [];
    let damaged: { file: string; reason: string } | undefined;
    const files = await listSnapshotFiles(this.snapDir);
    if (files.length > 0 && wal.segments.length === 0) {
      // load() creates the first segment before anything can be saved: the WAL was removed.
      throw new WalCorruptError(this.walDir, 0, 'there are snapshot files but no WAL segments (the WAL was removed)');
    }
    for (const file of files) {
      let snapshot: Snapshot;
      try {
        ({ snapshot } = await readSnapshotFile(file, this.decrypter));
      } catch (err) {
        if (err instanceof DecryptError) throw new WalKeyError(file.path, err.message);
        if (!(err instanceof DecodeError)) throw err;
        damaged ??= { file: file.path, reason: err.message };
        skippedSnapshots.push({ file: file.path, reason: err.message });
        continue;
      }
      if (walContinues(wal.replay, file.index, file.term)) return { snapshot, skippedSnapshots };
      // Typically a leader's snapshot whose save() was cut short before its WAL marker.
      skippedSnapshots.push({ file: file.path, reason: 'the WAL does not continue from it' });
    }

    const { base, replacedBy } = wal.replay;
    if (base === null || base === 0) return { skippedSnapshots };
    if (damaged) {
      throw new SnapshotCorruptError(
        damaged.file,
        `${damaged.reason}; no other snapshot is usable, and the WAL starts after index ${base}, too late to do without one`,
      );
    }
    if (replacedBy) {
      const expected = join(this.snapDir, snapshotFileName(replacedBy.index, replacedBy.term));
      throw new SnapshotCorruptError(
        expected,
        `missing: the WAL says this snapshot from the leader replaced the log up to index ${replacedBy.index}`,
      );
    }
    const at = wal.firstEntryAt ?? { file: wal.segments[0]?.path ?? this.walDir, offset: 0 };
    throw new WalCorruptError(
      at.file,
      at.offset,
      `the log starts at index ${base + 1} but no snapshot covers the entries before it (snapshot files or WAL segments are missing)`,
    );
  }

  /** Rewrites the snapshot files that are in the clear (and intact) encrypted; returns how many. */
  private async encryptSnapshotFiles(): Promise<number> {
    let n = 0;
    for (const file of await listSnapshotFiles(this.snapDir)) {
      let found: { snapshot: Snapshot; encrypted: boolean };
      try {
        found = await readSnapshotFile(file, this.decrypter);
      } catch (err) {
        if (err instanceof DecodeError) continue; // damaged: load() passed over it already
        throw err;
      }
      if (found.encrypted) continue;
      await writeSnapshotFile(this.snapDir, found.snapshot, this.encrypter);
      n++;
    }
    return n;
  }

  /** Writes the log again, encrypted, in a new segment, and removes the segments in the clear. */
  private async encryptWal(replay: LogReplay, lastIndex: number, hardState: HardState): Promise<void> {
    const records: WalRecord[] = [];
    if (replay.replacedBy) records.push({ type: 'snapshot', ...replay.replacedBy });
    for (const entry of replay.entries) records.push({ type: 'entry', entry });
    const firstIndex = (replay.base ?? lastIndex) + 1;
    await this.opened().rewrite(firstIndex, hardState, records);
  }
}

/** Whether replaying the WAL from the snapshot at (index, term) gives a log that continues it. */
function walContinues(replay: LogReplay, index: number, term: number): boolean {
  const { base, replacedBy } = replay;
  if (base === null) return true;
  if (index < base) return false;
  if (index === base) return replacedBy === null || replacedBy.term === term;
  return replay.termAt(index) === term;
}

function countWhile<T>(items: readonly T[], test: (item: T) => boolean): number {
  let n = 0;
  while (n < items.length && test(items[n]!)) n++;
  return n;
}
