// Runs for CRASH_AFTER seconds (default 5), then exits with EXIT_CODE (default 1): the
// restart-policy demo, where the task fails, the restart delay passes and a new task takes its slot.

import type { BuiltinProgram } from '../program.ts';
import { dieOnTerminatingSignals } from './terminate.ts';

export const crashProgram: BuiltinProgram = {
  run(ctx) {
    const after = ctx.env.CRASH_AFTER ?? '5';
    const code = ctx.env.EXIT_CODE ?? '1';
    const seconds = Number(after);
    const exitCode = Number(code);
    if (after.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
      ctx.stderr.write(`crash: CRASH_AFTER must be a number of seconds, not '${after}'\n`);
      return ctx.exit(2);
    }
    if (!/^\d+$/.test(code) || exitCode > 255) {
      ctx.stderr.write(`crash: EXIT_CODE must be a number from 0 to 255, not '${code}'\n`);
      return ctx.exit(2);
    }
    dieOnTerminatingSignals(ctx, (signal) => ctx.stdout.write(`crash: ${signal} received before the crash, exiting\n`));
    ctx.stdout.write(`crash: running; will exit with code ${exitCode} in ${seconds}s (CRASH_AFTER, EXIT_CODE)\n`);
    ctx.setTimeout(() => {
      ctx.stderr.write(`crash: exiting with code ${exitCode} after ${seconds}s, as asked\n`);
      ctx.exit(exitCode);
    }, seconds * 1000);
  },
};
