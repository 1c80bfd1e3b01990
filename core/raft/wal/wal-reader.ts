// Reads and checks every WAL segment, replaying its records. Read-only: repairs (cutting a torn
// tail) are for the caller to make.

import { readFile } from 'node:fs/promises';
import { DecodeError } from './binary.ts';
import { DecryptError, noKeyDecrypter, type Decrypter } from './encryption.ts';
import { WalCorruptError, WalKeyError } from './errors.ts';
import { hasValidFrameAfter, readFrame } from './frame.ts';
import { LogReplay } from './log-replay.ts';
import { decodeFrameRecords, WAL_FORMAT_VERSION, type WalRecord } from './record.ts';
import { listSegments, type Segment } from './segments.ts';

/** The end of the last segment, cut short by a crash in the middle of a write. */
export interface TornTail {
  file: string;
  /** Where the last good record ends: the file is to be cut back to this length. */
  offset: number;
  /** How many bytes are to be cut. */
  bytes: number;
  problem: string;
}

export interface WalContents {
  replay: LogReplay;
  segments: Segment[];
  /** Bytes of valid records in the last segment (0 if there is none, or it holds nothing valid). */
  lastSegmentBytes: number;
  tornTail?: TornTail;
  /** Where the first entry replayed was found, for error messages. */
  firstEntryAt?: { file: string; offset: number };
  /**
   * Records read that were encrypted (each record of a sealed batch counted), and that were not
   * (written before encryption was on).
   */
  sealedRecords: number;
  plainRecords: number;
}

/** Reads the WAL; sealed (encrypted) records are opened with `decrypter`. */
export async function readWal(walDir: string, decrypter: Decrypter = noKeyDecrypter()): Promise<WalContents> {
  const segments = await listSegments(walDir);
  const replay = new LogReplay();
  const contents: WalContents = { replay, segments, lastSegmentBytes: 0, sealedRecords: 0, plainRecords: 0 };
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const previous = segments[i - 1];
    if (previous && segment.seq !== previous.seq + 1) {
      throw new WalCorruptError(
        segment.path,
        0,
        `segment ${previous.seq + 1} is missing (the sequence jumps from ${previous.seq} to ${segment.seq})`,
      );
    }
    const isLast = i === segments.length - 1;
    const validBytes = replaySegment(segment, await readFile(segment.path), isLast, contents, decrypter);
    if (isLast) contents.lastSegmentBytes = validBytes;
  }
  return contents;
}

/** Replays one segment into contents.replay; returns the length of its valid records. */
function replaySegment(segment: Segment, buf: Buffer, isLast: boolean, contents: WalContents, decrypter: Decrypter): number {
  let offset = 0;
  while (offset < buf.length) {
    const frame = readFrame(buf, offset);
    if (!frame.ok) {
      if (isLast && !hasValidFrameAfter(buf, offset)) {
        contents.tornTail = { file: segment.path, offset, bytes: buf.length - offset, problem: frame.reason };
        break;
      }
      const where = isLast ? 'with valid records after it' : 'in a segment that is not the last';
      throw new WalCorruptError(segment.path, offset, `${frame.reason}, ${where}`);
    }
    let records: WalRecord[];
    let sealed: boolean;
    try {
      ({ records, sealed } = decodeFrameRecords(frame.type, buf, frame.payloadStart, frame.end, {
        decrypter,
        seq: segment.seq,
        offset,
      }));
    } catch (err) {
      if (err instanceof DecryptError) {
        if (err.isKeyProblem) throw new WalKeyError(segment.path, err.message);
        throw new WalCorruptError(segment.path, offset, `a record with a valid CRC cannot be decrypted: ${err.message}`);
      }
      if (!(err instanceof DecodeError)) throw err;
      throw new WalCorruptError(segment.path, offset, `a record with a valid CRC does not decode: ${err.message}`);
    }
    if (sealed) {
      contents.sealedRecords += records.length;
    } else if (contents.sealedRecords > 0) {
      // Records are only ever written unencrypted before encryption is turned on, never after.
      throw new WalCorruptError(segment.path, offset, 'an unencrypted record after encrypted ones (something other than this storage wrote it)');
    } else {
      contents.plainRecords++;
    }
    for (const [i, record] of records.entries()) {
      // In a batch, which record: the frame's offset alone would not say.
      const which = records.length > 1 ? ` (record ${i + 1} of the sealed batch)` : '';
      const first = offset === 0 && i === 0;
      const problem = first ? checkHeader(record, segment) : record.type === 'segment' ? 'a second segment header' : undefined;
      if (problem) throw new WalCorruptError(segment.path, offset, problem + which);
      if (record.type === 'entry' && contents.firstEntryAt === undefined) {
        contents.firstEntryAt = { file: segment.path, offset };
      }
      const gap = contents.replay.apply(record);
      if (gap) throw new WalCorruptError(segment.path, offset, gap + which);
    }
    offset = frame.end;
  }
  if (offset === 0 && !isLast) throw new WalCorruptError(segment.path, 0, 'an empty segment that is not the last');
  return offset;
}

function checkHeader(record: WalRecord, segment: Segment): string | undefined {
  if (record.type !== 'segment') return `the first record is a ${record.type} record, not a segment header`;
  if (record.version !== WAL_FORMAT_VERSION) return `unknown WAL format version ${record.version}`;
  if (record.seq !== segment.seq || record.firstIndex !== segment.firstIndex) {
    return `the header says segment ${record.seq} from index ${record.firstIndex}, which the file name does not`;
  }
  return undefined;
}
