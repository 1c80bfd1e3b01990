// Appends to the last WAL segment, one write and one fdatasync per batch, and starts new
// segments when the current one is full.

import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { HardState } from '../types.ts';
import { syncDir, writeFileDurably } from './durable-fs.ts';
import type { Encrypter } from './encryption.ts';
import { encodeRecords, WAL_FORMAT_VERSION, type WalRecord } from './record.ts';
import { segmentFileName, type Segment } from './segments.ts';

export interface WalStats {
  /** Batches written. */
  writes: number;
  /** fdatasync calls on segment files (segment creation and directory syncs not counted). */
  syncs: number;
  bytes: number;
}

export class WalWriter {
  readonly stats: WalStats = { writes: 0, syncs: 0, bytes: 0 };

  private constructor(
    private readonly walDir: string,
    /** Oldest first; the last one is open for appending. */
    private readonly segments: Segment[],
    private readonly segmentBytes: number,
    private fh: FileHandle,
    private size: number,
    /** Seals every record written, if given. */
    private readonly encrypter: Encrypter | undefined,
  ) {}

  /**
   * Continues the last segment at `validBytes` (cutting off a torn tail), or starts a new one if
   * there is no segment or the last one holds nothing valid.
   */
  static async open(
    walDir: string,
    segments: readonly Segment[],
    validBytes: number,
    next: { firstIndex: number; hardState: HardState },
    segmentBytes: number,
    encrypter?: Encrypter,
  ): Promise<WalWriter> {
    const kept = [...segments];
    const last = kept.at(-1);
    if (last && validBytes > 0) {
      const fh = await open(last.path, 'r+');
      if ((await fh.stat()).size !== validBytes) {
        await fh.truncate(validBytes);
        await fh.sync();
      }
      return new WalWriter(walDir, kept, segmentBytes, fh, validBytes, encrypter);
    }
    if (last) {
      // Its header never made it to disk: nothing in it was ever acknowledged.
      await unlink(last.path);
      await syncDir(walDir);
      kept.pop();
    }
    const seq = (kept.at(-1)?.seq ?? 0) + 1;
    const { segment, bytes } = await createSegment(walDir, seq, next.firstIndex, next.hardState, encrypter);
    kept.push(segment);
    return new WalWriter(walDir, kept, segmentBytes, await open(segment.path, 'r+'), bytes, encrypter);
  }

  /** Whether the next batch should go to a new segment. */
  get isFull(): boolean {
    return this.size >= this.segmentBytes;
  }

  /** Writes records at the end of the current segment and waits until they are on disk. */
  async append(records: readonly WalRecord[]): Promise<void> {
    const seq = this.segments.at(-1)!.seq;
    const buf = encodeRecords(records, this.encrypter && { encrypter: this.encrypter, seq, offset: this.size });
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, written, buf.length - written, this.size + written);
      written += bytesWritten;
    }
    await this.fh.datasync();
    this.size += buf.length;
    this.stats.writes++;
    this.stats.syncs++;
    this.stats.bytes += buf.length;
  }

  /** Starts a new segment; its first records restate the hard state so older ones can go. */
  async roll(firstIndex: number, hardState: HardState): Promise<void> {
    const seq = this.segments.at(-1)!.seq + 1;
    const { segment, bytes } = await createSegment(this.walDir, seq, firstIndex, hardState, this.encrypter);
    const fh = await open(segment.path, 'r+');
    await this.fh.close();
    this.fh = fh;
    this.size = bytes;
    this.segments.push(segment);
  }

  /**
   * Deletes the oldest segments that replaying from `index` does not need: a segment can go when
   * the next one started at or before index + 1 (see segments.ts). The current one always stays.
   */
  async removeSegmentsBefore(index: number): Promise<number> {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[1]!.firstIndex <= index + 1) {
      await unlink(this.segments[0]!.path);
      // One at a time, oldest first: a crash must leave a contiguous run of segments.
      await syncDir(this.walDir);
      this.segments.shift();
      removed++;
    }
    return removed;
  }

  /**
   * Writes the log again in a new segment, then removes every older one (oldest first, so that a
   * crash leaves a contiguous run, whose replay ends with the same log). `records` must rebuild
   * the whole log from `firstIndex` - 1: a snapshot marker if a leader's snapshot set it, then
   * every entry after it.
   */
  async rewrite(firstIndex: number, hardState: HardState, records: readonly WalRecord[]): Promise<void> {
    await this.roll(firstIndex, hardState);
    if (records.length > 0) await this.append(records);
    while (this.segments.length > 1) {
      await unlink(this.segments[0]!.path);
      await syncDir(this.walDir);
      this.segments.shift();
    }
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.path);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function createSegment(
  walDir: string,
  seq: number,
  firstIndex: number,
  hardState: HardState,
  encrypter: Encrypter | undefined,
): Promise<{ segment: Segment; bytes: number }> {
  const name = segmentFileName(seq, firstIndex);
  const buf = encodeRecords(
    [
      { type: 'segment', version: WAL_FORMAT_VERSION, seq, firstIndex },
      { type: 'hardState', hardState },
    ],
    encrypter && { encrypter, seq, offset: 0 },
  );
  // Created whole under a temporary name, so a segment file always starts with a valid header.
  await writeFileDurably(walDir, name, buf);
  return { segment: { path: join(walDir, name), seq, firstIndex }, bytes: buf.length };
}
