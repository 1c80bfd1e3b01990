// The swarmlab command line: `swarmlab COMMAND [OPTIONS] [NAME...]`, docker-machine's commands for
// lab machines. runCli returns the exit code: 0, 1 for a failure, 2 for a usage error.

import { Machines } from '../../vm/machines.ts';
import { defaultHome, MachineStore } from '../../vm/store.ts';
import { commandHelp, type Command } from './command.ts';
import { app } from './commands/app.ts';
import { create } from './commands/create.ts';
import { down } from './commands/down.ts';
import { env } from './commands/env.ts';
import { fault } from './commands/fault.ts';
import { kill, restart, rm, start, stop } from './commands/lifecycle.ts';
import { ls } from './commands/ls.ts';
import { inspect, ip, url } from './commands/show.ts';
import { ssh } from './commands/ssh.ts';
import { stack } from './commands/stack.ts';
import { up } from './commands/up.ts';
import type { CliContext } from './io.ts';
import { reportError } from './report.ts';
import { EXIT_FAILURE, EXIT_USAGE, parseCommand, UsageError } from './usage.ts';

export const COMMANDS: readonly Command[] = [app, up, down, create, ls, start, stop, kill, restart, rm, ip, url, env, ssh, inspect, fault, stack];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 3;
  return [
    'Usage:  swarmlab COMMAND [OPTIONS] [ARG...]',
    '',
    'Lab machines for Docker-Swarm-style clusters, the docker-machine way: each machine is a',
    'swarm node on this computer with its own address and Docker API.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  -h, --help     print this help',
    '',
    'Environment:',
    '  SWARMLAB_HOME  where machines are kept (default ~/.swarmlab)',
    '',
    "Run 'swarmlab COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

export function defaultContext(): CliContext {
  return {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    machines: new Machines(new MachineStore({ home: defaultHome(process.env) })),
    platform: process.platform,
    stdin: process.stdin,
    terminalSize: () => ({ rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80 }),
    onResize: (fn) => process.stdout.on('resize', fn),
  };
}

export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      ctx.err.write(mainHelp());
      return EXIT_USAGE;
    }
    if (name === '-h' || name === '--help' || (name === 'help' && rest.length === 0)) {
      ctx.out.write(mainHelp());
      return 0;
    }
    if (name === 'help') return await runCli([rest[0]!, '--help'], ctx);
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(name.startsWith('-') ? `unknown flag: ${name}` : `unknown command "${name}"`);
    const parsed = parseCommand(command.name, rest, command.options, command.stopAtFirstArg);
    if (parsed.values.help) {
      ctx.out.write(commandHelp(command));
      return 0;
    }
    return await command.run(ctx, parsed, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.err.write(`swarmlab: ${err.message}\n${err.hint}\n`);
      return EXIT_USAGE;
    }
    reportError(ctx, err);
    return EXIT_FAILURE;
  }
}
