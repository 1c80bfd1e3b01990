// DiskStorage with encryption at rest: nothing of the store's content on disk in the clear,
// state read back after reopening, and key problems and tampering reported as such.

import { appendFile, mkdir, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, HardState, Snapshot } from '../../../../core/raft/types.ts';
import {
  AesGcmCrypter,
  DiskStorage,
  generateDek,
  SnapshotCorruptError,
  WalCorruptError,
  WalKeyError,
  type DiskStorageOptions,
} from '../../../../core/raft/wal/index.ts';
import { DekFile } from '../../../../core/raft/wal/dek-file.ts';
import { FRAME_HEADER_BYTES } from '../../../../core/raft/wal/frame.ts';
import { encodeRecords, SEALED_BATCH_TYPE, type WalRecord } from '../../../../core/raft/wal/record.ts';
import { segmentFileName } from '../../../../core/raft/wal/segments.ts';
import { encodeSealedEach, makeTempDir, recordOffsets } from './helpers.ts';

const SECRET = 'swarmlab-TOP-SECRET-db-password-4711';
const SECRET_B64 = Buffer.from(SECRET).toString('base64');

/** A store transaction as the store proposes it: a secret created, with its data in base64. */
function secretEntry(index: number, term = 1): Entry {
  const env = {
    tx: `n.${index}`,
    at: '2024-01-01T00:00:00.000Z',
    actions: [
      {
        type: 'create',
        table: 'secrets',
        object: { ID: `secret${index}`, Version: { Index: index }, Spec: { Name: `db-password-${index}`, Data: SECRET_B64 } },
      },
    ],
  };
  return { term, index, type: 'normal', data: new TextEncoder().encode(JSON.stringify(env)) };
}

function snapshotAt(index: number, term: number): Snapshot {
  const data = new TextEncoder().encode(JSON.stringify({ secrets: [{ ID: 'secret1', Spec: { Data: SECRET_B64 } }] }));
  return { metadata: { index, term, confState: { voters: ['a', 'b', 'c'] } }, data };
}

const hs = (term: number, commit: number): HardState => ({ term, vote: 'n1', commit });
const key = generateDek();
const crypter = new AesGcmCrypter(key, { source: 'the key in test.dek', help: 'Restore test.dek' });
const encryption = { encrypter: crypter, decrypter: crypter };

let dir: string;
let remove: () => Promise<void>;
const open: DiskStorage[] = [];

beforeEach(async () => ({ dir, remove } = await makeTempDir()));
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await remove();
});

async function openStorage(options: Partial<DiskStorageOptions> = { encryption }) {
  const storage = new DiskStorage({ dir, ...options });
  open.push(storage);
  return { storage, state: await storage.load() };
}

async function allFiles(d = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files holding the secret, in the clear or in base64. */
async function filesWithSecret(): Promise<string[]> {
  const found: string[] = [];
  for (const f of await allFiles()) {
    const buf = await readFile(f);
    if (buf.includes(Buffer.from(SECRET)) || buf.includes(Buffer.from(SECRET_B64)) || buf.includes(Buffer.from('db-password'))) {
      found.push(f);
    }
  }
  return found;
}

function texts(es: Entry[]): string[] {
  return es.map((e) => new TextDecoder().decode(e.data));
}

async function walFiles(): Promise<string[]> {
  return (await readdir(join(dir, 'wal'))).sort().map((n) => join(dir, 'wal', n));
}

describe('DiskStorage encrypted at rest', () => {
  it('keeps no secret on disk in the clear nor in base64, and reads everything back after reopening', async () => {
    const { storage } = await openStorage();
    const es = Array.from({ length: 20 }, (_, i) => secretEntry(i + 1));
    await storage.save(hs(1, 10), es.slice(0, 10));
    await storage.save(hs(1, 20), es.slice(10));
    await storage.saveSnapshot(snapshotAt(15, 1));
    // Control: written without encryption, the same data would be found.
    expect(JSON.stringify(texts(es))).toContain(SECRET_B64);
    expect(await filesWithSecret()).toEqual([]);
    await storage.close();

    const { state } = await openStorage();
    expect(state.hardState).toEqual(hs(1, 20));
    expect(state.snapshot).toEqual(snapshotAt(15, 1));
    expect(texts(state.entries)).toEqual(texts(es.slice(15)));
    expect(state.entries.map((e) => e.index)).toEqual([16, 17, 18, 19, 20]);
  });

  it('writes each save as one sealed batch frame', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 3), [secretEntry(1), secretEntry(2), secretEntry(3)]);
    await storage.close();
    const [file] = await walFiles();
    const { offsets } = await recordOffsets(file!);
    const buf = await readFile(file!);
    // The segment header and hard state, then the three entries and the hard state.
    expect(offsets.map((at) => buf[at + 4])).toEqual([SEALED_BATCH_TYPE, SEALED_BATCH_TYPE]);
  });

  it('keeps torn-write recovery: a torn last frame is cut off whole, every record of the frames before it kept', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 2), [secretEntry(1), secretEntry(2)]);
    await storage.save(hs(1, 3), [secretEntry(3)]);
    await storage.close();
    const [file] = await walFiles();
    const { offsets, size } = await recordOffsets(file!);
    expect(offsets).toHaveLength(3);
    expect(size).toBeGreaterThan(offsets[2]! + 20);
    await truncate(file!, offsets[2]! + 20); // in the middle of the frame of entry 3 and its hard state
    const { storage: again, state } = await openStorage();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(state.hardState).toEqual(hs(1, 2));
    expect(again.recovery?.tornTail).toMatchObject({ file, offset: offsets[2], problem: expect.stringMatching(/incomplete record/) });
    await again.save(hs(1, 3), [secretEntry(3)]);
    await again.close();
    expect((await openStorage()).state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
  });

  it('a write larger than a frame: a torn last frame loses its records only', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 1), [secretEntry(1)]);
    await storage.save(hs(1, 600), Array.from({ length: 599 }, (_, i) => secretEntry(i + 2)));
    await storage.close();
    const [file] = await walFiles();
    const { offsets } = await recordOffsets(file!);
    expect(offsets.length).toBeGreaterThanOrEqual(4); // 599 entries of ~300 bytes: 3 frames or more
    await truncate(file!, offsets.at(-1)! + 100);
    const { storage: again, state } = await openStorage();
    const kept = state.entries.map((e) => e.index);
    expect(kept[0]).toBe(1);
    expect(kept.length).toBeGreaterThan(100);
    expect(kept.length).toBeLessThan(600);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
    expect(texts(state.entries)).toEqual(texts(kept.map((i) => secretEntry(i))));
    expect(again.recovery?.tornTail?.offset).toBe(offsets.at(-1));
  });

  it('finds tampering with a frame, even with its CRC made good again: the file and offset named', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 3), [secretEntry(1), secretEntry(2), secretEntry(3)]);
    await storage.save(hs(1, 4), [secretEntry(4)]);
    await storage.close();
    const [file] = await walFiles();
    const { offsets } = await recordOffsets(file!);
    const buf = await readFile(file!);
    const at = offsets[1]!; // entries 1 to 3
    const payloadEnd = at + FRAME_HEADER_BYTES + buf.readUInt32LE(at);
    buf[at + FRAME_HEADER_BYTES + 300]! ^= 0x04;
    buf.writeUInt32LE(crc32(buf.subarray(at + FRAME_HEADER_BYTES, payloadEnd), crc32(buf.subarray(at, at + 8))), at + 8);
    await writeFile(file!, buf);
    const err = await openStorage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptError);
    expect((err as WalCorruptError).file).toBe(file);
    expect((err as WalCorruptError).offset).toBe(at);
    expect((err as Error).message).toMatch(/a record with a valid CRC cannot be decrypted: encrypted data fails authentication/);
  });

  it('finds a frame moved: a copy of an earlier one appended, CRC and all', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 2), [secretEntry(1), secretEntry(2)]);
    await storage.close();
    const [file] = await walFiles();
    const { offsets, size } = await recordOffsets(file!);
    const buf = await readFile(file!);
    await appendFile(file!, buf.subarray(offsets[1]!, size)); // entries 1 and 2 again, at the end
    const err = await openStorage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptError);
    expect((err as WalCorruptError).offset).toBe(size);
    expect((err as Error).message).toMatch(/fails authentication \(it was altered, or moved/);
  });

  it('finds frames of the same length swapped', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 1), [secretEntry(1)]);
    await storage.save(hs(1, 2), [secretEntry(2)]);
    await storage.close();
    const [file] = await walFiles();
    const { offsets, size } = await recordOffsets(file!);
    const buf = await readFile(file!);
    const a = buf.subarray(offsets[1]!, offsets[2]!);
    const b = buf.subarray(offsets[2]!, size);
    expect(a.length).toBe(b.length);
    await writeFile(file!, Buffer.concat([buf.subarray(0, offsets[1]!), b, a]));
    await expect(openStorage()).rejects.toThrow(`WAL corrupt: ${file} at offset ${offsets[1]}: a record with a valid CRC cannot be decrypted`);
  });

  it('refuses an unencrypted record after encrypted ones', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 1), [secretEntry(1)]);
    await storage.close();
    const [file] = await walFiles();
    await appendFile(file!, encodeRecords([{ type: 'entry', entry: secretEntry(2) }]));
    await expect(openStorage()).rejects.toThrow(/an unencrypted record after encrypted ones/);
  });

  it('a tampered snapshot is passed over, as a damaged one, or reported when it cannot be done without', async () => {
    const { storage } = await openStorage({ encryption, keepSnapshots: 2, segmentBytes: 256 });
    for (let i = 1; i <= 6; i++) await storage.save(hs(1, i), [secretEntry(i)]);
    await storage.saveSnapshot(snapshotAt(2, 1));
    await storage.saveSnapshot(snapshotAt(4, 1));
    await storage.saveSnapshot(snapshotAt(5, 1));
    await storage.close();
    const snapFile = join(dir, 'snap', (await readdir(join(dir, 'snap'))).sort().at(-1)!);
    const buf = await readFile(snapFile);
    buf[buf.length - 20]! ^= 0x01;
    buf.writeUInt32LE(crc32(buf.subarray(12)), 8);
    await writeFile(snapFile, buf);
    const { storage: again, state } = await openStorage();
    expect(state.snapshot?.metadata.index).toBe(4);
    expect(again.recovery?.skippedSnapshots[0]).toEqual({ file: snapFile, reason: expect.stringMatching(/fails authentication/) });
    await again.close();
    // With the older snapshot gone too, the WAL no longer reaches back far enough.
    await rm(join(dir, 'snap', (await readdir(join(dir, 'snap'))).sort()[0]!));
    const err = await openStorage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCorruptError);
    expect((err as Error).message).toContain(`${snapFile}: cannot be decrypted: encrypted data fails authentication`);
  });

  it('a lost key file: the new key made in its place is named, with what to do', async () => {
    const file = join(dir, 'certificates', 'swarm-raft.dek');
    const first = new DekFile({ file, help: 'Put back the key file, or remove the raft dir and rejoin' });
    await first.load();
    const { storage } = await openStorage({ encryption: { encrypter: first, decrypter: first } });
    await storage.save(hs(1, 1), [secretEntry(1)]);
    await storage.close();
    await rm(file);
    const second = new DekFile({ file, help: 'Put back the key file, or remove the raft dir and rejoin' });
    await second.load();
    const err = await openStorage({ encryption: { encrypter: second, decrypter: second } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalKeyError);
    expect((err as Error).message).toContain(
      `it was encrypted with data encryption key ${first.keyId}, but the key in ${file} (made just now: there was no such file) is key ${second.keyId}. Put back the key file, or remove the raft dir and rejoin`,
    );
  });

  it('with another key: a WalKeyError naming the file, the key ids and what to do; never an empty state', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 1), [secretEntry(1)]);
    await storage.close();
    const wrong = new AesGcmCrypter(generateDek(), { source: 'the key in other.dek', help: 'Put back the right key file' });
    const err = await openStorage({ encryption: { encrypter: wrong, decrypter: wrong } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalKeyError);
    const [file] = await walFiles();
    expect((err as Error).message).toBe(
      `Cannot decrypt ${file}: it was encrypted with data encryption key ${crypter.keyId}, but the key in other.dek is key ${wrong.keyId}. Put back the right key file`,
    );
    // Nothing was changed: the right key still reads it all.
    expect((await openStorage()).state.entries).toHaveLength(1);
  });

  it('without a key: a WalKeyError; snapshots alike', async () => {
    const { storage } = await openStorage();
    await storage.save(hs(1, 2), [secretEntry(1), secretEntry(2)]);
    await storage.saveSnapshot(snapshotAt(2, 1));
    await storage.close();
    await expect(openStorage({})).rejects.toThrow(/Cannot decrypt .*\.wal: it is encrypted, and no data encryption key was given/);
    // With the WAL readable but the snapshot not (another key wrote it): the snapshot's name.
    const other = new AesGcmCrypter(generateDek());
    const snapDir = join(dir, 'snap');
    const [snapName] = await readdir(snapDir);
    const { encodeSnapshot } = await import('../../../../core/raft/wal/snapshot-files.ts');
    await writeFile(join(snapDir, snapName!), encodeSnapshot(snapshotAt(2, 1), other));
    await expect(openStorage()).rejects.toThrow(`Cannot decrypt ${join(snapDir, snapName!)}: it was encrypted with data encryption key ${other.keyId}`);
  });
});

describe('a WAL encrypted one record per frame (before sealed batches)', () => {
  async function writeLegacyWal(): Promise<string> {
    await mkdir(join(dir, 'wal'), { recursive: true });
    const file = join(dir, 'wal', segmentFileName(1, 1));
    const records: WalRecord[] = [
      { type: 'segment', version: 1, seq: 1, firstIndex: 1 },
      { type: 'hardState', hardState: hs(1, 0) },
      ...[1, 2, 3].map((i): WalRecord => ({ type: 'entry', entry: secretEntry(i) })),
      { type: 'hardState', hardState: hs(1, 3) },
    ];
    await writeFile(file, encodeSealedEach(records, { encrypter: crypter, seq: 1, offset: 0 }));
    return file;
  }

  it('is read, and continued with sealed batches', async () => {
    const file = await writeLegacyWal();
    const { storage, state } = await openStorage();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(texts(state.entries)).toEqual(texts([1, 2, 3].map((i) => secretEntry(i))));
    expect(state.hardState).toEqual(hs(1, 3));
    expect(storage.recovery?.encrypted).toBeUndefined();
    await storage.save(hs(1, 4), [secretEntry(4)]);
    await storage.close();
    const { offsets } = await recordOffsets(file);
    const buf = await readFile(file);
    expect(offsets.map((at) => buf[at + 4])).toEqual([16, 16, 16, 16, 16, 16, SEALED_BATCH_TYPE]);
    const { state: after } = await openStorage();
    expect(after.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(after.hardState).toEqual(hs(1, 4));
    expect(await filesWithSecret()).toEqual([]);
  });

  it('tampering and moved records are still found, a torn one cut off', async () => {
    const file = await writeLegacyWal();
    const good = await readFile(file);
    const { offsets } = await recordOffsets(file);
    const bad = Buffer.from(good);
    const at = offsets[3]!; // entry 2
    bad[at + FRAME_HEADER_BYTES + 40]! ^= 0x10;
    bad.writeUInt32LE(crc32(bad.subarray(at + FRAME_HEADER_BYTES, offsets[4]!), crc32(bad.subarray(at, at + 8))), at + 8);
    await writeFile(file, bad);
    await expect(openStorage()).rejects.toThrow(`WAL corrupt: ${file} at offset ${at}: a record with a valid CRC cannot be decrypted`);
    await writeFile(file, Buffer.concat([good, good.subarray(offsets[2]!, offsets[3]!)]));
    await expect(openStorage()).rejects.toThrow(`WAL corrupt: ${file} at offset ${good.length}: a record with a valid CRC cannot be decrypted`);
    await writeFile(file, good.subarray(0, offsets[4]! + 10));
    const { storage, state } = await openStorage();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(storage.recovery?.tornTail?.offset).toBe(offsets[4]);
  });

  it('with another key: the same WalKeyError', async () => {
    const file = await writeLegacyWal();
    const wrong = new AesGcmCrypter(generateDek(), { source: 'the key in other.dek', help: 'Put back the right key file' });
    await expect(openStorage({ encryption: { encrypter: wrong, decrypter: wrong } })).rejects.toThrow(
      `Cannot decrypt ${file}: it was encrypted with data encryption key ${crypter.keyId}, but the key in other.dek is key ${wrong.keyId}. Put back the right key file`,
    );
    await expect(openStorage({})).rejects.toThrow(`Cannot decrypt ${file}: it is encrypted, and no data encryption key was given`);
  });
});

describe('state written before encryption at rest', () => {
  it('is read, then written again encrypted: no secret left in the clear, the same state after reopening', async () => {
    const { storage } = await openStorage({ segmentBytes: 2048 });
    const es = Array.from({ length: 30 }, (_, i) => secretEntry(i + 1));
    for (let i = 0; i < 30; i += 5) await storage.save(hs(1, i + 5), es.slice(i, i + 5));
    await storage.saveSnapshot(snapshotAt(10, 1));
    await storage.save(hs(2, 30), [secretEntry(28, 2), secretEntry(29, 2)]); // a truncation in the log
    await storage.close();
    expect((await walFiles()).length).toBeGreaterThan(2);
    expect((await filesWithSecret()).length).toBeGreaterThan(2);
    const plain = (await openStorage({})).state;
    await open.pop()!.close();

    const { storage: upgraded, state } = await openStorage({ encryption, segmentBytes: 2048 });
    expect(state).toEqual(plain);
    expect(upgraded.recovery?.encrypted).toEqual({ records: expect.any(Number), snapshots: 1 });
    expect(await filesWithSecret()).toEqual([]);
    await upgraded.save(hs(2, 31), [secretEntry(30, 2)]);
    await upgraded.close();

    const { storage: again, state: after } = await openStorage();
    expect(again.recovery?.encrypted).toBeUndefined();
    expect(after.entries.map((e) => [e.index, e.term])).toEqual([...plain.entries.map((e) => [e.index, e.term]), [30, 2]]);
    expect(after.snapshot).toEqual(plain.snapshot);
    expect(await filesWithSecret()).toEqual([]);
  });

  it('a crash in the middle of the rewrite leaves a WAL that reads the same, and is finished next time', async () => {
    const { storage } = await openStorage({});
    await storage.save(hs(1, 5), [1, 2, 3, 4, 5].map((i) => secretEntry(i)));
    await storage.close();
    const [oldFile] = await walFiles();
    const oldCopy = await readFile(oldFile!);
    await openStorage();
    await open.pop()!.close();
    // As if the old segment's removal had not happened: it is back, before the encrypted one.
    await writeFile(oldFile!, oldCopy);
    const { state } = await openStorage();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(await filesWithSecret()).toEqual([]);
    expect((await stat(join(dir, 'wal'))).isDirectory()).toBe(true);
  });
});
