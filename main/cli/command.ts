// The shape of a swarmlab command, and its help text (Docker's CLI layout).

import type { CliContext } from './io.ts';
import type { Options, Parsed } from './usage.ts';

export interface Command {
  name: string;
  /** One line, for `swarmlab --help`. */
  summary: string;
  /** What follows `swarmlab NAME` in the usage line. */
  args: string;
  description?: string;
  options: Options;
  /**
   * The arguments after the first positional one are the command's own, untouched (ssh NAME ls -l).
   * Only for commands whose options are all flags without values.
   */
  stopAtFirstArg?: boolean;
  /** Option lines as `--help` prints them (without -h). */
  optionHelp?: string[];
  /** `argv` is the command's own arguments as typed (env repeats them in its hint). */
  run(ctx: CliContext, parsed: Parsed, argv: string[]): Promise<number>;
}

export function commandHelp(c: Command): string {
  const options = [...(c.optionHelp ?? []), '  -h, --help               print this help'];
  return [
    `Usage:  swarmlab ${c.name} ${c.args}`.trimEnd(),
    '',
    c.summary,
    ...(c.description ? ['', c.description] : []),
    '',
    'Options:',
    ...options,
    '',
  ].join('\n');
}
