// swarmctl's command line: finds the command, runs it against the socket, and turns failures into
// SwarmKit's "Error: ..." with an exit status — 2 for a command line that is wrong, 1 for anything
// the daemon or the cluster refused.

import { type FlagSpec, UsageError } from './args.ts';
import { HttpClient } from './client.ts';
import { type Command, commandPath, type Context, helpText, resolve } from './command.ts';
import { clusterCommand } from './commands/cluster.ts';
import { nodeCommand } from './commands/node.ts';
import { serviceCommand } from './commands/service.ts';
import { taskCommand } from './commands/task.ts';
import { SwarmApi } from './swarm-api.ts';

export const SOCKET_HINT = 'SWARM_SOCKET=/path/to/state/swarmd.sock';

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'socket', short: 's', type: 'string', usage: 'Socket to connect to the Swarm manager (default: $SWARM_SOCKET)' },
  { name: 'no-resolve', short: 'n', type: 'bool', usage: 'Do not try to map IDs to Names when displaying them' },
];

export const ROOT: Command = {
  name: 'swarmctl',
  short: 'Control a swarm cluster',
  subcommands: [nodeCommand, serviceCommand, taskCommand, clusterCommand],
};

const ROOT_FOOTER = `\nswarmctl talks to swarmd's control socket (the Docker Engine API): set ${SOCKET_HINT}\nor pass -s/--socket.\n`;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
  signal?: AbortSignal;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let path: Command[] = [ROOT];
  try {
    const resolved = resolve(ROOT, argv, GLOBAL_FLAGS);
    path = resolved.path;
    const cmd = path[path.length - 1]!;
    if (resolved.flags.bool('help') || !cmd.run) {
      io.stdout(helpText(path, GLOBAL_FLAGS, path.length === 1 ? ROOT_FOOTER : ''));
      return 0;
    }
    const socket = resolved.flags.string('socket') || io.env.SWARM_SOCKET;
    let api: SwarmApi | undefined;
    const ctx: Context = {
      api: () => {
        if (!socket) throw new Error(`no swarmd socket to talk to: set ${SOCKET_HINT} (the control socket in swarmd's state directory) or pass -s/--socket`);
        api ??= new SwarmApi(new HttpClient(socket));
        return api;
      },
      out: io.stdout,
      err: io.stderr,
      now: io.now ?? (() => new Date()),
      resolveNames: !resolved.flags.bool('no-resolve'),
      signal: io.signal ?? new AbortController().signal,
    };
    await cmd.run(ctx, resolved.args, resolved.flags);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`Error: ${message}\n`);
    if (err instanceof UsageError) {
      io.stderr(`Run '${err.command ?? commandPath(path)} --help' for usage.\n`);
      return 2;
    }
    return 1;
  }
}
