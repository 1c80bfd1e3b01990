// The machine store, as docker-machine's: SWARMLAB_HOME (default ~/.swarmlab) holds machines/NAME/
// with the machine's config.json, its node's state directory (state/) and the files of its running
// process (API socket, log, pid). The directory is the machine: creating it claims the name.
// slots/SLOT files claim addresses the same way (created exclusively), so two `swarmlab create`
// processes running at once never hand out the same address.

import { mkdir, readdir, readFile, rm, writeFile, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { allocateAddress, type PortProbe } from './address.ts';
import { MACHINE_NAME, MachineConfigSchema, readMachineConfig, type DriverName, type Isolation, type MachineConfig } from './config.ts';
import { MachineError } from './errors.ts';
import { labNetPlan, machineNetName } from './netns/plan.ts';

export interface MachinePaths {
  dir: string;
  config: string;
  /** The node's swarmd state directory (identity, certificates, Raft log): kept across restarts. */
  state: string;
  /** The Docker Engine API socket (DOCKER_HOST=unix://..., SWARM_SOCKET=...). */
  socket: string;
  log: string;
  pid: string;
  /** The SSH server's host key and the console's files. */
  ssh: string;
  /** The lab's client key pair (one for all machines of SWARMLAB_HOME): KEY and KEY.pub. */
  labKey: string;
}

export interface StoreOptions {
  home?: string;
  /** First address slot to hand out (tests running side by side keep apart by it). */
  firstSlot?: number;
  platform?: NodeJS.Platform;
  probe?: PortProbe;
}

/** A unix socket's path must fit in sun_path (104 bytes on macOS, 108 on Linux, with its NUL). */
const MAX_SOCKET_PATH = 103;

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWARMLAB_HOME ? path.resolve(env.SWARMLAB_HOME) : path.join(os.homedir(), '.swarmlab');
}

export function validateName(name: string): void {
  if (!MACHINE_NAME.test(name)) {
    throw new MachineError(`invalid machine name "${name}": names start with a letter or digit and contain only letters, digits, dots and hyphens`);
  }
}

export interface ListedMachine {
  name: string;
  config?: MachineConfig;
  /** Why the config could not be read (the machine is listed anyway, so that it can be removed). */
  error?: string;
}

export class MachineStore {
  readonly home: string;
  readonly machinesDir: string;
  private readonly slotsDir: string;
  /** Creations in this process one at a time, so that two never take the same address. */
  private creating: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: StoreOptions = {}) {
    this.home = path.resolve(opts.home ?? defaultHome());
    this.machinesDir = path.join(this.home, 'machines');
    this.slotsDir = path.join(this.home, 'slots');
  }

  paths(name: string): MachinePaths {
    validateName(name);
    const dir = path.join(this.machinesDir, name);
    return {
      dir,
      config: path.join(dir, 'config.json'),
      state: path.join(dir, 'state'),
      socket: path.join(dir, 'docker.sock'),
      log: path.join(dir, 'swarmd.log'),
      pid: path.join(dir, 'swarmd.pid'),
      ssh: path.join(dir, 'ssh'),
      labKey: path.join(this.home, 'keys', 'id_ed25519'),
    };
  }

  async exists(name: string): Promise<boolean> {
    return isDir(this.paths(name).dir);
  }

  async names(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.machinesDir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries.filter((e) => e.isDirectory() && MACHINE_NAME.test(e.name)).map((e) => e.name).sort();
  }

  async load(name: string): Promise<MachineConfig> {
    const p = this.paths(name);
    if (!(await isDir(p.dir))) throw notFound(name);
    const config = await readMachineConfig(p.config);
    if (config.name !== name) throw new MachineError(`${p.config} is corrupt: it names machine "${config.name}"`);
    return config;
  }

  async list(): Promise<ListedMachine[]> {
    return Promise.all(
      (await this.names()).map(async (name) => {
        try {
          return { name, config: await this.load(name) };
        } catch (err) {
          if (err instanceof MachineError) return { name, error: err.message };
          throw err;
        }
      }),
    );
  }

  /** Claims the name, gives the machine an address, and writes its config. */
  create(input: { name: string; driver: DriverName; isolation: Isolation }): Promise<MachineConfig> {
    const run = this.creating.then(() => this.createNow(input));
    this.creating = run.catch(() => {});
    return run;
  }

  async save(config: MachineConfig): Promise<void> {
    const p = this.paths(config.name);
    const valid = MachineConfigSchema.parse(config);
    // Written aside and renamed, so a crash never leaves half a config behind.
    const tmp = `${p.config}.tmp`;
    await writeFile(tmp, JSON.stringify(valid, null, 2) + '\n');
    await rename(tmp, p.config);
  }

  async remove(name: string): Promise<void> {
    const p = this.paths(name);
    if (!(await isDir(p.dir))) throw notFound(name);
    await rm(p.dir, { recursive: true, force: true });
    await this.releaseSlots(name);
  }

  private async createNow(input: { name: string; driver: DriverName; isolation: Isolation }): Promise<MachineConfig> {
    const p = this.paths(input.name);
    if (p.socket.length > MAX_SOCKET_PATH) {
      throw new MachineError(`machine name "${input.name}" is too long for this SWARMLAB_HOME: its API socket ${p.socket} would exceed ${MAX_SOCKET_PATH} characters`);
    }
    const used = new Set<number>();
    for (const m of await this.list()) if (m.config) used.add(m.config.slot);
    await mkdir(this.machinesDir, { recursive: true });
    try {
      await mkdir(p.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new MachineError(`machine "${input.name}" already exists`);
      throw err;
    }
    try {
      // A netns machine's address is in its lab's own subnet, one per SWARMLAB_HOME.
      const net = input.isolation === 'netns' ? labNetPlan(this.home) : undefined;
      const address = await allocateAddress(used, {
        first: this.opts.firstSlot,
        platform: this.opts.platform,
        probe: this.opts.probe,
        claim: (slot) => this.claimSlot(slot, input.name),
        netnsPrefix: net?.prefix,
      });
      if (!address) throw new MachineError('no free machine address left: remove a machine first (swarmlab rm NAME)');
      const config: MachineConfig = {
        version: 1,
        name: input.name,
        driver: input.driver,
        isolation: input.isolation,
        created: new Date().toISOString(),
        ...address,
        ...(net && {
          netns: { namespace: machineNetName(net, address.slot), veth: machineNetName(net, address.slot), bridge: net.bridge, hostIp: net.hostIp },
        }),
      };
      await mkdir(p.state);
      await this.save(config);
      return config;
    } catch (err) {
      await rm(p.dir, { recursive: true, force: true });
      await this.releaseSlots(input.name);
      throw err;
    }
  }

  /** Takes the slot for `name`, unless a machine that still exists holds it. */
  private async claimSlot(slot: number, name: string): Promise<boolean> {
    const file = path.join(this.slotsDir, String(slot));
    await mkdir(this.slotsDir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(file, `${name}\n`, { flag: 'wx' });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (owner && owner !== name && (await this.holdsSlot(owner, slot))) return false;
      await rm(file, { force: true }); // left by a machine deleted by hand
    }
    return false;
  }

  /** A machine being created has no config yet: its directory alone holds the slot. */
  private async holdsSlot(name: string, slot: number): Promise<boolean> {
    if (!MACHINE_NAME.test(name) || !(await isDir(this.paths(name).dir))) return false;
    try {
      return (await readMachineConfig(this.paths(name).config)).slot === slot;
    } catch {
      return true;
    }
  }

  /** The address slots the machine holds (known even when its config cannot be read). */
  async slotsOf(name: string): Promise<number[]> {
    let files: string[];
    try {
      files = await readdir(this.slotsDir);
    } catch {
      return [];
    }
    const held: number[] = [];
    for (const f of files) {
      if ((await readFile(path.join(this.slotsDir, f), 'utf8').catch(() => '')).trim() === name) held.push(Number(f));
    }
    return held;
  }

  private async releaseSlots(name: string): Promise<void> {
    for (const slot of await this.slotsOf(name)) await rm(path.join(this.slotsDir, String(slot)), { force: true });
  }
}

export function notFound(name: string): MachineError {
  return new MachineError(`machine "${name}" does not exist (swarmlab ls lists them)`);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
