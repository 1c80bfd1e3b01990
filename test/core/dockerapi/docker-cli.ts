// The real docker CLI against a test server: spawned with its own empty config directory (no
// contexts, plugins or credentials of the machine's user), a deadline, and every child tracked so
// that none outlives the test.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DOCKER = '/usr/local/bin/docker';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command left running (`docker service logs -f`): its output so far, and a way to end it. */
export interface RunningCli {
  output(): string;
  stop(): Promise<void>;
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve()));

export class DockerCli {
  private readonly config = mkdtempSync(path.join(os.tmpdir(), 'swarmlab-docker-config-'));
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly host: string) {}

  private get env() {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.config, DOCKER_HOST: this.host, DOCKER_CONFIG: this.config, DOCKER_CLI_HINTS: 'false' };
  }

  run(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = execFile(
        DOCKER,
        args,
        { env: this.env, timeout: opts.timeoutMs ?? 45_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          this.children.delete(child);
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          const killed = err?.killed ? `\n[killed: docker ${args.join(' ')} ran out of time]` : '';
          resolve({ code, stdout: String(stdout), stderr: String(stderr) + killed });
        },
      );
      this.children.add(child);
    });
  }

  /** Runs and expects success: the output, or an error with everything the CLI said. */
  async ok(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  /** Starts a command that does not end by itself. */
  start(args: string[]): RunningCli {
    const child = spawn(DOCKER, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => this.children.delete(child));
    return {
      output: () => out,
      stop: async () => {
        child.kill('SIGKILL');
        await exited(child);
      },
    };
  }

  /** Kills whatever still runs (a test that failed mid-command), waits for it, removes the config. */
  async close(): Promise<void> {
    const left = [...this.children];
    for (const c of left) c.kill('SIGKILL');
    await Promise.all(left.map(exited));
    this.children.clear();
    rmSync(this.config, { recursive: true, force: true });
  }
}
