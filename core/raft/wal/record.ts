// The WAL's record types and their payloads (framing is in frame.ts).
//
// With an Encrypter, every record is written as a sealed record (frame type 16) whose payload is
// the encryption of [record type u8][record payload]; the frame's CRC covers the sealed bytes, so
// torn writes and bit rot are found exactly as before, and the GCM tag finds the rest. The
// associated data is the segment's sequence number and the record's offset in it: a sealed
// record does not verify anywhere else. Unsealed records (written before encryption was turned
// on) are still read.

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
/** The frame type of an encrypted record. */
export const SEALED_RECORD_TYPE = 16;
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

/** Where a sealed record was read, to open it. */
export interface Opening {
  decrypter: Decrypter;
  seq: number;
  /** The offset of the record's frame in the segment file. */
  offset: number;
}

/** The associated data of a sealed record: the place it was written to. */
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
  const sealed: Buffer[] = [];
  let at = offset;
  for (const r of records) {
    const plain = Buffer.allocUnsafe(1 + payloadSize(r));
    plain[0] = TYPE_CODE[r.type];
    writePayload(plain, 1, r);
    const s = encrypter.encrypt(plain, recordAad(seq, at));
    sealed.push(s);
    at += FRAME_HEADER_BYTES + s.length;
  }
  const buf = Buffer.allocUnsafe(at - offset);
  let pos = 0;
  for (const s of sealed) {
    s.copy(buf, pos + FRAME_HEADER_BYTES);
    pos = sealFrame(buf, pos, SEALED_RECORD_TYPE, s.length);
  }
  return buf;
}

/**
 * Decodes the record in a valid frame, opening it first if it is sealed. Throws DecodeError if it
 * is not a record of ours, DecryptError (from the Decrypter) if it cannot be opened.
 */
export function decodeFrameRecord(
  type: number,
  buf: Buffer,
  start: number,
  end: number,
  opening: Opening,
): { record: WalRecord; sealed: boolean } {
  if (type !== SEALED_RECORD_TYPE) return { record: decodeRecord(type, buf, start, end), sealed: false };
  const plain = opening.decrypter.decrypt(buf.subarray(start, end), recordAad(opening.seq, opening.offset));
  if (plain.length < 1) throw new DecodeError('an empty sealed record');
  if (plain[0] === SEALED_RECORD_TYPE) throw new DecodeError('a sealed record inside a sealed record');
  return { record: decodeRecord(plain[0]!, plain, 1, plain.length), sealed: true };
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
