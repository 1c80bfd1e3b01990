// How a failure reaches the user: a MachineError is a message; anything else is a bug, with its stack.

import { MachineError } from '../../vm/errors.ts';
import type { CliContext } from './io.ts';

export function reportError(ctx: Pick<CliContext, 'err'>, err: unknown): void {
  if (err instanceof MachineError) ctx.err.write(`swarmlab: ${err.message}\n`);
  else ctx.err.write(`swarmlab: ${(err as Error)?.stack ?? String(err)}\n`);
}
