// Real swarmd processes for end-to-end tests: each node a `node dist/swarmd.mjs` child in its own
// process group (so killing the node kills its tasks' processes too, as killing a machine would),
// with its own state directory, control socket and loopback address. Every process is reaped.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { swarmdCommand } from '../../core/swarmd/launch.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SWARMD = join(ROOT, 'dist', 'swarmd.mjs');
export const DOCKER = '/usr/local/bin/docker';

export interface NodeOptions {
  name: string;
  /** Loopback address of the node's cluster port (default 127.0.0.1). */
  ip?: string;
  args?: string[];
  /** Reuse a state directory (a restarted node). */
  dir?: string;
}

export class SwarmdProcess {
  child: ChildProcess | undefined;
  readonly log: string[] = [];
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly ip: string,
    readonly args: string[],
  ) {}

  get socket(): string {
    return join(this.dir, 'docker.sock');
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socket}`, SWARM_SOCKET: this.socket, DOCKER_CLI_HINTS: 'false' };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const cmd = swarmdCommand(['-d', this.dir, '--hostname', this.name, '--listen-control-api', this.socket, '--listen-remote-api', `${this.ip}:0`, ...this.args], SWARMD);
    const child = spawn(cmd.file, cmd.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer) => {
      for (const line of b.toString().split('\n')) if (line) this.log.push(line);
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(async () => existsSync(this.socket) && (await ping(this.socket)), 20_000, `${this.name}: Docker API up`, () => this.tail());
  }

  /** Sends a signal to the node's whole process group (swarmd and its tasks). */
  signal(sig: NodeJS.Signals): void {
    if (this.child?.pid && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    this.signal('SIGTERM');
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (code === 'timeout') {
      await this.kill();
      return null;
    }
    // Its tasks' processes share its group: make sure none outlives it.
    this.signal('SIGKILL');
    return code;
  }

  tail(n = 60): string {
    return this.log.slice(-n).join('\n');
  }

  docker(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    return run(DOCKER, args, this.env);
  }
}

export function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ stdout: stdout.toString(), stderr: stderr.toString(), code });
    });
  });
}

export function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string, context?: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${context ? `\n--- log ---\n${context()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A set of nodes for one test, removed (processes and directories) by `cleanup`. */
export class Lab {
  readonly nodes: SwarmdProcess[] = [];
  private readonly dirs: string[] = [];

  async node(o: NodeOptions): Promise<SwarmdProcess> {
    const dir = o.dir ?? (await mkdtemp(join(tmpdir(), `swarmlab-${o.name}-`)));
    if (!o.dir) this.dirs.push(dir);
    const n = new SwarmdProcess(o.name, dir, o.ip ?? '127.0.0.1', o.args ?? []);
    this.nodes.push(n);
    await n.start();
    return n;
  }

  /** The same node (state directory, name, flags) started again. */
  async restart(n: SwarmdProcess): Promise<SwarmdProcess> {
    const again = new SwarmdProcess(n.name, n.dir, n.ip, n.args);
    this.nodes.push(again);
    await again.start();
    return again;
  }

  logs(): string {
    return this.nodes.map((n) => `=== ${n.name} (pid ${n.pid})\n${n.tail(40)}`).join('\n');
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((n) => n.kill()));
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}
