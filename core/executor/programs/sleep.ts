// BusyBox sleep: the sum of its arguments, each a number with an optional s/m/h/d suffix, or
// "infinity". It has no signal handlers, so as a container's PID 1 it ignores `docker stop`'s
// SIGTERM and is killed after the grace period (exit 137), exactly as the real one is.

import type { BuiltinProgram, ProgramContext } from '../program.ts';

const UNIT_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Node's timers overflow past 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function parseDuration(arg: string): number | undefined {
  if (/^inf(inity)?$/i.test(arg)) return Infinity;
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

export const sleepProgram: BuiltinProgram = {
  run(ctx) {
    const args = ctx.argv.slice(1);
    if (args.length === 0) {
      ctx.stderr.write('Usage: sleep [N]...\n\nPause for a time equal to the total of the args given, where each arg can\nhave an optional suffix of (s)econds, (m)inutes, (h)ours, or (d)ays\n');
      return ctx.exit(1);
    }
    let total = 0;
    for (const a of args) {
      const ms = parseDuration(a);
      if (ms === undefined) {
        ctx.stderr.write(`sleep: invalid number '${a}'\n`);
        return ctx.exit(1);
      }
      total += ms;
    }
    wait(ctx, total, () => ctx.exit(0));
  },
};

function wait(ctx: ProgramContext, ms: number, done: () => void): void {
  if (ms === Infinity) return; // nothing to wait for: only a kill ends it
  if (ms <= MAX_TIMER_MS) {
    ctx.setTimeout(done, ms);
    return;
  }
  ctx.setTimeout(() => wait(ctx, ms - MAX_TIMER_MS, done), MAX_TIMER_MS);
}
