import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFrame } from '../../../../core/raft/wal/frame.ts';
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
