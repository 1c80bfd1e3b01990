// The encryption layer on its own: AES-GCM sealing, sealed WAL batches (and the one-record
// sealed frames written before them), sealed snapshots, and the key file.

import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DekFile, DekFileError, formatDek, parseDek, readDekFile, writeDekFile } from '../../../../core/raft/wal/dek-file.ts';
import {
  AesGcmCrypter,
  DecryptError,
  dekId,
  generateDek,
  noKeyDecrypter,
  SEAL_OVERHEAD,
} from '../../../../core/raft/wal/encryption.ts';
import { FRAME_HEADER_BYTES, readFrame, sealFrame } from '../../../../core/raft/wal/frame.ts';
import {
  decodeFrameRecords,
  encodeRecords,
  recordAad,
  SEALED_BATCH_BYTES,
  SEALED_BATCH_TYPE,
  SEALED_RECORD_TYPE,
  type WalRecord,
} from '../../../../core/raft/wal/record.ts';
import { decodeSnapshot, encodeSnapshot } from '../../../../core/raft/wal/snapshot-files.ts';
import { DecodeError } from '../../../../core/raft/wal/binary.ts';
import { encodeSealedEach, makeTempDir } from './helpers.ts';

const SECRET = 'correct horse battery staple';
const text = (s: string) => new TextEncoder().encode(s);
const aad = Buffer.from('where');

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecryptError) return err.problem;
    throw err;
  }
  return 'none';
}

describe('AesGcmCrypter', () => {
  const key = generateDek();
  const c = new AesGcmCrypter(key);

  it('round-trips, with a fresh nonce every time and a fixed overhead', () => {
    const a = c.encrypt(text(SECRET), aad);
    const b = c.encrypt(text(SECRET), aad);
    expect(a.length).toBe(sealedLength(SECRET));
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from(SECRET))).toBe(false);
    expect(c.decrypt(a, aad).toString()).toBe(SECRET);
    expect(c.decrypt(c.encrypt(new Uint8Array(), aad), aad).length).toBe(0);
  });

  it('finds every flipped bit: in the header, nonce, ciphertext and tag', () => {
    const sealed = c.encrypt(text(SECRET), aad);
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x01;
      // Byte 0 is the algorithm and 1..4 the key id: those read as another algorithm or key.
      const expected = i === 0 ? 'malformed' : i < 5 ? 'wrong-key' : 'unauthentic';
      expect(problemOf(() => c.decrypt(bad, aad)), `byte ${i}`).toBe(expected);
    }
  });

  it('does not open data sealed for another place (associated data)', () => {
    const sealed = c.encrypt(text(SECRET), aad);
    expect(problemOf(() => c.decrypt(sealed, Buffer.from('elsewhere')))).toBe('unauthentic');
  });

  it('tells another key from damage, naming the key ids, the source and what to do', () => {
    const other = new AesGcmCrypter(generateDek(), { source: 'the key in /x/k.dek', help: 'Restore it' });
    const sealed = c.encrypt(text(SECRET), aad);
    expect(() => other.decrypt(sealed, aad)).toThrow(
      `it was encrypted with data encryption key ${dekId(key)}, but the key in /x/k.dek is key ${other.keyId}. Restore it`,
    );
    expect(problemOf(() => noKeyDecrypter().decrypt(sealed, aad))).toBe('no-key');
    expect(problemOf(() => c.decrypt(sealed.subarray(0, 10), aad))).toBe('malformed');
  });

  it('refuses a key of the wrong size', () => {
    expect(() => new AesGcmCrypter(new Uint8Array(16))).toThrow(/32 bytes, not 16/);
  });
});

function sealedLength(s: string): number {
  return Buffer.byteLength(s) + SEAL_OVERHEAD;
}

describe('sealed WAL records', () => {
  const c = new AesGcmCrypter(generateDek());
  const records: WalRecord[] = [
    { type: 'segment', version: 1, seq: 3, firstIndex: 10 },
    { type: 'hardState', hardState: { term: 2, vote: 'node-a', commit: 9 } },
    { type: 'entry', entry: { term: 2, index: 10, type: 'normal', data: text(SECRET) } },
    { type: 'entry', entry: { term: 2, index: 11, type: 'conf', data: new Uint8Array() } },
    { type: 'snapshot', index: 20, term: 3 },
  ];
  const entryOf = (index: number, size: number): WalRecord => ({
    type: 'entry',
    entry: { term: 1, index, type: 'normal', data: new Uint8Array(size).fill(index & 0xff) },
  });

  /** Decodes every frame; returns the records, and the types and lengths of the frames. */
  function decodeAll(buf: Buffer, base: number, seq = 3, decrypter = c) {
    const out: WalRecord[] = [];
    const frames: { type: number; length: number; records: number }[] = [];
    let at = 0;
    while (at < buf.length) {
      const f = readFrame(buf, at);
      if (!f.ok) throw new Error(f.reason);
      const { records: rs, sealed } = decodeFrameRecords(f.type, buf, f.payloadStart, f.end, { decrypter, seq, offset: base + at });
      expect(sealed).toBe(true);
      out.push(...rs);
      frames.push({ type: f.type, length: f.end - at, records: rs.length });
      at = f.end;
    }
    return { records: out, frames };
  }

  /** A sealed batch frame at offset 0 of segment 3 whose plaintext is `plain`, whatever it is. */
  function batchFrame(plain: Buffer): Buffer {
    const sealed = c.encrypt(plain, recordAad(3, 0));
    const buf = Buffer.alloc(FRAME_HEADER_BYTES + sealed.length);
    sealed.copy(buf, FRAME_HEADER_BYTES);
    sealFrame(buf, 0, SEALED_BATCH_TYPE, sealed.length);
    return buf;
  }

  it('round-trip every record type, sealed together in one frame to their segment and offset', () => {
    const buf = encodeRecords(records, { encrypter: c, seq: 3, offset: 4096 });
    expect(buf.includes(Buffer.from(SECRET))).toBe(false);
    expect(buf.includes(Buffer.from('node-a'))).toBe(false);
    const { records: back, frames } = decodeAll(buf, 4096);
    expect(back).toEqual(records);
    expect(frames).toEqual([{ type: SEALED_BATCH_TYPE, length: buf.length, records: records.length }]);
  });

  it('do not open at another offset or in another segment', () => {
    const buf = encodeRecords(records.slice(2, 3), { encrypter: c, seq: 3, offset: 100 });
    expect(() => decodeAll(buf, 101)).toThrow(/fails authentication/);
    expect(() => decodeAll(buf, 100, 4)).toThrow(/fails authentication/);
  });

  it('a large write is cut into frames of at most 64 KiB of records, each sealed to its own offset; a larger record goes alone', () => {
    const rs = [
      ...Array.from({ length: 1500 }, (_, i) => entryOf(i + 1, 100)),
      entryOf(1501, 70_000),
      entryOf(1502, 10),
    ];
    // Deep equality byte by byte is slow: compare the entries' data as buffers.
    const summary = (r: WalRecord) => (r.type === 'entry' ? `${r.entry.index} ${Buffer.from(r.entry.data).toString('hex')}` : r.type);
    const buf = encodeRecords(rs, { encrypter: c, seq: 3, offset: 512 });
    const { records: back, frames } = decodeAll(buf, 512);
    expect(back.map(summary)).toEqual(rs.map(summary));
    expect(frames.every((f) => f.type === SEALED_BATCH_TYPE)).toBe(true);
    expect(frames.map((f) => f.records)).toEqual([...Array.from({ length: frames.length - 2 }, () => expect.any(Number)), 1, 1]);
    expect(frames.length).toBeGreaterThanOrEqual(5); // 1500 x ~122 bytes: at least 3 frames, then the large one, then the last
    for (const f of frames.slice(0, -2)) expect(f.length).toBeLessThanOrEqual(SEALED_BATCH_BYTES + FRAME_HEADER_BYTES + SEAL_OVERHEAD);
    expect(frames.at(-2)!.length).toBeGreaterThan(70_000);
    // The second frame does not open where the first one was.
    const second = buf.subarray(frames[0]!.length);
    expect(() => decodeAll(second, 512)).toThrow(/fails authentication/);
    expect(decodeAll(second, 512 + frames[0]!.length).records.map(summary)).toEqual(rs.slice(frames[0]!.records).map(summary));
  });

  it('sealed one record per frame (as written before batches) still decode', () => {
    const buf = encodeSealedEach(records, { encrypter: c, seq: 3, offset: 4096 });
    const { records: back, frames } = decodeAll(buf, 4096);
    expect(back).toEqual(records);
    expect(frames.map((f) => [f.type, f.records])).toEqual(records.map(() => [SEALED_RECORD_TYPE, 1]));
    expect(() => decodeAll(buf, 4097)).toThrow(/fails authentication/);
  });

  it('a batch whose content is not ours says which record', () => {
    const good = Buffer.from([4, 16, 0, 0, 0, ...Buffer.alloc(16)]); // a snapshot marker
    const decode = (buf: Buffer) => decodeAll(buf, 0);
    expect(() => decode(batchFrame(Buffer.alloc(0)))).toThrow('an empty sealed batch');
    expect(() => decode(batchFrame(Buffer.concat([good, Buffer.from([9, 0, 0, 0, 0])])))).toThrow(
      'record 2 of the sealed batch: unknown record type 9',
    );
    expect(() => decode(batchFrame(Buffer.concat([good, Buffer.from([4, 99, 0, 0, 0, 1])])))).toThrow(
      'record 2 of the sealed batch: its length is 99 bytes, but only 1 are left in the batch',
    );
    expect(() => decode(batchFrame(Buffer.concat([good, Buffer.from([4, 0])])))).toThrow(/record 2 of the sealed batch: needs 4 more bytes/);
    expect(() => decode(batchFrame(Buffer.from([SEALED_BATCH_TYPE, 0, 0, 0, 0])))).toThrow(
      'record 1 of the sealed batch: a sealed record inside a sealed batch',
    );
    expect(() => decode(batchFrame(Buffer.from([4, 15, 0, 0, 0, ...Buffer.alloc(15)])))).toThrow(DecodeError);
    expect(decode(batchFrame(good)).records).toEqual([{ type: 'snapshot', index: 0, term: 0 }]);
  });

  it('unsealed records still decode, and say they were not sealed', () => {
    const buf = encodeRecords(records.slice(2, 3));
    const f = readFrame(buf, 0);
    if (!f.ok) throw new Error(f.reason);
    expect(decodeFrameRecords(f.type, buf, f.payloadStart, f.end, { decrypter: c, seq: 1, offset: 0 })).toEqual({
      records: [records[2]],
      sealed: false,
    });
  });
});

describe('sealed snapshots', () => {
  const c = new AesGcmCrypter(generateDek());
  const snap = { metadata: { index: 7, term: 2, confState: { voters: ['a', 'b'] } }, data: text(SECRET) };

  it('round-trip, and plain (version 1) ones still read', () => {
    const sealed = encodeSnapshot(snap, c);
    expect(sealed.readUInt32LE(4)).toBe(2);
    expect(sealed.includes(Buffer.from(SECRET))).toBe(false);
    expect(decodeSnapshot(sealed, c)).toEqual({ snapshot: snap, encrypted: true });
    expect(decodeSnapshot(encodeSnapshot(snap), c)).toEqual({ snapshot: snap, encrypted: false });
  });

  it('tampering (CRC made good again) is damage, another key is a key problem', async () => {
    const { crc32 } = await import('node:zlib');
    const sealed = encodeSnapshot(snap, c);
    sealed[40]! ^= 0x80;
    sealed.writeUInt32LE(crc32(sealed.subarray(12)), 8);
    expect(() => decodeSnapshot(sealed, c)).toThrow(DecodeError);
    expect(() => decodeSnapshot(sealed, c)).toThrow(/cannot be decrypted: encrypted data fails authentication/);
    const other = encodeSnapshot(snap, new AesGcmCrypter(generateDek()));
    expect(() => decodeSnapshot(other, c)).toThrow(DecryptError);
    expect(() => decodeSnapshot(other)).toThrow(/no data encryption key was given/);
  });
});

describe('the key file', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await makeTempDir()));
  afterEach(() => remove());

  it('round-trips, mode 0600, with its key id', async () => {
    const key = generateDek();
    const file = join(dir, 'k.dek');
    await writeDekFile(file, key);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const textOf = await readFile(file, 'utf8');
    expect(textOf).toContain(`Key-Id: ${dekId(key)}`);
    expect((await readDekFile(file, 'do X'))!.equals(key)).toBe(true);
    expect(parseDek(formatDek(key)).equals(key)).toBe(true);
    expect(await readDekFile(join(dir, 'none.dek'), 'do X')).toBeUndefined();
  });

  it('says what is wrong with a damaged or readable file, and what to do', async () => {
    const file = join(dir, 'k.dek');
    const key = generateDek();
    const good = formatDek(key);
    const b64 = key.toString('base64');
    const cases: [string, RegExp][] = [
      ['hello', /not a raft DEK file/],
      [good.replace(b64, b64.slice(4)), /the key is 29 bytes, not 32/],
      [good.replace(b64, '!!!' + b64.slice(3)), /not base64/],
      [good.replace(b64, generateDek().toString('base64')), /not the one its Key-Id header/],
      [good.replace('aes-256-gcm', 'rot13'), /unknown algorithm rot13/],
    ];
    for (const [content, problem] of cases) {
      await writeFile(file, content, { mode: 0o600 });
      const err = await readDekFile(file, 'Restore it from a backup').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DekFileError);
      expect((err as Error).message).toMatch(problem);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(/Restore it from a backup$/);
    }
    if (process.platform !== 'win32') {
      await writeFile(file, good);
      await chmod(file, 0o644);
      await expect(readDekFile(file, '')).rejects.toThrow(`other users may read it (mode 0644). Make it private: chmod 600 ${file}`);
    }
  });

  it('DekFile makes a key when there is none, and reads the same one back', async () => {
    const file = join(dir, 'certificates', 'swarm-raft.dek');
    const a = new DekFile({ file, help: 'h' });
    await a.load();
    expect(a.created).toBe(true);
    const b = new DekFile({ file, help: 'h' });
    await b.load();
    expect(b.created).toBe(false);
    expect(b.keyId).toBe(a.keyId);
    expect(b.decrypt(a.encrypt(text(SECRET), aad), aad).toString()).toBe(SECRET);
    expect(() => new DekFile({ file, help: 'h' }).encrypt(text('x'), aad)).toThrow(/call load\(\) first/);
  });
});
