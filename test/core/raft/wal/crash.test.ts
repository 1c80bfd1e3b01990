// The crash test: a child process appending to a DiskStorage is killed with SIGKILL at random
// points, over and over; after every kill, everything it was told is on disk must be there.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../../../core/random.ts';
import { AesGcmCrypter, DiskStorage, generateDek } from '../../../../core/raft/wal/index.ts';
import { encodeRecords } from '../../../../core/raft/wal/record.ts';
import { isDoomed, realEntry, snapshotAt } from './crash-log.ts';
import { makeTempDir } from './helpers.ts';

const KILLS = 120;
/** Fewer with encryption: the same code but for the sealing of each write. */
const ENCRYPTED_KILLS = 60;
/** What the checks came across, to make sure the runs covered what they are meant to. */
let seen = { tornTails: 0, snapshots: 0, segments: 0 };
/** With encryption at rest (the key is given to every writer and to the checks), or not. */
let key: Buffer | undefined;
const encryption = () => {
  if (!key) return undefined;
  const crypter = new AesGcmCrypter(key);
  return { encrypter: crypter, decrypter: crypter };
};
const DEADLINE_MS = 15_000;

let workDir: string;
let removeWorkDir: () => Promise<void>;
let writerScript: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  ({ dir: workDir, remove: removeWorkDir } = await makeTempDir());
  // Bundled once and run with plain node: starting tsx for each of 100+ children would be slow.
  writerScript = join(workDir, 'crash-writer.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./crash-writer.ts', import.meta.url))],
    outfile: writerScript,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

afterAll(async () => {
  await removeWorkDir();
});

/** What the parent learned from the writer's output: the highest acknowledged index and commit. */
interface Acked {
  index: number;
  commit: number;
}

/** Runs one writer until it is killed; returns what it acknowledged before dying. */
async function runAndKill(stateDir: string, rng: Random, seed: number, acked: Acked): Promise<void> {
  const args = [writerScript, stateDir, String(seed), String(16 * 1024), ...(key ? [key.toString('hex')] : [])];
  const proc = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );

  let ready = false;
  let acksSeen = 0;
  let pending = '';
  let onLine: () => void = () => {};
  proc.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const [word, a, b] = pending.slice(0, nl).split(' ');
      pending = pending.slice(nl + 1);
      if (word === 'ready') ready = true;
      if (word === 'ack') {
        acksSeen++;
        acked.index = Math.max(acked.index, Number(a));
        acked.commit = Math.max(acked.commit, Number(b));
      }
      onLine();
    }
  });

  const waitFor = (what: string, done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${DEADLINE_MS} ms; stderr: ${stderr}`)), DEADLINE_MS);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          onLine = () => {};
          resolve();
        }
      };
      onLine = check;
      void closed.then(() => {
        if (!done()) {
          clearTimeout(timer);
          reject(new Error(`writer exited before ${what}; stderr: ${stderr}`));
        }
      });
      check();
    });

  if (rng.next() < 0.1) {
    // Now and then, a kill while the writer is still starting: loading, repairing, creating files.
    await new Promise((resolve) => setTimeout(resolve, rng.int(60)));
  } else {
    await waitFor('ready line', () => ready);
    const acks = rng.int(25);
    await waitFor(`${acks} acks`, () => acksSeen >= acks);
  }
  proc.kill('SIGKILL');
  const { code, signal } = await closed;
  if (signal !== 'SIGKILL') throw new Error(`writer exited with code ${code} before it was killed; stderr: ${stderr}`);
}

/**
 * SIGKILL rarely lands inside a write (the kernel finishes most writes first), so now and then
 * the test leaves what a power cut could: part of a record, a record with a bad CRC, or zeros.
 */
async function tearTail(stateDir: string, rng: Random): Promise<void> {
  const walDir = join(stateDir, 'wal');
  const last = (await readdir(walDir)).filter((n) => n.endsWith('.wal')).sort().at(-1);
  if (!last) return;
  const records = [{ type: 'entry' as const, entry: { ...realEntry(1), index: 2 ** 40 } }];
  const crypt = encryption();
  const record = encodeRecords(records, crypt && { encrypter: crypt.encrypter, seq: 1, offset: 0 });
  const kind = rng.int(3);
  let tail: Buffer;
  if (kind === 0) {
    tail = record.subarray(0, 1 + rng.int(record.length - 1));
  } else if (kind === 1) {
    tail = Buffer.from(record);
    tail[rng.int(tail.length)]! ^= 1 << rng.int(8);
  } else {
    tail = Buffer.alloc(1 + rng.int(8192));
  }
  await appendFile(join(walDir, last), tail);
}

/** Loads the state dir and checks it holds everything acknowledged, and nothing inconsistent. */
async function check(stateDir: string, acked: Acked, torn: boolean): Promise<void> {
  const storage = new DiskStorage({ dir: stateDir, segmentBytes: 16 * 1024, encryption: encryption() });
  const state = await storage.load();
  await storage.close();
  if (torn) expect(storage.recovery?.tornTail, 'the torn tail was not reported').toBeDefined();
  if (storage.recovery?.tornTail) seen.tornTails++;
  if (state.snapshot) seen.snapshots++;
  seen.segments = Math.max(seen.segments, storage.segmentFiles().length);
  const snapIndex = state.snapshot?.metadata.index ?? 0;
  if (state.snapshot) expect(state.snapshot).toEqual(snapshotAt(snapIndex));
  let lastReal = snapIndex;
  let expected = snapIndex + 1;
  for (const e of state.entries) {
    expect(e.index).toBe(expected++);
    if (isDoomed(e)) {
      // A doomed suffix can survive a crash, but never in place of an acknowledged entry.
      expect(e.index).toBeGreaterThan(acked.index);
      continue;
    }
    expect(e.index, 'a real entry after a doomed one').toBe(lastReal + 1);
    const want = realEntry(e.index);
    expect({ ...e, data: undefined }).toEqual({ ...want, data: undefined });
    // Byte by byte deep equality is slow on the large entries: compare as buffers.
    if (!Buffer.from(e.data).equals(want.data)) expect.fail(`entry ${e.index} has the wrong data`);
    lastReal = e.index;
  }
  expect(lastReal, 'acknowledged entries lost').toBeGreaterThanOrEqual(acked.index);
  expect(state.hardState.commit).toBeGreaterThanOrEqual(acked.commit);
}

describe('DiskStorage under SIGKILL', () => {
  // 120 real processes, each started and killed: minutes when the machine is busy with the rest
  // of the suite, so the limit is generous (the work is fixed, not the time).
  for (const [mode, kills] of [
    ['', KILLS],
    [', encrypted at rest', ENCRYPTED_KILLS],
  ] as const) {
    it(`keeps every acknowledged entry across ${kills} kills${mode}`, async () => {
      const seed = Number(process.env.WAL_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
      const rng = seededRandom(seed);
      const stateDir = join(workDir, 'state');
      const acked: Acked = { index: 0, commit: 0 };
      seen = { tornTails: 0, snapshots: 0, segments: 0 };
      key = mode ? generateDek() : undefined;
      try {
        for (let kill = 0; kill < kills; kill++) {
          await runAndKill(stateDir, rng, seed + kill, acked);
          const torn = rng.next() < 0.2;
          if (torn) await tearTail(stateDir, rng);
          await check(stateDir, acked, torn);
        }
      } catch (err) {
        (err as Error).message = `[WAL_CRASH_SEED=${seed}] ${(err as Error).message}`;
        throw err;
      } finally {
        await rm(stateDir, { recursive: true, force: true });
        key = undefined;
      }
      // The runs did real work: many segments' worth of entries, torn tails, snapshots.
      expect(acked.index).toBeGreaterThan((1000 * kills) / KILLS);
      expect(seen.segments).toBeGreaterThan(2);
      expect(seen.tornTails).toBeGreaterThan(0);
      expect(seen.snapshots).toBeGreaterThan(0);
    }, 300_000);
  }
});
