// Commands whose whole job is their exit status.

import type { BuiltinProgram } from '../program.ts';

export const trueProgram: BuiltinProgram = { run: (ctx) => ctx.exit(0) };

export const falseProgram: BuiltinProgram = { run: (ctx) => ctx.exit(1) };

/**
 * `sh` with nothing to run reads commands from stdin, which a container started without -i does
 * not have: it sees end of input and exits 0 at once, which is why `alpine` alone does nothing.
 * A shell given a script (`sh -c ...`) is a real shell, run as a real process.
 */
export const bareShellProgram: BuiltinProgram = {
  accepts: (argv) => argv.length === 1,
  run: (ctx) => ctx.exit(0),
};
