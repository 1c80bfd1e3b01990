// Most servers end on SIGTERM and friends; dying of a signal gives exit code 128 + its number.

import type { ProgramContext } from '../program.ts';
import { signalExitCode, type SignalName } from '../signals.ts';

const TERMINATING: readonly SignalName[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

/** The program dies of the usual terminating signals, after `before` (a last log line, say). */
export function dieOnTerminatingSignals(ctx: ProgramContext, before?: (signal: SignalName) => void): void {
  ctx.onSignal((signal) => {
    if (!TERMINATING.includes(signal)) return;
    before?.(signal);
    ctx.exit(signalExitCode(signal));
  });
}
