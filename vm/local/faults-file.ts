// The faults file of a process machine (MACHINE_DIR/faults.json): the swarmlab CLI writes the
// machine's network faults there, the machine's process watches it and writes back the generation
// it applied (faults.applied), so the CLI knows when a fault is in force. The file stays until the
// faults are healed, so they outlive a restart of the machine, as an unplugged cable would.

import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** Longer than any demonstration wants; a typo (200s for 200ms) is refused rather than obeyed. */
export const MAX_DELAY_MS = 60_000;

export const FaultsFileSchema = z.strictObject({
  /** Raised by each change, so the machine's acknowledgement names the change it applied. */
  generation: z.number().int().min(1),
  partition: z.union([z.literal('all'), z.array(z.union([z.ipv4(), z.ipv6()]))]).optional(),
  delayMs: z.number().min(0).max(MAX_DELAY_MS).default(0),
  lossPercent: z.number().min(0).max(100).default(0),
});

export type FaultsFile = z.infer<typeof FaultsFileSchema>;

const AckSchema = z.object({ generation: z.number().int().min(0) });

export interface FaultsPaths {
  file: string;
  applied: string;
}

export function faultsPaths(machineDir: string): FaultsPaths {
  return faultsPathsOf(path.join(machineDir, 'faults.json'));
}

/** The acknowledgement lives beside the faults file: faults.json, faults.applied. */
export function faultsPathsOf(file: string): FaultsPaths {
  return { file, applied: file.replace(/(\.json)?$/, '.applied') };
}

export type ReadFaults = { state: 'missing' } | { state: 'invalid'; error: string } | { state: 'ok'; faults: FaultsFile };

/** The file as it is: missing, invalid (with what is wrong), or the faults. */
export async function readFaultsFile(file: string): Promise<ReadFaults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'invalid', error: (err as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { state: 'invalid', error: `not JSON: ${(err as Error).message}` };
  }
  const r = FaultsFileSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0]!;
    return { state: 'invalid', error: `${first.path.length ? `${first.path.join('.')}: ` : ''}${first.message}` };
  }
  return { state: 'ok', faults: r.data };
}

/** The generation the machine last applied (0: none). */
export async function readApplied(file: string): Promise<number> {
  try {
    const r = AckSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return r.success ? r.data.generation : 0;
  } catch {
    return 0;
  }
}

export function writeFaultsFile(file: string, faults: FaultsFile): Promise<void> {
  return writeAtomically(file, `${JSON.stringify(FaultsFileSchema.parse(faults), null, 2)}\n`);
}

export function writeApplied(file: string, generation: number): Promise<void> {
  return writeAtomically(file, `${JSON.stringify({ generation })}\n`);
}

/** Written aside and renamed: the watcher never reads half a file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
