import { appendFile, readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, HardState, Snapshot } from '../../../../core/raft/types.ts';
import {
  DiskStorage,
  SnapshotCorruptError,
  WalCorruptError,
  type DiskStorageOptions,
} from '../../../../core/raft/wal/index.ts';
import { dataFor, entries, makeTempDir, recordOffsets } from './helpers.ts';

let dir: string;
let remove: () => Promise<void>;
const open: DiskStorage[] = [];

beforeEach(async () => {
  ({ dir, remove } = await makeTempDir());
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await remove();
});

async function openStorage(options: Partial<DiskStorageOptions> = {}) {
  const storage = new DiskStorage({ dir, ...options });
  open.push(storage);
  const state = await storage.load();
  return { storage, state };
}

async function reopen(storage: DiskStorage, options: Partial<DiskStorageOptions> = {}) {
  await storage.close();
  return openStorage(options);
}

function snapshot(index: number, term: number, text = `state at ${index}`): Snapshot {
  return { metadata: { index, term, confState: { voters: ['a', 'b', 'c'] } }, data: new TextEncoder().encode(text) };
}

function indexes(es: Entry[]): number[] {
  return es.map((e) => e.index);
}

async function walFiles(): Promise<string[]> {
  return (await readdir(join(dir, 'wal'))).sort().map((n) => join(dir, 'wal', n));
}

const hs = (term: number, commit: number, vote = 'n1'): HardState => ({ term, vote, commit });

describe('DiskStorage: round trips', () => {
  it('loads a fresh directory as an empty log', async () => {
    const { state } = await openStorage();
    expect(state).toEqual({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
  });

  it('keeps hard states and entries with binary, empty and large data', async () => {
    const { storage } = await openStorage();
    const large = new Uint8Array(3 << 20).map((_, i) => (i * 7919) >>> 3);
    const written: Entry[] = [
      { term: 1, index: 1, type: 'normal', data: Uint8Array.from({ length: 256 }, (_, i) => 255 - i) },
      { term: 1, index: 2, type: 'conf', data: new Uint8Array() },
      { term: 2, index: 3, type: 'normal', data: large },
    ];
    await storage.save(hs(1, 0, 'a'), written.slice(0, 2));
    await storage.save(hs(2, 2, 'b'), written.slice(2));
    await storage.save(hs(3, 3, ''), []);
    const { state } = await reopen(storage);
    expect(state.hardState).toEqual(hs(3, 3, ''));
    expect(state.entries.slice(0, 2)).toEqual(written.slice(0, 2));
    expect(state.entries[2]!.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(state.entries[2]!.data).equals(large)).toBe(true);
    expect(state.entries[2]).toMatchObject({ term: 2, index: 3, type: 'normal' });
  });

  it('replaces a conflicting suffix, also across reopen and across segments', async () => {
    const { storage } = await openStorage({ segmentBytes: 300 });
    await storage.save(hs(1, 0), entries(1, 10, 1));
    await storage.save(undefined, entries(6, 7, 2)); // truncates 6..10, appends 6..7
    const { state: first, storage: s2 } = await reopen(storage, { segmentBytes: 300 });
    let state = first;
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 2], [7, 2],
    ]);
    // Fill a few segments, then rewrite from an index that lies in an older segment.
    for (let i = 8; i <= 40; i += 3) await s2.save(undefined, entries(i, i + 2, 2));
    expect((await walFiles()).length).toBeGreaterThan(2);
    await s2.save(hs(3, 5), entries(4, 5, 3));
    ({ state } = await reopen(s2, { segmentBytes: 300 }));
    expect(indexes(state.entries)).toEqual([1, 2, 3, 4, 5]);
    expect(state.entries.map((e) => e.term)).toEqual([1, 1, 1, 3, 3]);
    expect(state.entries[3]!.data).toEqual(dataFor(4));
    expect(state.hardState).toEqual(hs(3, 5));
  });

  it('refuses entries that would leave a gap', async () => {
    const { storage } = await openStorage();
    await storage.save(undefined, entries(1, 3));
    await expect(storage.save(undefined, entries(5, 6))).rejects.toThrow(/entry 5 cannot follow entry 3/);
    await expect(storage.save(undefined, [...entries(4, 4), ...entries(6, 6)])).rejects.toThrow(/gap/);
    await storage.save(undefined, entries(4, 4)); // still usable
  });

  it('rolls to new segments, restating the hard state so that old segments can go', async () => {
    const { storage } = await openStorage({ segmentBytes: 1024 });
    await storage.save(hs(7, 0, 'x'), []); // the only hard state ever saved
    for (let i = 1; i <= 200; i += 10) await storage.save(undefined, entries(i, i + 9));
    const files = await walFiles();
    expect(files.length).toBeGreaterThan(5);
    expect(files[0]).toMatch(/0000000000000001-0000000000000001\.wal$/);
    expect(files[1]).toMatch(/0000000000000002-[0-9a-f]{16}\.wal$/);
    await storage.saveSnapshot(snapshot(150, 1));
    await storage.saveSnapshot(snapshot(190, 1));
    expect(await walFiles()).not.toContain(files[0]);
    const { state } = await reopen(storage, { segmentBytes: 1024 });
    expect(state.hardState).toEqual(hs(7, 190, 'x')); // commit raised to the snapshot's index
    expect(state.snapshot?.metadata.index).toBe(190);
    expect(indexes(state.entries)).toEqual(Array.from({ length: 10 }, (_, i) => 191 + i));
  });

  it('refuses a log whose first segments are gone with no snapshot to cover them', async () => {
    const { storage } = await openStorage({ segmentBytes: 1024 });
    for (let i = 1; i <= 200; i += 10) await storage.save(undefined, entries(i, i + 9));
    await storage.close();
    const files = await walFiles();
    await unlink(files[0]!);
    const err = await new DiskStorage({ dir }).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptError);
    expect(String(err)).toContain(files[1]!);
    expect(String(err)).toMatch(/the log starts at index \d+ but no snapshot covers the entries before it/);
  });

  it('saves a leader snapshot: the snapshot file first, then the log continues after it', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 3), entries(1, 5, 1));
    await storage.save(hs(4, 50), entries(51, 53, 4), snapshot(50, 3));
    const { state, storage: s2 } = await reopen(storage);
    expect(state.snapshot).toEqual(snapshot(50, 3));
    expect(indexes(state.entries)).toEqual([51, 52, 53]);
    expect(state.hardState).toEqual(hs(4, 50));
    await s2.save(undefined, entries(54, 54, 4));
    const { state: again } = await reopen(s2);
    expect(indexes(again.entries)).toEqual([51, 52, 53, 54]);
  });

  it('passes over a leader snapshot file whose save never reached the WAL', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 3), entries(1, 5, 1));
    await storage.close();
    const { encodeSnapshot, snapshotFileName } = await import('../../../../core/raft/wal/snapshot-files.ts');
    await writeFile(join(dir, 'snap', snapshotFileName(50, 3)), encodeSnapshot(snapshot(50, 3)));
    const { state, storage: s2 } = await openStorage();
    expect(state.snapshot).toBeUndefined();
    expect(indexes(state.entries)).toEqual([1, 2, 3, 4, 5]);
    expect(s2.recovery?.skippedSnapshots).toEqual([
      { file: join(dir, 'snap', snapshotFileName(50, 3)), reason: 'the WAL does not continue from it' },
    ]);
  });
});

describe('DiskStorage: snapshots and compaction', () => {
  it('keeps the last snapshots and deletes the segments no kept snapshot needs', async () => {
    const { storage } = await openStorage({ segmentBytes: 512, keepSnapshots: 3 });
    for (let i = 1; i <= 400; i += 20) await storage.save(hs(1, i + 19), entries(i, i + 19));
    const before = await walFiles();
    await storage.saveSnapshot(snapshot(100, 1));
    expect(await walFiles()).toEqual(before); // nothing to fall back on yet: keep everything
    await storage.saveSnapshot(snapshot(200, 1));
    await storage.saveSnapshot(snapshot(300, 1));
    await storage.saveSnapshot(snapshot(390, 1));
    const after = await walFiles();
    expect(after.length).toBeLessThan(before.length);
    expect(after.at(-1)).toBe(before.at(-1));
    expect((await readdir(join(dir, 'snap'))).sort()).toEqual([
      '0000000000000001-00000000000000c8.snap',
      '0000000000000001-000000000000012c.snap',
      '0000000000000001-0000000000000186.snap',
    ]);
    // Every remaining segment but the first starts after the fallback snapshot (300).
    const firstIndexes = after.map((f) => parseInt(/-([0-9a-f]{16})\.wal$/.exec(f)![1]!, 16));
    expect(firstIndexes[1]).toBeGreaterThan(301);

    const { state } = await reopen(storage, { segmentBytes: 512 });
    expect(state.snapshot).toEqual(snapshot(390, 1));
    expect(indexes(state.entries)).toEqual([391, 392, 393, 394, 395, 396, 397, 398, 399, 400]);
    expect(state.entries[0]!.data).toEqual(dataFor(391));
    expect(state.hardState).toEqual(hs(1, 400));
  });

  it('falls back to an older snapshot when the newest is damaged and the WAL still reaches back', async () => {
    const { storage } = await openStorage({ segmentBytes: 512 });
    for (let i = 1; i <= 400; i += 20) await storage.save(hs(1, i + 19), entries(i, i + 19));
    await storage.saveSnapshot(snapshot(200, 1));
    await storage.saveSnapshot(snapshot(390, 1));
    await storage.close();
    const newest = join(dir, 'snap', '0000000000000001-0000000000000186.snap');
    const bytes = await readFile(newest);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(newest, bytes);

    const { state, storage: s2 } = await openStorage({ segmentBytes: 512 });
    expect(state.snapshot).toEqual(snapshot(200, 1));
    expect(state.entries[0]!.index).toBe(201);
    expect(state.entries.at(-1)!.index).toBe(400);
    expect(s2.recovery?.skippedSnapshots[0]).toEqual({ file: newest, reason: expect.stringMatching(/CRC mismatch/) });
  });

  it('refuses to start when the damaged snapshot cannot be done without', async () => {
    const { storage } = await openStorage({ segmentBytes: 512 });
    for (let i = 1; i <= 400; i += 20) await storage.save(hs(1, i + 19), entries(i, i + 19));
    await storage.saveSnapshot(snapshot(200, 1));
    await storage.saveSnapshot(snapshot(390, 1));
    await storage.close();
    // Both snapshot files damaged: the WAL no longer starts at index 1.
    for (const name of await readdir(join(dir, 'snap'))) await truncate(join(dir, 'snap', name), 30);
    const failed = new DiskStorage({ dir });
    const err = await failed.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCorruptError);
    expect(String(err)).toMatch(/0000000000000001-0000000000000186\.snap: .*the WAL starts after index \d+/);
    expect(String(err)).toMatch(/restore this manager from a backup or remove its state dir and rejoin/);
  });
});

describe('DiskStorage: torn tails', () => {
  async function writeSome(): Promise<string> {
    const { storage } = await openStorage();
    await storage.save(hs(1, 0), entries(1, 5));
    await storage.save(hs(1, 5), entries(6, 10));
    await storage.close();
    const files = await walFiles();
    expect(files).toHaveLength(1);
    return files[0]!;
  }

  async function expectRecoveredTo(file: string, lastIndex: number, cutAt: number) {
    const { state, storage } = await openStorage();
    expect(storage.recovery?.tornTail).toMatchObject({ file, offset: cutAt });
    expect(state.entries.at(-1)?.index).toBe(lastIndex);
    expect((await readFile(file)).length).toBe(cutAt);
    // Writing continues from the cut, and the next load sees a clean log.
    await storage.save(hs(2, lastIndex), entries(lastIndex + 1, lastIndex + 3, 2));
    const { state: again, storage: s2 } = await reopen(storage);
    expect(s2.recovery?.tornTail).toBeUndefined();
    expect(indexes(again.entries)).toEqual(Array.from({ length: lastIndex + 3 }, (_, i) => i + 1));
    expect(again.hardState).toEqual(hs(2, lastIndex));
  }

  it('cuts a record torn in its header', async () => {
    const file = await writeSome();
    const { offsets } = await recordOffsets(file);
    const lastRecord = offsets.at(-1)!; // the hard state after entry 10
    await truncate(file, lastRecord + 5);
    await expectRecoveredTo(file, 10, lastRecord);
  });

  it('cuts a record torn in its payload', async () => {
    const file = await writeSome();
    const { offsets } = await recordOffsets(file);
    const entry10 = offsets.at(-2)!;
    await truncate(file, entry10 + 20);
    await expectRecoveredTo(file, 9, entry10);
  });

  it('cuts a last record whose CRC does not match', async () => {
    const file = await writeSome();
    const { offsets, size } = await recordOffsets(file);
    const bytes = await readFile(file);
    bytes[size - 1]! ^= 0x40;
    await writeFile(file, bytes);
    await expectRecoveredTo(file, 10, offsets.at(-1)!);
  });

  it('cuts zero padding after the last record', async () => {
    const file = await writeSome();
    const { size } = await recordOffsets(file);
    await appendFile(file, Buffer.alloc(4096));
    await expectRecoveredTo(file, 10, size);
  });

  it('cuts a torn record followed by zeros (a preallocated or unwritten tail)', async () => {
    const file = await writeSome();
    const { offsets } = await recordOffsets(file);
    const entry10 = offsets.at(-2)!;
    await truncate(file, entry10 + 20);
    await appendFile(file, Buffer.alloc(8192));
    await expectRecoveredTo(file, 9, entry10);
  });
});

describe('DiskStorage: corruption', () => {
  async function expectCorrupt(file: string, offset: number, what: RegExp) {
    const storage = new DiskStorage({ dir });
    const err = await storage.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptError);
    const corrupt = err as WalCorruptError;
    expect(corrupt.file).toBe(file);
    expect(corrupt.offset).toBe(offset);
    expect(corrupt.message).toContain(`WAL corrupt: ${file} at offset ${offset}: `);
    expect(corrupt.message).toMatch(what);
    expect(corrupt.message).toMatch(/The committed log cannot be trusted; restore this manager from a backup/);
  }

  async function writeSegments(): Promise<string[]> {
    const { storage } = await openStorage({ segmentBytes: 400 });
    for (let i = 1; i <= 60; i += 5) await storage.save(hs(1, i), entries(i, i + 4));
    await storage.close();
    const files = await walFiles();
    expect(files.length).toBeGreaterThanOrEqual(3);
    return files;
  }

  it('a bad CRC in the middle of the last segment', async () => {
    const file = (await writeSegments()).at(-1)!;
    const { offsets } = await recordOffsets(file);
    const bytes = await readFile(file);
    bytes[offsets[2]! + 14]! ^= 1; // a payload byte of the third record
    await writeFile(file, bytes);
    await expectCorrupt(file, offsets[2]!, /CRC mismatch \(record says 0x[0-9a-f]{8}, data gives 0x[0-9a-f]{8}\), with valid records after it/);
  });

  it('a damaged length in the middle of the last segment (not mistaken for a torn tail)', async () => {
    const file = (await writeSegments()).at(-1)!;
    const { offsets } = await recordOffsets(file);
    const bytes = await readFile(file);
    bytes[offsets[2]! + 2]! ^= 0x08; // the length now runs past the end of the file
    await writeFile(file, bytes);
    await expectCorrupt(file, offsets[2]!, /damaged record header/);
  });

  it('a bad record at the end of a segment that is not the last', async () => {
    const files = await writeSegments();
    const file = files[0]!;
    const { offsets, size } = await recordOffsets(file);
    await truncate(file, size - 3);
    await expectCorrupt(file, offsets.at(-1)!, /incomplete record .* in a segment that is not the last/);
  });

  it('a missing segment', async () => {
    const files = await writeSegments();
    await unlink(files[1]!);
    await expectCorrupt(files[2]!, 0, /segment 2 is missing \(the sequence jumps from 1 to 3\)/);
  });

  it('a removed WAL next to snapshot files', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 3), entries(1, 3));
    await storage.saveSnapshot(snapshot(3, 1));
    await storage.close();
    for (const file of await walFiles()) await unlink(file);
    await expectCorrupt(join(dir, 'wal'), 0, /there are snapshot files but no WAL segments/);
  });

  it('a gap in the entry indexes', async () => {
    const { storage } = await openStorage();
    await storage.save(undefined, entries(1, 3));
    await storage.close();
    const file = (await walFiles())[0]!;
    // Append a well-formed record for entry 5: the framing is fine, the log is not.
    const { encodeRecords } = await import('../../../../core/raft/wal/record.ts');
    const { size } = await recordOffsets(file);
    await appendFile(file, encodeRecords([{ type: 'entry', entry: entries(5, 5)[0]! }]));
    await appendFile(file, encodeRecords([{ type: 'entry', entry: entries(6, 6)[0]! }]));
    await expectCorrupt(file, size, /entry 5 follows entry 3: a gap in the log/);
  });
});

describe('DiskStorage: batching', () => {
  it('writes a batch of 1,000 entries with one write and one fsync', async () => {
    const { storage } = await openStorage();
    const before = { ...storage.stats };
    await storage.save(hs(1, 0), entries(1, 1000));
    expect(storage.stats.syncs - before.syncs).toBe(1);
    expect(storage.stats.writes - before.writes).toBe(1);
  });

  it('coalesces saves queued behind a write, keeping their order', async () => {
    const { storage } = await openStorage();
    const resolved: number[] = [];
    const saves = [];
    for (let i = 0; i < 20; i++) {
      saves.push(storage.save(hs(1, i * 5), entries(i * 5 + 1, i * 5 + 5)).then(() => resolved.push(i)));
    }
    // A rewrite queued last must win over everything queued before it.
    saves.push(storage.save(hs(2, 50), entries(51, 52, 2)));
    await Promise.all(saves);
    expect(resolved).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(storage.stats.syncs).toBe(2); // the first save alone, then everything queued behind it
    const { state } = await reopen(storage);
    expect(indexes(state.entries)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(state.entries.slice(50).map((e) => e.term)).toEqual([2, 2]);
    expect(state.hardState).toEqual(hs(2, 50));
  });

  it('refuses writes after close and before load', async () => {
    const storage = new DiskStorage({ dir });
    await expect(storage.save(undefined, entries(1, 1))).rejects.toThrow(/load\(\) first/);
    await storage.load();
    await storage.close();
    await expect(storage.save(undefined, entries(1, 1))).rejects.toThrow(/closed/);
  });
});
