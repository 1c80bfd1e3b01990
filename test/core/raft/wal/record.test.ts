import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, hasValidFrameAfter, readFrame } from '../../../../core/raft/wal/frame.ts';
import { decodeRecord, encodeRecords, type WalRecord } from '../../../../core/raft/wal/record.ts';

function decodeAll(buf: Buffer): WalRecord[] {
  const out: WalRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    const f = readFrame(buf, at);
    if (!f.ok) throw new Error(f.reason);
    out.push(decodeRecord(f.type, buf, f.payloadStart, f.end));
    at = f.end;
  }
  return out;
}

describe('WAL records', () => {
  it('round-trip every record type, with binary, empty and large data', () => {
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const large = new Uint8Array(1 << 20).map((_, i) => (i * 13) & 0xff);
    const records: WalRecord[] = [
      { type: 'segment', version: 1, seq: 7, firstIndex: 2 ** 40 + 3 },
      { type: 'hardState', hardState: { term: 5, vote: 'nödé-1', commit: 2 ** 53 - 1 } },
      { type: 'hardState', hardState: { term: 0, vote: '', commit: 0 } },
      { type: 'entry', entry: { term: 3, index: 1, type: 'normal', data: allBytes } },
      { type: 'entry', entry: { term: 3, index: 2, type: 'conf', data: new Uint8Array() } },
      { type: 'entry', entry: { term: 4, index: 3, type: 'normal', data: large } },
      { type: 'snapshot', index: 99, term: 4 },
    ];
    const decoded = decodeAll(encodeRecords(records));
    // Deep equality of a megabyte byte by byte is slow: compare the large data as buffers.
    const largeBack = decoded[5]!.type === 'entry' ? decoded[5]!.entry.data : undefined;
    expect(largeBack).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(largeBack!).equals(large)).toBe(true);
    const withoutLarge = (rs: WalRecord[]) => rs.filter((_, i) => i !== 5);
    expect(withoutLarge(decoded)).toEqual(withoutLarge(records));
  });

  it('tells a torn record from a damaged one', () => {
    const buf = encodeRecords([{ type: 'entry', entry: { term: 1, index: 1, type: 'normal', data: new Uint8Array(40) } }]);
    expect(readFrame(buf.subarray(0, 5), 0)).toMatchObject({ ok: false, reason: expect.stringMatching(/incomplete record header/) });
    expect(readFrame(buf.subarray(0, 30), 0)).toMatchObject({ ok: false, reason: expect.stringMatching(/incomplete record \(/) });
    expect(readFrame(Buffer.alloc(64), 0)).toMatchObject({ ok: false, reason: 'zeroed record header' });

    const flippedPayload = Buffer.from(buf);
    flippedPayload[buf.length - 1]! ^= 1;
    expect(readFrame(flippedPayload, 0)).toMatchObject({ ok: false, reason: expect.stringMatching(/^CRC mismatch \(record says 0x[0-9a-f]{8}, data gives 0x[0-9a-f]{8}\)$/) });

    const flippedLength = Buffer.from(buf);
    flippedLength[3]! ^= 0x10;
    expect(readFrame(flippedLength, 0)).toMatchObject({ ok: false, reason: expect.stringMatching(/damaged record header/) });
  });

  it('finds a valid record after a bad one, and none in garbage or zeros', () => {
    const rec = encodeRecords([{ type: 'snapshot', index: 1, term: 1 }]);
    expect(hasValidFrameAfter(Buffer.concat([Buffer.alloc(7, 0xab), rec]), 0)).toBe(true);
    expect(hasValidFrameAfter(Buffer.alloc(4096), 0)).toBe(false);
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    expect(hasValidFrameAfter(garbage, 0)).toBe(false);
    expect(FRAME_HEADER_BYTES).toBe(12);
  });
});
