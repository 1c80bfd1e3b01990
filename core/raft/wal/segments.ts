// WAL segment files: <walDir>/<seq>-<firstIndex>.wal (16 hex digits each, as etcd names them).
// `firstIndex` is the index the log would continue at when the segment was started; entries in
// it may still rewrite lower (uncommitted) indexes, but every entry at or above firstIndex that
// survives in the log was written in this segment or a later one.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Segment {
  path: string;
  seq: number;
  firstIndex: number;
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

/** The segment files of a WAL directory in sequence order. */
export async function listSegments(walDir: string): Promise<Segment[]> {
  const segments: Segment[] = [];
  for (const name of await readdir(walDir)) {
    const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name);
    if (!m) continue;
    segments.push({ path: join(walDir, name), seq: parseInt(m[1]!, 16), firstIndex: parseInt(m[2]!, 16) });
  }
  return segments.sort((a, b) => a.seq - b.seq);
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}
