// Network faults of a process machine (isolation process), emulated in its cluster transport: the
// faults go into the machine's faults file, which its process watches (faults-watch.ts) and
// acknowledges. A running machine is waited for, so the fault is in force when the command returns;
// a paused or stopped one applies it when it runs again.

import type { MachineState } from '../driver.ts';
import { MachineError } from '../errors.ts';
import { addPartition, hasFaults, type ActiveFaults, type MachineFaults, type NetworkFaults } from '../faults.ts';
import { faultsPaths, readApplied, readFaultsFile, writeFaultsFile, type FaultsPaths } from './faults-file.ts';

export interface TransportFaultsOptions {
  name: string;
  machineDir: string;
  /** The machine's log, named when it does not apply a change. */
  log: string;
  status: () => Promise<MachineState>;
  /** How long a running machine has to apply a change (ms). */
  applyTimeoutMs?: number;
  platform?: NodeJS.Platform;
}

const POLL_MS = 25;

export class TransportFaults implements MachineFaults {
  private readonly paths: FaultsPaths;

  constructor(private readonly opts: TransportFaultsOptions) {
    this.paths = faultsPaths(opts.machineDir);
  }

  async partition(from: readonly string[] | 'all'): Promise<void> {
    await this.change((f) => ({ ...f, partition: addPartition(f.partition, from) }));
  }

  async delay(ms: number, lossPercent = 0): Promise<void> {
    await this.change((f) => ({ ...f, delayMs: ms, lossPercent }));
  }

  async heal(): Promise<void> {
    await this.change(() => ({}));
  }

  async active(): Promise<ActiveFaults | undefined> {
    const r = await readFaultsFile(this.paths.file);
    if (r.state !== 'ok' || !hasFaults(r.faults)) return undefined;
    const { partition, delayMs, lossPercent } = r.faults;
    return { ...(partition ? { partition } : {}), delayMs, lossPercent, applied: (await readApplied(this.paths.applied)) >= r.faults.generation };
  }

  private async change(next: (f: NetworkFaults) => NetworkFaults): Promise<void> {
    // The transport tells peers, and the machine itself, apart by address; off Linux all machines share 127.0.0.1.
    if ((this.opts.platform ?? process.platform) !== 'linux') {
      throw new MachineError(`machine "${this.opts.name}": network faults need machines with addresses of their own, which local machines have on Linux only (swarmlab fault pause still works)`);
    }
    const r = await readFaultsFile(this.paths.file);
    // A hand-damaged file is replaced: what it meant cannot be known.
    const current: NetworkFaults = r.state === 'ok' ? r.faults : {};
    const generation = Math.max(r.state === 'ok' ? r.faults.generation : 0, await readApplied(this.paths.applied)) + 1;
    const f = next(current);
    await writeFaultsFile(this.paths.file, {
      generation,
      ...(f.partition && (f.partition === 'all' || f.partition.length > 0) ? { partition: f.partition === 'all' ? 'all' : [...f.partition] } : {}),
      delayMs: f.delayMs ?? 0,
      lossPercent: f.lossPercent ?? 0,
    });
    if ((await this.opts.status()) === 'Running') await this.applied(generation);
  }

  private async applied(generation: number): Promise<void> {
    const timeout = this.opts.applyTimeoutMs ?? 5_000;
    const deadline = Date.now() + timeout;
    while ((await readApplied(this.paths.applied)) < generation) {
      if (Date.now() > deadline) {
        // Paused meanwhile: it applies the change when it runs again.
        if ((await this.opts.status()) !== 'Running') return;
        throw new MachineError(
          `machine "${this.opts.name}" did not apply the fault within ${timeout / 1000} s (was it started by an older swarmlab? swarmlab restart ${this.opts.name}; its log: ${this.opts.log})`,
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
