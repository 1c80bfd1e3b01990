// The WAL's record types and their payloads (framing is in frame.ts).
//
// With an Encrypter, the records of a write are sealed together: each write is one or more
// sealed batch frames (frame type 17), each holding up to SEALED_BATCH_BYTES of records (one
// larger record goes alone), whose payload is the encryption of the records one after another,
// each as [type u8][payload length u32][payload]. One AES-GCM operation per frame instead of one
// per record: Node's per-call cipher setup (several microseconds) dominated the cost of small
// records. The frame's CRC covers the sealed bytes, so torn writes and bit rot are found exactly
// as before (a torn last frame is cut off whole; its records were never acknowledged, as the
// write's fsync had not returned), and the GCM tag finds the rest. The associated data is the
// segment's sequence number and the frame's offset in it: a sealed frame does not verify
// anywhere else.
//
// Also read: sealed records (frame type 16, one record per frame, the format written before
// batches), with the same associated data; and unsealed records (written before encryption was
// turned on).

import type { Entry, EntryType, HardState } from '../types.ts';
import { DecodeError, Reader, writeU64 } from './binary.ts';
import type { Decrypter, Encrypter } from './encryption.ts';
import { FRAME_HEADER_BYTES, sealFrame } from './frame.ts';

export const WAL_FORMAT_VERSION = 1;

export type WalRecord =
  /** First record of every segment: ties the file's content to its name. */
  | { type: 'segment'; version: number; seq: number; firstIndex: number }
  | { type: 'hardState'; hardState: HardState }
  | { type: 'entry'; entry: Entry }
  /** A snapshot from the leader replaced the whole log: entries continue after its index. */
  | { type: 'snapshot'; index: number; term: number };

const TYPE_CODE = { segment: 1, hardState: 2, entry: 3, snapshot: 4 } as const;
/** The frame type of one encrypted record (read only: what was written before batches). */
export const SEALED_RECORD_TYPE = 16;
/** The frame type of an encrypted batch of records. */
export const SEALED_BATCH_TYPE = 17;
/** The plaintext of a sealed batch frame is at most this long, unless one record alone is longer. */
export const SEALED_BATCH_BYTES = 64 * 1024;
/** In a sealed batch, each record is [type u8][payload length u32][payload]. */
const BATCH_RECORD_HEADER_BYTES = 5;
const ENTRY_TYPE_CODE: Record<EntryType, number> = { normal: 0, conf: 1 };
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf'];

function payloadSize(r: WalRecord): number {
  switch (r.type) {
    case 'segment':
      return 4 + 8 + 8;
    case 'hardState':
      return 8 + 8 + 2 + Buffer.byteLength(r.hardState.vote, 'utf8');
    case 'entry':
      return 8 + 8 + 1 + r.entry.data.length;
    case 'snapshot':
      return 8 + 8;
  }
}

function writePayload(buf: Buffer, at: number, r: WalRecord): number {
  switch (r.type) {
    case 'segment':
      at = buf.writeUInt32LE(r.version, at);
      at = writeU64(buf, at, r.seq);
      return writeU64(buf, at, r.firstIndex);
    case 'hardState': {
      const hs = r.hardState;
      at = writeU64(buf, at, hs.term);
      at = writeU64(buf, at, hs.commit);
      const voteLen = Buffer.byteLength(hs.vote, 'utf8');
      if (voteLen > 0xffff) throw new RangeError('vote: node id too long');
      at = buf.writeUInt16LE(voteLen, at);
      return at + buf.write(hs.vote, at, 'utf8');
    }
    case 'entry': {
      const e = r.entry;
      if (e.index < 1) throw new RangeError(`entry index ${e.index}`);
      at = writeU64(buf, at, e.term);
      at = writeU64(buf, at, e.index);
      at = buf.writeUInt8(ENTRY_TYPE_CODE[e.type], at);
      buf.set(e.data, at);
      return at + e.data.length;
    }
    case 'snapshot':
      at = writeU64(buf, at, r.index);
      return writeU64(buf, at, r.term);
  }
}

/** Where encoded records will be written, for sealing them to that place. */
export interface Sealing {
  encrypter: Encrypter;
  /** The segment's sequence number. */
  seq: number;
  /** The offset in the segment file of the first record. */
  offset: number;
}

/** Where a sealed frame was read, to open it. */
export interface Opening {
  decrypter: Decrypter;
  seq: number;
  /** The offset of the frame in the segment file. */
  offset: number;
}

/** The associated data of a sealed frame (batch or single record): the place it was written to. */
export function recordAad(seq: number, offset: number): Buffer {
  const aad = Buffer.allocUnsafe(16);
  writeU64(aad, 0, seq);
  writeU64(aad, 8, offset);
  return aad;
}

/**
 * Encodes records into one buffer, so that a whole batch is a single write; sealed (encrypted)
 * ones if `sealing` is given.
 */
export function encodeRecords(records: readonly WalRecord[], sealing?: Sealing): Buffer {
  if (sealing) return encodeSealed(records, sealing);
  let total = 0;
  for (const r of records) total += FRAME_HEADER_BYTES + payloadSize(r);
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const r of records) {
    const payloadStart = at + FRAME_HEADER_BYTES;
    const payloadEnd = writePayload(buf, payloadStart, r);
    at = sealFrame(buf, at, TYPE_CODE[r.type], payloadEnd - payloadStart);
  }
  return buf;
}

function encodeSealed(records: readonly WalRecord[], { encrypter, seq, offset }: Sealing): Buffer {
  // Every record in one plaintext buffer, cut into batches of at most SEALED_BATCH_BYTES.
  let total = 0;
  const sizes = records.map((r) => {
    const n = payloadSize(r);
    total += BATCH_RECORD_HEADER_BYTES + n;
    return n;
  });
  const plain = Buffer.allocUnsafe(total);
  const cuts: number[] = [];
  let batchStart = 0;
  let at = 0;
  for (const [i, r] of records.entries()) {
    const recordBytes = BATCH_RECORD_HEADER_BYTES + sizes[i]!;
    if (at > batchStart && at + recordBytes - batchStart > SEALED_BATCH_BYTES) {
      cuts.push(at);
      batchStart = at;
    }
    plain[at] = TYPE_CODE[r.type];
    plain.writeUInt32LE(sizes[i]!, at + 1);
    at = writePayload(plain, at + BATCH_RECORD_HEADER_BYTES, r);
  }
  if (at > 0) cuts.push(at);

  const sealed: Buffer[] = [];
  let fileAt = offset;
  let from = 0;
  for (const to of cuts) {
    const s = encrypter.encrypt(plain.subarray(from, to), recordAad(seq, fileAt));
    sealed.push(s);
    fileAt += FRAME_HEADER_BYTES + s.length;
    from = to;
  }
  const buf = Buffer.allocUnsafe(fileAt - offset);
  let pos = 0;
  for (const s of sealed) {
    s.copy(buf, pos + FRAME_HEADER_BYTES);
    pos = sealFrame(buf, pos, SEALED_BATCH_TYPE, s.length);
  }
  return buf;
}

/**
 * Decodes the records in a valid frame, opening it first if it is sealed: one record, or a sealed
 * batch of them. Throws DecodeError if it is not ours (`record` then says which record of a
 * batch), DecryptError (from the Decrypter) if it cannot be opened.
 */
export function decodeFrameRecords(
  type: number,
  buf: Buffer,
  start: number,
  end: number,
  opening: Opening,
): { records: WalRecord[]; sealed: boolean } {
  if (type === SEALED_BATCH_TYPE) {
    const plain = opening.decrypter.decrypt(buf.subarray(start, end), recordAad(opening.seq, opening.offset));
    return { records: decodeBatch(plain), sealed: true };
  }
  if (type !== SEALED_RECORD_TYPE) return { records: [decodeRecord(type, buf, start, end)], sealed: false };
  const plain = opening.decrypter.decrypt(buf.subarray(start, end), recordAad(opening.seq, opening.offset));
  if (plain.length < 1) throw new DecodeError('an empty sealed record');
  if (isSealedType(plain[0]!)) throw new DecodeError('a sealed record inside a sealed record');
  return { records: [decodeRecord(plain[0]!, plain, 1, plain.length)], sealed: true };
}

function decodeBatch(plain: Buffer): WalRecord[] {
  if (plain.length === 0) throw new DecodeError('an empty sealed batch');
  const records: WalRecord[] = [];
  const r = new Reader(plain);
  while (r.remaining > 0) {
    const n = records.length + 1;
    try {
      const type = r.u8();
      const length = r.u32();
      if (isSealedType(type)) throw new DecodeError('a sealed record inside a sealed batch');
      if (length > r.remaining) throw new DecodeError(`its length is ${length} bytes, but only ${r.remaining} are left in the batch`);
      records.push(decodeRecord(type, plain, r.offset, r.offset + length));
      r.skip(length);
    } catch (err) {
      if (err instanceof DecodeError) throw new DecodeError(`record ${n} of the sealed batch: ${err.message}`);
      throw err;
    }
  }
  return records;
}

function isSealedType(type: number): boolean {
  return type === SEALED_RECORD_TYPE || type === SEALED_BATCH_TYPE;
}

/** Decodes a payload whose frame was valid. Throws DecodeError if it is not a record of ours. */
export function decodeRecord(type: number, buf: Buffer, start: number, end: number): WalRecord {
  const r = new Reader(buf, start, end);
  let record: WalRecord;
  switch (type) {
    case TYPE_CODE.segment:
      record = { type: 'segment', version: r.u32(), seq: r.u64(), firstIndex: r.u64() };
      break;
    case TYPE_CODE.hardState: {
      const term = r.u64();
      const commit = r.u64();
      const vote = r.utf8(r.u16());
      record = { type: 'hardState', hardState: { term, vote, commit } };
      break;
    }
    case TYPE_CODE.entry: {
      const term = r.u64();
      const index = r.u64();
      const code = r.u8();
      const entryType = ENTRY_TYPES[code];
      if (entryType === undefined) throw new DecodeError(`unknown entry type ${code}`);
      if (index < 1) throw new DecodeError(`entry index ${index}`);
      record = { type: 'entry', entry: { term, index, type: entryType, data: r.rest() } };
      break;
    }
    case TYPE_CODE.snapshot:
      record = { type: 'snapshot', index: r.u64(), term: r.u64() };
      break;
    default:
      throw new DecodeError(`unknown record type ${type}`);
  }
  r.expectEnd();
  return record;
}
