// Snapshot files: <snapDir>/<term>-<index>.snap (16 hex digits each, as etcd names them).
//
//   0   4   magic "SNAP"
//   4   u32 format version
//   8   u32 CRC-32 of everything after this field
//   12  u64 index, u64 term, u32 voter count, voters (u16 length + UTF-8 each), then the data
//
// Format version 2 is the same with everything from offset 12 on sealed by an Encrypter (the
// associated data is bytes 0..7); the CRC is over the sealed bytes, so damage is told from
// tampering. Version 1 files (written before encryption was on) are still read.

import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Snapshot } from '../types.ts';
import { DecodeError, Reader, writeU64 } from './binary.ts';
import { syncDir, writeFileDurably } from './durable-fs.ts';
import { DecryptError, noKeyDecrypter, type Decrypter, type Encrypter } from './encryption.ts';

const MAGIC = Buffer.from('SNAP', 'latin1');
const VERSION = 1;
const SEALED_VERSION = 2;
const CRC_START = 12;

export interface SnapshotFile {
  path: string;
  index: number;
  term: number;
}

export function snapshotFileName(index: number, term: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

export function encodeSnapshot(snapshot: Snapshot, encrypter?: Encrypter): Buffer {
  const plain = encodePlainSnapshot(snapshot);
  if (!encrypter) return plain;
  const head = Buffer.allocUnsafe(CRC_START);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(SEALED_VERSION, 4);
  const sealed = encrypter.encrypt(plain.subarray(CRC_START), head.subarray(0, 8));
  head.writeUInt32LE(crc32(sealed), 8);
  return Buffer.concat([head, sealed]);
}

function encodePlainSnapshot(snapshot: Snapshot): Buffer {
  const { index, term, confState } = snapshot.metadata;
  const voters = confState.voters.map((v) => Buffer.from(v, 'utf8'));
  let size = CRC_START + 8 + 8 + 4 + snapshot.data.length;
  for (const v of voters) {
    if (v.length > 0xffff) throw new RangeError('voter: node id too long');
    size += 2 + v.length;
  }
  const buf = Buffer.allocUnsafe(size);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(VERSION, 4);
  let at = writeU64(buf, CRC_START, index);
  at = writeU64(buf, at, term);
  at = buf.writeUInt32LE(voters.length, at);
  for (const v of voters) {
    at = buf.writeUInt16LE(v.length, at);
    at += v.copy(buf, at);
  }
  buf.set(snapshot.data, at);
  buf.writeUInt32LE(crc32(buf.subarray(CRC_START)), 8);
  return buf;
}

/**
 * Throws DecodeError with what is wrong with the file (tampering with an encrypted one included),
 * DecryptError if it is encrypted with another key than `decrypter`'s, or none was given.
 */
export function decodeSnapshot(buf: Buffer, decrypter: Decrypter = noKeyDecrypter()): { snapshot: Snapshot; encrypted: boolean } {
  if (buf.length < CRC_START) throw new DecodeError(`too short (${buf.length} bytes)`);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new DecodeError('not a snapshot file (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== VERSION && version !== SEALED_VERSION) throw new DecodeError(`unknown format version ${version}`);
  const stored = buf.readUInt32LE(8);
  const actual = crc32(buf.subarray(CRC_START));
  if (stored !== actual) {
    throw new DecodeError(`CRC mismatch (file says 0x${hex8(stored)}, data gives 0x${hex8(actual)})`);
  }
  if (version === VERSION) return { snapshot: decodeBody(buf, CRC_START), encrypted: false };
  let body: Buffer;
  try {
    body = decrypter.decrypt(buf.subarray(CRC_START), buf.subarray(0, 8));
  } catch (err) {
    if (err instanceof DecryptError && !err.isKeyProblem) throw new DecodeError(`cannot be decrypted: ${err.message}`);
    throw err;
  }
  return { snapshot: decodeBody(body, 0), encrypted: true };
}

function decodeBody(buf: Buffer, start: number): Snapshot {
  const r = new Reader(buf, start);
  const index = r.u64();
  const term = r.u64();
  const count = r.u32();
  const voters: string[] = [];
  for (let i = 0; i < count; i++) voters.push(r.utf8(r.u16()));
  return { metadata: { index, term, confState: { voters } }, data: r.rest() };
}

export async function writeSnapshotFile(snapDir: string, snapshot: Snapshot, encrypter?: Encrypter): Promise<void> {
  const { index, term } = snapshot.metadata;
  await writeFileDurably(snapDir, snapshotFileName(index, term), encodeSnapshot(snapshot, encrypter));
}

/**
 * Reads and checks a snapshot file; throws DecodeError if it is damaged, DecryptError if the key
 * is the problem (see decodeSnapshot).
 */
export async function readSnapshotFile(
  file: SnapshotFile,
  decrypter?: Decrypter,
): Promise<{ snapshot: Snapshot; encrypted: boolean }> {
  const decoded = decodeSnapshot(await readFile(file.path), decrypter);
  const { index, term } = decoded.snapshot.metadata;
  if (index !== file.index || term !== file.term) {
    throw new DecodeError(`holds the snapshot at index ${index}, term ${term}, which its name does not say`);
  }
  return decoded;
}

/** The snapshot files in a directory, newest (highest index) first. */
export async function listSnapshotFiles(snapDir: string): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  for (const name of await readdir(snapDir)) {
    const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
    if (!m) continue;
    files.push({ path: join(snapDir, name), term: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) });
  }
  return files.sort((a, b) => b.index - a.index || b.term - a.term);
}

/** Keeps the newest `keep` snapshot files. Returns the ones kept, newest first. */
export async function pruneSnapshotFiles(snapDir: string, keep: number): Promise<SnapshotFile[]> {
  const files = await listSnapshotFiles(snapDir);
  const old = files.slice(keep);
  for (const f of old) await unlink(f.path);
  if (old.length > 0) await syncDir(snapDir);
  return files.slice(0, keep);
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
