import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_HEADER_BYTES, readFrame, sealFrame } from '../../../../core/raft/wal/frame.ts';
import { encodeRecords, recordAad, SEALED_RECORD_TYPE, type Sealing, type WalRecord } from '../../../../core/raft/wal/record.ts';
import type { Entry } from '../../../../core/raft/types.ts';

export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmlab-wal-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic data for an entry, so a test can check it after a reload. */
export function dataFor(index: number): Uint8Array {
  const data = new Uint8Array(index % 37);
  for (let i = 0; i < data.length; i++) data[i] = (index * 31 + i * 7) & 0xff;
  return data;
}

export function entries(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ term, index: i, type: 'normal', data: dataFor(i) });
  return out;
}

/** Start offsets of the records of a segment file, and its length. */
export async function recordOffsets(file: string): Promise<{ offsets: number[]; size: number }> {
  const buf = await readFile(file);
  const offsets: number[] = [];
  let at = 0;
  while (at < buf.length) {
    const f = readFrame(buf, at);
    if (!f.ok) throw new Error(`bad record at ${at}: ${f.reason}`);
    offsets.push(at);
    at = f.end;
  }
  return { offsets, size: buf.length };
}

/**
 * Records as encryption at rest wrote them before sealed batches: one sealed record (frame type
 * 16) each, sealed to its own offset, holding [record type][payload]. For tests that such WALs
 * are still read.
 */
export function encodeSealedEach(records: readonly WalRecord[], { encrypter, seq, offset }: Sealing): Buffer {
  const plain = encodeRecords(records);
  const out: Buffer[] = [];
  let fileAt = offset;
  for (let at = 0; at < plain.length; ) {
    const f = readFrame(plain, at);
    if (!f.ok) throw new Error(f.reason);
    const inner = Buffer.concat([Buffer.from([f.type]), plain.subarray(f.payloadStart, f.end)]);
    const sealed = encrypter.encrypt(inner, recordAad(seq, fileAt));
    const frame = Buffer.alloc(FRAME_HEADER_BYTES + sealed.length);
    sealed.copy(frame, FRAME_HEADER_BYTES);
    sealFrame(frame, 0, SEALED_RECORD_TYPE, sealed.length);
    out.push(frame);
    fileAt += frame.length;
    at = f.end;
  }
  return Buffer.concat(out);
}
