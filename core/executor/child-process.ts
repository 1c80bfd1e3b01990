// A command that is not built in runs as a real child process, in its own process group so that
// the whole tree can be ended together. Like a container: the stop signal goes to the leader (PID 1)
// only; a kill, or the leader's exit, ends everything left in the group. Every group still alive is
// killed when the node's process exits, so a stopped node leaves nothing behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { ExecutorError } from '../agent/executor.ts';
import { signalExitCode, SIGKILL_EXIT_CODE, type SignalName } from './signals.ts';
import type { LogStream } from './task-log.ts';
import type { TaskProcess } from './task-process.ts';

export interface ChildOptions {
  argv: readonly string[];
  env: readonly string[];
  cwd: string;
  output: (stream: LogStream, text: string) => void;
}

/** Process groups not yet known to be empty. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false; // ESRCH: nothing left in it
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid);
  });
}

/** How long output may keep coming after the group was killed (a member that left it with setsid). */
const OUTPUT_DRAIN_MS = 2_000;

export class ChildTaskProcess implements TaskProcess {
  readonly pid: number;
  readonly exited: Promise<number>;
  private leaderExited = false;
  private done = false;

  private constructor(private readonly child: ChildProcess) {
    this.pid = child.pid!;
    liveGroups.add(this.pid);
    this.exited = new Promise((resolve) => {
      let code = 0;
      let drain: NodeJS.Timeout | undefined;
      const finish = () => {
        if (this.done) return;
        this.done = true;
        clearTimeout(drain);
        // The group's ID is not reused while any member lives, so signalling it until now was safe.
        killGroup(this.pid);
        liveGroups.delete(this.pid);
        resolve(code);
      };
      child.once('exit', (exitCode, signal) => {
        this.leaderExited = true;
        code = exitCode ?? (signal ? signalExitCode(signal) : 1);
        if (signal === 'SIGKILL') code = SIGKILL_EXIT_CODE;
        // PID 1 is gone: the rest of the container goes with it, as in Docker.
        killGroup(this.pid);
        drain = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, OUTPUT_DRAIN_MS);
        drain.unref();
      });
      child.once('close', finish);
    });
  }

  /** Starts the command; rejects with Docker's wording when it cannot be run. */
  static spawn(opts: ChildOptions): Promise<ChildTaskProcess> {
    installExitHook();
    const [cmd, ...args] = opts.argv;
    if (cmd === undefined) return Promise.reject(new ExecutorError('No command specified'));
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: Object.fromEntries(opts.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = child[stream]!;
      s.setEncoding('utf8');
      s.on('error', () => {}); // a pipe torn down with its process: the exit tells the story
      s.on('data', (text: string) => opts.output(stream, text));
    }
    return new Promise((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => reject(new ExecutorError(execError(cmd, err))));
      child.once('spawn', () => {
        child.removeAllListeners('error');
        child.on('error', () => {}); // a failed kill of a process that just exited
        resolve(new ChildTaskProcess(child));
      });
    });
  }

  signal(signal: SignalName): void {
    if (this.leaderExited) return;
    if (signal === 'SIGKILL') return this.kill();
    this.child.kill(signal);
  }

  kill(): void {
    if (!this.done) killGroup(this.pid);
  }
}

/** The exit code Docker gives a command that could not be started. */
export function execFailureCode(err: ExecutorError): number {
  return /not found|no such file/.test(err.message) ? 127 : 126;
}

function execError(cmd: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') {
    return cmd.includes('/') ? `exec: "${cmd}": stat ${cmd}: no such file or directory` : `exec: "${cmd}": executable file not found in $PATH`;
  }
  if (err.code === 'EACCES') return `exec: "${cmd}": permission denied`;
  return `exec: "${cmd}": ${err.message}`;
}
