// The CRC framing of WAL records. Every record is a 12-byte header and a payload:
//
//   0  u32  payload length
//   4  u8   record type (never 0, so a zeroed region is never a record)
//   5  u8   reserved, 0
//   6  u16  header check: low 16 bits of CRC-32 of bytes 0..5
//   8  u32  CRC-32 of bytes 0..7 then the payload
//
// The header check lets recovery tell a damaged length (corruption) from a record cut short by a
// crash (a torn write): without it, a flipped bit in a length in the middle of the log could look
// like a torn tail and silently drop every acknowledged record after it.

import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 12;
/** Far above any real record; a length beyond it is damage, not data. */
export const MAX_PAYLOAD_BYTES = 0x4000_0000;

export function headerCheck(buf: Buffer, offset: number): number {
  return crc32(buf.subarray(offset, offset + 6)) & 0xffff;
}

/** Writes a frame header for a payload already placed at offset + FRAME_HEADER_BYTES. */
export function sealFrame(buf: Buffer, offset: number, type: number, payloadLength: number): number {
  if (type < 1 || type > 255) throw new RangeError(`record type ${type}`);
  if (payloadLength > MAX_PAYLOAD_BYTES) throw new RangeError(`record of ${payloadLength} bytes is too large`);
  buf.writeUInt32LE(payloadLength, offset);
  buf.writeUInt8(type, offset + 4);
  buf.writeUInt8(0, offset + 5);
  buf.writeUInt16LE(headerCheck(buf, offset), offset + 6);
  const payloadStart = offset + FRAME_HEADER_BYTES;
  const crc = crc32(buf.subarray(payloadStart, payloadStart + payloadLength), crc32(buf.subarray(offset, offset + 8)));
  buf.writeUInt32LE(crc, offset + 8);
  return payloadStart + payloadLength;
}

export interface Frame {
  ok: true;
  type: number;
  payloadStart: number;
  /** Offset just after the frame: where the next one starts. */
  end: number;
}

export interface BadFrame {
  ok: false;
  /** What is wrong, for an error message. */
  reason: string;
}

/** Reads the frame at `offset`, which must be < buf.length. Never throws on bad input. */
export function readFrame(buf: Buffer, offset: number): Frame | BadFrame {
  const available = buf.length - offset;
  if (available < FRAME_HEADER_BYTES) {
    return { ok: false, reason: `incomplete record header (${available} of ${FRAME_HEADER_BYTES} bytes)` };
  }
  const length = buf.readUInt32LE(offset);
  const type = buf.readUInt8(offset + 4);
  const storedCheck = buf.readUInt16LE(offset + 6);
  if (type === 0 && length === 0 && storedCheck === 0 && buf.readUInt32LE(offset + 8) === 0) {
    return { ok: false, reason: 'zeroed record header' };
  }
  const check = headerCheck(buf, offset);
  if (storedCheck !== check || type === 0 || buf.readUInt8(offset + 5) !== 0 || length > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `damaged record header (check says ${hex16(storedCheck)}, header gives ${hex16(check)})` };
  }
  const payloadStart = offset + FRAME_HEADER_BYTES;
  if (length > buf.length - payloadStart) {
    return { ok: false, reason: `incomplete record (${buf.length - payloadStart} of ${length} payload bytes)` };
  }
  const end = payloadStart + length;
  const stored = buf.readUInt32LE(offset + 8);
  const actual = crc32(buf.subarray(payloadStart, end), crc32(buf.subarray(offset, offset + 8)));
  if (stored !== actual) {
    return { ok: false, reason: `CRC mismatch (record says ${hex32(stored)}, data gives ${hex32(actual)})` };
  }
  return { ok: true, type, payloadStart, end };
}

/**
 * Whether a valid frame starts anywhere after `offset`. A crash leaves garbage only at the very
 * end of what was being written, so a good record after a bad one means the bad one is damage.
 */
export function hasValidFrameAfter(buf: Buffer, offset: number): boolean {
  const last = buf.length - FRAME_HEADER_BYTES;
  for (let at = offset + 1; at <= last; at++) {
    // Cheap filters first: most bytes of a torn tail fail one of these.
    if (buf[at + 4] === 0 || buf[at + 5] !== 0) continue;
    if (buf.readUInt32LE(at) > buf.length - at - FRAME_HEADER_BYTES) continue;
    if (readFrame(buf, at).ok) return true;
  }
  return false;
}

function hex16(n: number): string {
  return '0x' + n.toString(16).padStart(4, '0');
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
