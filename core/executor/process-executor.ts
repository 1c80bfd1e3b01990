// The embedded default executor: a node runs its tasks itself. Images come from the lab's catalog;
// a command the image has built in (whoami, sleep, ping...) runs inside the node's process as a
// virtual process, so hundreds of tasks stay cheap; any other command runs as a real child
// process. Either way the task gets Docker's environment, its output kept for `docker service
// logs`, its exit code, and `docker stop`'s semantics: the stop signal, then a kill after the grace.

import { randomBytes } from 'node:crypto';
import type { Server } from 'node:net';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TaskObject } from '../api/objects.ts';
import { ExecutorError, type ContainerInfo, type ExecState, type Executor, type ExitInfo } from '../agent/executor.ts';
import { systemClock, type Clock, type Timer } from '../clock.ts';
import type { CatalogImage, ImageCatalog } from './catalog.ts';
import { ChildTaskProcess, execFailureCode } from './child-process.ts';
import { builtinFor } from './command.ts';
import { containerConfig, type ContainerConfig, type NodeInfo } from './container-config.ts';
import { envRecord } from './environment.ts';
import { loopbackListen, type ListenPolicy } from './listen.ts';
import type { BuiltinProgram, ListenedAddress, TaskNetwork } from './program.ts';
import { BUILTIN_PROGRAMS } from './programs/index.ts';
import { TaskLog, type LogEntry, type LogReadOptions } from './task-log.ts';
import type { TaskProcess } from './task-process.ts';
import { VirtualProcess } from './virtual-process.ts';

export interface ProcessExecutorOptions {
  catalog: ImageCatalog;
  node: NodeInfo;
  clock?: Clock;
  /** Where task servers listen (default: 127.0.0.1, on the task's PORT or an ephemeral port). */
  listen?: ListenPolicy;
  /** Output kept per task (default 1 MiB). */
  logBytes?: number;
  /** Parent of the scratch directories real processes run in (default: the OS's temp dir). */
  scratchRoot?: string;
  /** 64 hex digits, as Docker's container IDs. */
  newContainerId?: () => string;
  programs?: ReadonlyMap<string, BuiltinProgram>;
  /** The swarm networks a task sees (default: none). */
  network?: (task: TaskObject) => TaskNetwork;
  /** Files mounted into a task by absolute path: its secrets and configs (default: none). */
  files?: (task: TaskObject) => ReadonlyMap<string, Buffer>;
  /** Called before a running task is sent its stop signal: the data plane drains it. */
  beforeStop?: (taskId: string) => Promise<void>;
  /** Called when a task is removed from the node. */
  onRemove?: (taskId: string) => void;
}

/** How many finished tasks' logs a node keeps (SwarmKit keeps 5 tasks of history per slot). */
const RETIRED_LOGS = 200;

export interface TaskEndpoint extends ListenedAddress {
  containerPort: number;
}

type Phase = 'prepared' | 'starting' | 'running' | 'exited';

interface Entry {
  task: TaskObject;
  image: CatalogImage;
  config: ContainerConfig;
  phase: Phase;
  log: TaskLog;
  starting?: Promise<ContainerInfo>;
  process?: TaskProcess;
  exit?: ExitInfo;
  exited: Promise<ExitInfo>;
  resolveExit: (e: ExitInfo) => void;
  killTimer?: Timer;
  scratch?: string;
  endpoints: TaskEndpoint[];
  /** A built-in program's servers by container port: the data plane hands them connections directly. */
  servers: Map<number, Server>;
}

export class ProcessExecutor implements Executor {
  private readonly entries = new Map<string, Entry>();
  /**
   * Output of tasks the node no longer runs, newest last: Docker keeps a finished container's logs
   * until the task history is pruned, so `docker service logs` still shows a one-shot task's output.
   */
  private readonly retired = new Map<string, TaskLog>();
  private readonly clock: Clock;
  private readonly listen: ListenPolicy;
  private readonly programs: ReadonlyMap<string, BuiltinProgram>;

  constructor(private readonly opts: ProcessExecutorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.listen = opts.listen ?? loopbackListen();
    this.programs = opts.programs ?? BUILTIN_PROGRAMS;
    const missing = [...opts.catalog.programNames()].filter((p) => !this.programs.has(p));
    if (missing.length > 0) throw new Error(`the image catalog names programs that are not built in: ${missing.join(', ')}`);
  }

  // ---- Executor ------------------------------------------------------------------------------------

  async prepare(task: TaskObject): Promise<void> {
    if (this.entries.has(task.ID)) return;
    const reference = task.Spec.ContainerSpec.Image;
    const image = this.opts.catalog.resolve(reference);
    if (!image) throw new ExecutorError(`No such image: ${reference} (the lab catalog has: ${this.opts.catalog.summary()})`);
    const containerId = this.opts.newContainerId?.() ?? randomBytes(32).toString('hex');
    const config = containerConfig(task, image, this.opts.node, containerId);
    let resolveExit!: (e: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
    this.entries.set(task.ID, {
      task,
      image,
      config,
      phase: 'prepared',
      log: new TaskLog({ clock: this.clock, ...(this.opts.logBytes !== undefined ? { maxBytes: this.opts.logBytes } : {}) }),
      exited,
      resolveExit,
      endpoints: [],
      servers: new Map(),
    });
  }

  async start(task: TaskObject): Promise<ContainerInfo> {
    if (!this.entries.has(task.ID)) await this.prepare(task);
    const e = this.entries.get(task.ID);
    if (!e) throw new ExecutorError('task was removed');
    switch (e.phase) {
      case 'starting':
        return e.starting!;
      case 'running':
        return this.info(e);
      case 'exited':
        throw new ExecutorError('the task has already run');
    }
    e.phase = 'starting';
    e.starting = this.launch(e);
    return e.starting;
  }

  wait(task: TaskObject): Promise<ExitInfo> {
    const e = this.entries.get(task.ID);
    return e ? e.exited : Promise.reject(new ExecutorError(`No such task: ${task.ID}`));
  }

  async stop(task: TaskObject, graceMs: number): Promise<void> {
    const e = this.entries.get(task.ID);
    if (!e) return;
    if (e.phase === 'starting') await e.starting!.catch(() => undefined);
    if (e.phase !== 'running') return;
    if (this.opts.beforeStop) await this.opts.beforeStop(task.ID).catch(() => undefined);
    if (e.phase !== 'running') return;
    const p = e.process!;
    p.signal(e.config.stopSignal);
    e.killTimer ??= this.clock.setTimeout(() => p.kill(), Math.max(0, graceMs));
    await e.exited;
  }

  async remove(task: TaskObject): Promise<void> {
    const e = this.entries.get(task.ID);
    if (!e) return;
    this.entries.delete(task.ID);
    this.retire(task.ID, e.log);
    await this.discard(e);
    this.opts.onRemove?.(task.ID);
  }

  async inspect(task: TaskObject): Promise<ExecState> {
    const e = this.entries.get(task.ID);
    if (!e) return { state: 'absent' };
    switch (e.phase) {
      case 'prepared':
        return { state: 'prepared' };
      case 'exited':
        return { state: 'exited', exitCode: e.exit!.exitCode };
      default:
        return { state: 'running', ...this.info(e) };
    }
  }

  // ---- beyond the Executor interface ----------------------------------------------------------------

  /** The task's output, for `docker service logs`; throws for a task this node does not have. */
  logs(taskId: string, options: LogReadOptions = {}): AsyncIterable<LogEntry> {
    const log = this.entries.get(taskId)?.log ?? this.retired.get(taskId);
    if (!log) throw new ExecutorError(`No such task: ${taskId}`);
    return log.read(options);
  }

  /** Where the task's servers listen now (empty once it has exited). */
  endpoints(taskId: string): TaskEndpoint[] {
    return [...(this.entries.get(taskId)?.endpoints ?? [])];
  }

  /** A built-in program's server for its container port, while it listens (none for real processes). */
  server(taskId: string, containerPort: number): Server | undefined {
    const e = this.entries.get(taskId);
    return e?.phase === 'running' ? e.servers.get(containerPort) : undefined;
  }

  /** The environment the task runs (or would run) with, as NAME=value entries. */
  environment(taskId: string): string[] | undefined {
    return this.entries.get(taskId)?.config.env.slice();
  }

  /** PIDs of the real child processes still running (built-in programs have none). */
  childPids(): number[] {
    return [...this.entries.values()].flatMap((e) => (e.phase === 'running' && e.process?.pid !== undefined ? [e.process.pid] : []));
  }

  /** The node is going away: kills every task and frees what they held. */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.discard(e)));
  }

  // ---- internals -----------------------------------------------------------------------------------

  private retire(taskId: string, log: TaskLog): void {
    this.retired.set(taskId, log);
    while (this.retired.size > RETIRED_LOGS) this.retired.delete(this.retired.keys().next().value!);
  }

  private async launch(e: Entry): Promise<ContainerInfo> {
    const output = (stream: 'stdout' | 'stderr', text: string) => e.log.write(stream, text);
    const builtin = builtinFor(e.config.argv, e.image, this.programs);
    let proc: TaskProcess;
    if (builtin) {
      const env = envRecord(e.config.env);
      const vp = new VirtualProcess({
        program: builtin.program,
        argv: e.config.argv,
        env,
        options: e.image.options,
        identity: e.config.identity,
        clock: this.clock,
        output,
        bindAddress: (containerPort) => this.listen({ identity: e.config.identity, env, containerPort }),
        onListening: (containerPort, address, server) => {
          e.endpoints.push({ containerPort, ...address });
          e.servers.set(containerPort, server);
        },
        ...(this.opts.network ? { net: this.opts.network(e.task) } : {}),
        files: this.opts.files?.(e.task) ?? new Map(),
      });
      proc = vp;
      this.running(e, proc);
      vp.start();
    } else {
      try {
        e.scratch = await mkdtemp(join(this.opts.scratchRoot ?? tmpdir(), 'swarmlab-task-'));
        // A real process has no mount namespace: its secrets and configs are under its directory
        // (run/secrets/NAME, or the config's target path), which is its working directory.
        await writeMountedFiles(e.scratch, this.opts.files?.(e.task));
        proc = await ChildTaskProcess.spawn({ argv: e.config.argv, env: e.config.env, cwd: e.scratch, output });
      } catch (err) {
        const error = err instanceof ExecutorError ? err : new ExecutorError(`starting container failed: ${(err as Error).message}`);
        this.finish(e, { exitCode: execFailureCode(error), error: error.message });
        throw error;
      }
      this.running(e, proc);
    }
    return this.info(e);
  }

  private running(e: Entry, proc: TaskProcess): void {
    e.process = proc;
    e.phase = 'running';
    void proc.exited.then((exitCode) => this.finish(e, { exitCode }));
  }

  private finish(e: Entry, exit: ExitInfo): void {
    if (e.phase === 'exited') return;
    e.phase = 'exited';
    e.exit = exit;
    e.killTimer?.cancel();
    e.endpoints.length = 0;
    e.servers.clear();
    e.log.end();
    e.resolveExit(exit);
  }

  private async discard(e: Entry): Promise<void> {
    if (e.phase === 'starting') await e.starting!.catch(() => undefined);
    if (e.phase === 'running') {
      e.process!.kill();
      await e.exited;
    }
    e.log.end();
    if (e.scratch) await rm(e.scratch, { recursive: true, force: true });
  }

  private info(e: Entry): ContainerInfo {
    return { containerId: e.config.identity.containerId, ...(e.process?.pid !== undefined ? { pid: e.process.pid } : {}) };
  }
}

async function writeMountedFiles(root: string, files: ReadonlyMap<string, Buffer> | undefined): Promise<void> {
  for (const [path, data] of files ?? []) {
    const at = join(root, path.replace(/^\/+/, ''));
    await mkdir(dirname(at), { recursive: true });
    await writeFile(at, data, { mode: 0o400 });
    await chmod(at, 0o400);
  }
}
