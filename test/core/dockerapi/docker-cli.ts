// The real docker CLI against a test server: spawned with execFile, with its own empty config
// directory (no contexts, plugins or credentials of the machine's user), a deadline, and every
// child tracked so a test can make sure none outlives it.

import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DOCKER = '/usr/local/bin/docker';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class DockerCli {
  private readonly config = mkdtempSync(path.join(os.tmpdir(), 'swarmlab-docker-config-'));
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly host: string) {}

  run(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = execFile(
        DOCKER,
        args,
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.config, DOCKER_HOST: this.host, DOCKER_CONFIG: this.config, DOCKER_CLI_HINTS: 'false' },
          timeout: opts.timeoutMs ?? 60_000,
          killSignal: 'SIGKILL',
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          this.children.delete(child);
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err?.killed ? `\n[killed: docker ${args.join(' ')} ran out of time]` : '') });
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

  /** Kills whatever still runs (a test that failed mid-command) and removes the config directory. */
  close(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    rmSync(this.config, { recursive: true, force: true });
  }
}
