// Machines: the store and the drivers together, as the CLI (and later the lab controller) use
// them. A machine whose creation fails is removed again, so a failed `create` can be retried.

import type { DriverName, Isolation, MachineConfig } from './config.ts';
import type { Driver, Progress } from './driver.ts';
import { MachineError } from './errors.ts';
import { assertNetnsSupported, type Host } from './netns/support.ts';
import { LocalDriver, type LocalDriverOptions } from './local/driver.ts';
import { killTree, machineProcess } from './local/machine-process.ts';
import { teardownSlotNetns } from './local/netns-machine.ts';
import { MachineStore, type MachinePaths } from './store.ts';

export interface Machine {
  config: MachineConfig;
  paths: MachinePaths;
  driver: Driver;
}

export interface MachinesOptions {
  local?: LocalDriverOptions;
  /** The host as netns isolation sees it (tests pretend to be another); this one by default. */
  host?: Host;
}

export class Machines {
  constructor(
    readonly store: MachineStore,
    private readonly opts: MachinesOptions = {},
  ) {}

  driverFor(config: MachineConfig): Driver {
    const paths = this.store.paths(config.name);
    switch (config.driver) {
      case 'local':
        return new LocalDriver(config, paths, this.opts.local);
    }
  }

  async get(name: string): Promise<Machine> {
    const config = await this.store.load(name);
    return { config, paths: this.store.paths(name), driver: this.driverFor(config) };
  }

  async create(name: string, o: { driver: DriverName; isolation: Isolation }, progress?: Progress): Promise<Machine> {
    // Refused before the name is claimed, so a refusal leaves nothing behind.
    if (o.isolation === 'netns') assertNetnsSupported(this.opts.host);
    const config = await this.store.create({ name, ...o });
    const m = { config, paths: this.store.paths(name), driver: this.driverFor(config) };
    try {
      await m.driver.create(progress);
    } catch (err) {
      await m.driver.remove().catch(() => {});
      await this.store.remove(name).catch(() => {});
      throw err;
    }
    return m;
  }

  /**
   * Ends the machine and deletes its directory. With `force`, a machine whose config cannot be read
   * (or whose driver fails to remove it) is deleted all the same.
   */
  async remove(name: string, force = false): Promise<void> {
    let m: Machine;
    try {
      m = await this.get(name);
    } catch (err) {
      if (!(err instanceof MachineError) || !force || !(await this.store.exists(name))) throw err;
      // Its driver is unknown, but a local machine's process can be found without it.
      const orphan = await machineProcess(this.store.paths(name));
      if (orphan) await killTree(orphan);
      for (const slot of await this.store.slotsOf(name)) await teardownSlotNetns(this.store.home, slot);
      return this.store.remove(name);
    }
    try {
      await m.driver.remove();
    } catch (err) {
      if (!force) throw new MachineError(`cannot remove machine "${name}": ${(err as Error).message} (swarmlab rm -f removes it anyway)`);
    }
    await this.store.remove(name);
  }
}
