// The command tree (swarmctl → node → ls ...), how a command line finds its command, and the help
// text, laid out as cobra lays it out for SwarmKit's swarmctl.

import { type FlagSpec, type Flags, parseArgs, takesValue, UsageError } from './args.ts';
import type { SwarmApi } from './swarm-api.ts';

/** What a command gets to work with; everything outside the process comes through it. */
export interface Context {
  /** The daemon's API; throws when no socket was given. */
  api(): SwarmApi;
  out(text: string): void;
  err(text: string): void;
  now(): Date;
  /** False with -n/--no-resolve: show IDs where names would be. */
  resolveNames: boolean;
  signal: AbortSignal;
}

export interface Command {
  name: string;
  aliases?: string[];
  /** The usage line after the command path, e.g. "<service ID>". */
  args?: string;
  short: string;
  flags?: FlagSpec[];
  subcommands?: Command[];
  run?: (ctx: Context, args: string[], flags: Flags) => Promise<void>;
}

export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'bool', usage: 'help for %s' };

export interface Resolved {
  /** Root first. */
  path: Command[];
  args: string[];
  flags: Flags;
}

const matches = (c: Command, word: string) => c.name === word || !!c.aliases?.includes(word);

/** Finds the command a command line names, then parses its flags (the global ones included). */
export function resolve(root: Command, argv: readonly string[], globals: readonly FlagSpec[]): Resolved {
  const path = [root];
  const rest: string[] = [];
  // A command's own arguments end the command path: `service rm ls` removes a service named ls.
  let positional = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const cmd = path[path.length - 1]!;
    if (a.startsWith('-') && a.length > 1) {
      rest.push(a);
      if (takesValue(a, [...globals, ...(cmd.flags ?? [])]) && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const sub = positional ? undefined : cmd.subcommands?.find((c) => matches(c, a));
    if (sub) {
      path.push(sub);
      continue;
    }
    if (!positional && cmd.subcommands && !cmd.run && !argv.includes('-h') && !argv.includes('--help')) {
      const err = new UsageError(`unknown command ${JSON.stringify(a)} for ${JSON.stringify(commandPath(path))}${suggest(cmd, a)}`);
      err.command = commandPath(path);
      throw err;
    }
    positional = true;
    rest.push(a);
  }
  rest.push(...argv.slice(i));
  const leaf = path[path.length - 1]!;
  try {
    const parsed = parseArgs(rest, [...(leaf.flags ?? []), ...globals, HELP_FLAG]);
    return { path, args: parsed.positionals, flags: parsed.flags };
  } catch (err) {
    if (err instanceof UsageError) err.command ??= commandPath(path);
    throw err;
  }
}

function suggest(cmd: Command, word: string): string {
  const near = (cmd.subcommands ?? []).filter((c) => c.name.startsWith(word.slice(0, 2)) || distance(c.name, word) <= 2);
  return near.length ? `\n\nDid you mean this?\n${near.map((c) => `\t${c.name}`).join('\n')}` : '';
}

/** Levenshtein distance, for cobra's "Did you mean this?". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

export const commandPath = (path: readonly Command[]) => path.map((c) => c.name).join(' ');

function flagLines(specs: readonly FlagSpec[], cmdName: string): string {
  const rows = [...specs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const varname = s.type === 'string' ? ' string' : s.type === 'list' ? ' strings' : s.type === 'uint' ? ' uint' : '';
      const left = `${s.short ? `  -${s.short}, ` : '      '}--${s.name}${varname}`;
      const def = s.default === undefined ? '' : s.type === 'string' ? ` (default ${JSON.stringify(s.default)})` : ` (default ${s.default})`;
      return [left, s.usage.replace('%s', cmdName) + def] as const;
    });
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, u]) => `${l.padEnd(width)}   ${u}\n`).join('');
}

/** cobra's help: description, usage, aliases, subcommands, flags, global flags. */
export function helpText(path: readonly Command[], globals: readonly FlagSpec[], footer = ''): string {
  const cmd = path[path.length - 1]!;
  const full = commandPath(path);
  const isRoot = path.length === 1;
  let s = `${cmd.short}\n\nUsage:\n`;
  if (cmd.run) s += `  ${full}${cmd.args ? ` ${cmd.args}` : ''} [flags]\n`;
  if (cmd.subcommands) s += `  ${full} [command]\n`;
  if (cmd.aliases?.length) s += `\nAliases:\n  ${[cmd.name, ...cmd.aliases].join(', ')}\n`;
  if (cmd.subcommands) {
    const width = Math.max(11, ...cmd.subcommands.map((c) => c.name.length));
    s += `\nAvailable Commands:\n${cmd.subcommands.map((c) => `  ${c.name.padEnd(width)} ${c.short}\n`).join('')}`;
  }
  const own = [...(cmd.flags ?? []), HELP_FLAG, ...(isRoot ? globals : [])];
  s += `\nFlags:\n${flagLines(own, cmd.name)}`;
  if (!isRoot) s += `\nGlobal Flags:\n${flagLines(globals, cmd.name)}`;
  if (cmd.subcommands) s += `\nUse "${full} [command] --help" for more information about a command.\n`;
  return s + footer;
}
