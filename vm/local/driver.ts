// The local driver: a machine is a process on this host running swarmd and the machine's SSH
// server (dist/machine.mjs), detached in its own process group,
// with its state directory, API socket, log and pid file in the machine's directory. Its tasks'
// real processes live in process groups of their own (core/executor/child-process.ts), so killing
// or freezing a machine reaches them group by group (machine-process.ts). With --isolation netns the
// process runs in a network namespace of its own, on the lab's bridge (netns-machine.ts).

import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { swarmdCommand } from '../../core/swarmd/launch.ts';
import type { MachineConfig } from '../config.ts';
import type { Driver, MachineState, Progress, SshEndpoint, StartResult } from '../driver.ts';
import { ping } from '../engine-api.ts';
import { MachineError } from '../errors.ts';
import { assertNetnsSupported } from '../netns/support.ts';
import type { ActiveFaults, MachineFaults } from '../faults.ts';
import type { MachinePaths } from '../store.ts';
import { faultsPaths } from './faults-file.ts';
import { fileSize, tail } from './log-file.ts';
import { findBundle } from './bundles.ts';
import { machineArgs } from './ssh-flags.ts';
import { ensureKeyPair } from './ssh-keys.ts';
import { killTree, machineProcess, taskGroups, waitGone } from './machine-process.ts';
import { NetnsFaults } from './netns-faults.ts';
import { inNamespace, killNamespace, machineNet, prepareNetns, teardownNetns } from './netns-machine.ts';
import { processesWithEnv, processInfo, signalGroup, type ProcessInfo } from './processes.ts';
import { TransportFaults } from './transport-faults.ts';

export interface LocalDriverOptions {
  /** The machine's process, given its arguments (dist/machine.mjs by default; tests replace it). */
  command?: (args: string[]) => { file: string; args: string[] };
  /** More swarmd flags (e.g. --profile swarm, --log-level debug). */
  extraArgs?: string[];
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

const POLL_MS = 50;

export class LocalDriver implements Driver {
  readonly driverName = 'local';

  constructor(
    readonly config: MachineConfig,
    readonly paths: MachinePaths,
    private readonly opts: LocalDriverOptions = {},
  ) {}

  /** swarmd's command line: swarm mode off until `docker swarm init/join` through the API, as a fresh Docker host. */
  swarmdArgs(): string[] {
    const c = this.config;
    return [
      '--inactive',
      '-d', this.paths.state,
      '--hostname', c.name,
      '--listen-control-api', this.paths.socket,
      '--listen-remote-api', `${c.ip}:${c.swarmPort}`,
      ...(this.opts.extraArgs ?? []),
    ];
  }

  /**
   * The machine process's command line: swarmd's flags, and its SSH server's. The lab's public key
   * file is the machine's authorized_keys, so every machine of a lab takes the lab's one key.
   */
  machineArgs(): string[] {
    const c = this.config;
    return [
      ...this.swarmdArgs(),
      ...machineArgs({
        sshListen: { host: c.ip, port: c.sshPort },
        sshDir: this.paths.ssh,
        sshAuthorizedKeys: `${this.paths.labKey}.pub`,
        sshHome: this.paths.dir,
        machineName: c.name,
        faults: faultsPaths(this.paths.dir).file,
      }),
    ];
  }

  async create(progress?: Progress): Promise<void> {
    this.checkIsolation();
    await mkdir(this.paths.state, { recursive: true });
    await this.start(progress);
  }

  async start(progress?: Progress): Promise<StartResult> {
    const state = await this.status();
    if (state === 'Running') return 'already-running';
    if (state === 'Paused') {
      await this.resume();
      return 'resumed';
    }
    this.checkIsolation();
    await mkdir(this.paths.state, { recursive: true });
    await this.forgetProcess();
    await ensureKeyPair(this.paths.labKey);
    let namespace: string | undefined;
    if (this.config.isolation === 'netns') {
      namespace = (await prepareNetns(this.config)).namespace;
      // A new namespace has a clean network: the faults not healed yet come back first.
      await this.netnsFaults().reapply();
    }
    const logFrom = await fileSize(this.paths.log);
    const out = openSync(this.paths.log, 'a');
    let child;
    try {
      writeSync(out, `--- swarmlab ${new Date().toISOString()}: starting machine ${this.config.name}\n`);
      progress?.(`(${this.config.name}) Starting swarmd on ${this.config.ip}:${this.config.swarmPort}...`);
      const machine = this.opts.command ? this.opts.command(this.machineArgs()) : swarmdCommand(this.machineArgs(), findBundle('machine'));
      const cmd = namespace ? inNamespace(namespace, machine) : machine;
      child = spawn(cmd.file, cmd.args, { detached: true, stdio: ['ignore', out, out], cwd: this.paths.dir });
    } finally {
      closeSync(out);
    }
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = signal ? `was killed by ${signal}` : `exited with code ${code}`));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new MachineError(`machine "${this.config.name}": cannot run ${child.spawnfile}: ${err.message}`)));
    });
    child.unref();
    await writeFile(this.paths.pid, `${child.pid}\n`);

    progress?.(`(${this.config.name}) Waiting for the Docker API at ${this.url()}...`);
    const timeout = this.opts.startTimeoutMs ?? 20_000;
    const deadline = Date.now() + timeout;
    while (!(await ping(this.paths.socket, 1_000))) {
      if (exit !== undefined || Date.now() > deadline) {
        const why = exit !== undefined ? `swarmd ${exit}` : `its Docker API did not answer within ${timeout / 1000} s`;
        if (exit === undefined) await this.kill();
        const lines = await tail(this.paths.log, logFrom);
        throw new MachineError(`machine "${this.config.name}" did not start: ${why}; the end of ${this.paths.log}:\n${lines}`);
      }
      await sleep(POLL_MS);
    }
    return 'started';
  }

  async stop(progress?: Progress): Promise<void> {
    const p = await this.process();
    if (!p) return this.forgetProcess();
    if (isStopped(p)) await this.resume();
    progress?.(`(${this.config.name}) Stopping swarmd (pid ${p.pid})...`);
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      /* it ended meanwhile */
    }
    if (!(await waitGone(p.pid, this.opts.stopTimeoutMs ?? 10_000))) {
      progress?.(`(${this.config.name}) swarmd did not stop in time: killing it`);
      await this.kill();
      return;
    }
    // swarmd ends its tasks when it stops; one that left its group is found by its environment.
    await this.killLeftoverTasks();
    await this.killNamespaceLeftovers();
    await this.forgetProcess();
  }

  async kill(): Promise<void> {
    const p = await this.process();
    if (p && !(await killTree(p))) throw new MachineError(`machine "${this.config.name}": swarmd (pid ${p.pid}) survived SIGKILL`);
    await this.killLeftoverTasks();
    await this.killNamespaceLeftovers();
    await this.forgetProcess();
  }

  async pause(): Promise<void> {
    const p = await this.running('pause');
    signalGroup(p.pgid, 'SIGSTOP');
    for (const g of await taskGroups(p)) signalGroup(g, 'SIGSTOP');
    await this.waitState(p.pid, true);
  }

  async resume(): Promise<void> {
    const p = await this.running('resume');
    for (const g of await taskGroups(p)) signalGroup(g, 'SIGCONT');
    signalGroup(p.pgid, 'SIGCONT');
    await this.waitState(p.pid, false);
  }

  async remove(): Promise<void> {
    await this.kill();
    if (this.config.isolation === 'netns') await teardownNetns(this.config);
  }

  async status(): Promise<MachineState> {
    const p = await this.process();
    if (!p) return 'Stopped';
    return isStopped(p) ? 'Paused' : 'Running';
  }

  address(): string {
    return this.config.ip;
  }

  url(): string {
    return `unix://${this.paths.socket}`;
  }

  ssh(): SshEndpoint {
    return { host: this.config.ip, port: this.config.sshPort, user: 'docker', keyPath: this.paths.labKey };
  }

  partition(from: readonly string[] | 'all'): Promise<void> {
    return this.networkFaults().partition(from);
  }

  heal(): Promise<void> {
    return this.networkFaults().heal();
  }

  delay(ms: number, lossPercent?: number): Promise<void> {
    return this.networkFaults().delay(ms, lossPercent);
  }

  faults(): Promise<ActiveFaults | undefined> {
    return this.networkFaults().active();
  }

  /** How the machine's network faults are made depends on how it is isolated. */
  private networkFaults(): MachineFaults {
    switch (this.config.isolation) {
      case 'process':
        return this.transportFaults();
      case 'netns':
        return this.netnsFaults();
    }
  }

  private transportFaults(): TransportFaults {
    return new TransportFaults({ name: this.config.name, machineDir: this.paths.dir, log: this.paths.log, status: () => this.status() });
  }

  /** The kernel's faults in the machine's namespace; a delay the kernel cannot make (no netem) goes to its transport. */
  private netnsFaults(): NetnsFaults {
    const { namespace, hostIp } = machineNet(this.config);
    return new NetnsFaults({ name: this.config.name, namespace, hostIp, file: path.join(this.paths.dir, 'netns-faults.json'), fallback: this.transportFaults() });
  }

  /** The machine's swarmd, if it runs. */
  process(): Promise<ProcessInfo | undefined> {
    return machineProcess(this.paths);
  }

  private checkIsolation(): void {
    if (this.config.isolation === 'netns') {
      assertNetnsSupported();
      machineNet(this.config);
    }
  }

  /** A netns machine's namespace holds nothing once the machine has ended (a task that escaped its groups). */
  private async killNamespaceLeftovers(): Promise<void> {
    if (this.config.isolation === 'netns' && this.config.netns) await killNamespace(this.config.netns.namespace);
  }

  private async running(what: string): Promise<ProcessInfo> {
    const p = await this.process();
    if (!p) throw new MachineError(`cannot ${what} machine "${this.config.name}": it is not running`);
    return p;
  }

  private async killLeftoverTasks(): Promise<void> {
    const nodeId = await this.nodeId();
    if (!nodeId) return;
    const pids = await processesWithEnv('SWARMLAB_NODE_ID', nodeId);
    for (const pid of pids) {
      const p = await processInfo(pid);
      if (p) signalGroup(p.pgid, 'SIGKILL');
    }
  }

  private async nodeId(): Promise<string | undefined> {
    try {
      const id = (JSON.parse(await readFile(path.join(this.paths.state, 'node.json'), 'utf8')) as { nodeId?: unknown }).nodeId;
      return typeof id === 'string' && id ? id : undefined;
    } catch {
      return undefined;
    }
  }

  private async forgetProcess(): Promise<void> {
    await rm(this.paths.pid, { force: true });
    await rm(this.paths.socket, { force: true });
  }

  private async waitState(pid: number, stopped: boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (Date.now() <= deadline) {
      const p = await processInfo(pid);
      if (!p || isStopped(p) === stopped) return;
      await sleep(POLL_MS);
    }
    throw new MachineError(`machine "${this.config.name}": swarmd (pid ${pid}) did not ${stopped ? 'freeze' : 'resume'} within 5 s`);
  }
}

function isStopped(p: ProcessInfo): boolean {
  return p.state === 'T' || p.state === 't';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
