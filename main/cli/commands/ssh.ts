// swarmlab ssh NAME [COMMAND...]: a machine's console, as docker-machine ssh. The OpenSSH client
// when there is one (the user's terminal, agent and escapes work as always), else the built-in
// ssh2 client (--native forces it).

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { EXIT_FAILURE } from '../usage.ts';
import { sshArgs } from '../../../vm/local/ssh-command.ts';
import { MachineError } from '../../../vm/errors.ts';
import { openConsole } from '../../../vm/ssh-console.ts';
import type { SshEndpoint } from '../../../vm/driver.ts';
import { UsageError } from '../usage.ts';
import { runningMachine } from './show.ts';

export const ssh: Command = {
  name: 'ssh',
  summary: "Open a machine's console by SSH, or run a command in it",
  args: '[OPTIONS] NAME [COMMAND...]',
  description: 'With no command, an interactive shell; DOCKER_HOST and SWARM_SOCKET point at the machine, and docker and swarmctl are on its PATH.',
  options: { native: { type: 'boolean' } },
  stopAtFirstArg: true,
  optionHelp: ['      --native             use the built-in SSH client even when OpenSSH is installed'],
  async run(ctx, p) {
    const [name, ...command] = p.positionals;
    if (name === undefined) throw new UsageError('"swarmlab ssh" requires a machine NAME', 'ssh');
    const m = await runningMachine(ctx, name);
    const ep = m.driver.ssh();
    const openssh = p.values.native ? undefined : findOnPath('ssh', ctx.env);
    return openssh ? runOpenSsh(ctx, openssh, ep, command) : runNative(ctx, ep, command);
  },
};

function findOnPath(file: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, file);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function runOpenSsh(ctx: CliContext, file: string, ep: SshEndpoint, command: string[]): Promise<number> {
  const terminal = ctx.stdin?.isTTY === true;
  const args = sshArgs(ep, command, { tty: terminal });
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ctx.stdin ? ['inherit', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => ctx.out.write(d.toString()));
    child.stderr?.on('data', (d: Buffer) => ctx.err.write(d.toString()));
    child.once('error', (err) => {
      ctx.err.write(`swarmlab: cannot run ${file}: ${err.message}\n`);
      resolve(EXIT_FAILURE);
    });
    // ssh exits with the remote command's status, or 255 for its own errors.
    child.once('close', (code, signal) => resolve(code ?? (signal ? signalStatus(signal) : EXIT_FAILURE)));
  });
}

async function runNative(ctx: CliContext, ep: SshEndpoint, command: string[]): Promise<number> {
  const stdin = ctx.stdin;
  const terminal = stdin?.isTTY === true;
  const size = () => ({ rows: ctx.terminalSize?.().rows ?? 24, cols: ctx.terminalSize?.().cols ?? 80 });
  const session = await openConsole(ep, {
    // OpenSSH's quoting: the words go to the remote shell as one line.
    command: command.length > 0 ? command.join(' ') : undefined,
    pty: terminal || command.length === 0 ? { term: ctx.env.TERM ?? 'xterm-256color', ...size() } : undefined,
  });
  session.channel.on('data', (d: Buffer) => ctx.out.write(d.toString()));
  session.channel.stderr.on('data', (d: Buffer) => ctx.err.write(d.toString()));
  let restore = () => {};
  if (stdin) {
    if (terminal) stdin.setRawMode?.(true);
    const forward = (d: Buffer) => session.channel.write(d);
    const resize = () => session.channel.setWindow(size().rows, size().cols, 0, 0);
    stdin.on('data', forward);
    stdin.once('end', () => session.channel.end());
    ctx.onResize?.(resize);
    stdin.resume();
    restore = () => {
      stdin.off('data', forward);
      if (terminal) stdin.setRawMode?.(false);
      stdin.pause();
    };
  }
  const { code, signal } = await session.exited;
  restore();
  if (code === null && signal === undefined) throw new MachineError(`the SSH session to machine at ${ep.host}:${ep.port} ended without an exit status`);
  return code ?? signalStatus(signal!);
}

/** A shell's status for a process ended by a signal: 128 + its number. */
function signalStatus(signal: string): number {
  return 128 + (osConstants.signals[signal.replace(/^(SIG)?/, 'SIG') as NodeJS.Signals] ?? 0);
}
