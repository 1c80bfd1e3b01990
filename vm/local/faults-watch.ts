// The machine's side of its faults file: applied to the node's cluster transport when the process
// starts (before swarmd opens a connection, so a cut machine stays cut across a restart), and again
// whenever the file changes. A file that cannot be used is logged with what is wrong and ignored:
// the faults in force stay, and the machine runs on.

import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { LinkFaults } from '../../core/rpc/link-faults.ts';
import { readFaultsFile, writeApplied, type FaultsPaths } from './faults-file.ts';

export type FaultsLog = (level: 'info' | 'warn', line: string) => void;

export class FaultsWatcher {
  private watcher: FSWatcher | undefined;
  private applied = 0;
  /** Lines from before the log is known (the first load comes before swarmd's flags are read). */
  private pending: [level: 'info' | 'warn', line: string][] = [];
  private log: FaultsLog = (level, line) => this.pending.push([level, line]);
  /** Loads one after another; a change during a load loads once more. */
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly paths: FaultsPaths,
    private readonly faults: LinkFaults,
  ) {}

  /** Applies the file as it is now. */
  async load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        await this.loadOnce();
      } while (this.again);
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Logs through `log` from now on (with what happened before) and follows changes of the file. */
  start(log: FaultsLog): void {
    this.log = log;
    for (const [level, line] of this.pending.splice(0)) log(level, line);
    const name = path.basename(this.paths.file);
    try {
      // The directory, not the file: the CLI replaces the file by renaming a new one over it.
      this.watcher = watch(path.dirname(this.paths.file), (_event, changed) => {
        if (changed === null || changed === name) void this.load();
      });
      this.watcher.on('error', (err) => log('warn', `faults: no longer watching ${this.paths.file}: ${err.message}`));
      this.watcher.unref();
    } catch (err) {
      log('warn', `faults: cannot watch ${this.paths.file} (faults change only when the machine restarts): ${(err as Error).message}`);
    }
    // A change between the first load and the watch.
    void this.load();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async loadOnce(): Promise<void> {
    const r = await readFaultsFile(this.paths.file);
    if (r.state === 'invalid') {
      this.log('warn', `faults: ignoring ${this.paths.file}: ${r.error} (the faults in force stay; swarmlab fault heal rewrites it)`);
      return;
    }
    if (r.state === 'missing') {
      if (this.applied === 0) return;
      this.faults.set({});
      this.applied = 0;
      this.log('info', `faults: ${this.paths.file} was removed: no faults`);
      return;
    }
    const f = r.faults;
    if (f.generation === this.applied) return;
    this.faults.set({ partition: f.partition, delayMs: f.delayMs, lossPercent: f.lossPercent });
    this.applied = f.generation;
    this.log('info', `faults: ${describe(f)}`);
    try {
      await writeApplied(this.paths.applied, f.generation);
    } catch (err) {
      this.log('warn', `faults: applied, but cannot write ${this.paths.applied}: ${(err as Error).message}`);
    }
  }
}

function describe(f: { partition?: readonly string[] | 'all'; delayMs: number; lossPercent: number }): string {
  const parts: string[] = [];
  if (f.partition === 'all') parts.push('cut off from every peer');
  else if (f.partition?.length) parts.push(`cut off from ${f.partition.join(', ')}`);
  if (f.delayMs > 0) parts.push(`delay ${f.delayMs} ms`);
  if (f.lossPercent > 0) parts.push(`loss ${f.lossPercent}%`);
  return parts.length ? parts.join(', ') : 'none (healed)';
}
