// Usage errors (bad flags, missing names) exit 2 and point at the command's help; every other
// failure exits 1.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }

  get hint(): string {
    return `See 'swarmlab ${this.command ? `${this.command} ` : ''}--help'.`;
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Flags and arguments in the POSIX style (flags may follow the names, as in docker-machine). */
export function parseCommand(command: string, argv: string[], options: Options, stopAtFirstArg = false): Parsed {
  if (stopAtFirstArg) {
    const first = argv.findIndex((a) => !a.startsWith('-'));
    if (first >= 0) {
      const head = parseCommand(command, argv.slice(0, first + 1), options);
      return { values: head.values, positionals: [...head.positionals, ...argv.slice(first + 1)] };
    }
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    // node's messages end with advice for programs ("To specify a positional argument..."): keep the first sentence.
    const first = (err as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(first, command);
  }
}

export function expectArgs(command: string, positionals: string[], min: number, max: number, what = 'NAME'): void {
  if (positionals.length < min) throw new UsageError(`"swarmlab ${command}" requires ${min === 1 && max === 1 ? 'exactly one' : 'at least one'} ${what}`, command);
  if (positionals.length > max) throw new UsageError(`"swarmlab ${command}" takes ${max === 0 ? 'no arguments' : max === 1 ? `one ${what}` : `at most ${max} arguments`}, got ${positionals.length}`, command);
}
