// What the control operations let escape is always a ControlError: the store's refusals, Raft's
// "no leader" and spec validation errors are translated here, once, with their messages kept.

import { SpecError } from '../../api/validate.ts';
import { LeadershipLostError, NodeStoppedError, NotLeaderError, RequestTimeoutError } from '../../raft/node.ts';
import { ExistsError, NotFoundError, SequenceError, StoreError } from '../../store/errors.ts';
import { ControlError } from './errors.ts';

export function toControlError(err: unknown): ControlError {
  if (err instanceof ControlError) return err;
  if (err instanceof SpecError) return new ControlError('InvalidArgument', err.message);
  if (err instanceof SequenceError) return new ControlError('Aborted', err.message);
  if (err instanceof ExistsError) return new ControlError('AlreadyExists', err.message);
  if (err instanceof NotFoundError) return new ControlError('NotFound', err.message);
  if (err instanceof StoreError) return new ControlError('Internal', err.message, { cause: err });
  if (
    err instanceof NotLeaderError ||
    err instanceof LeadershipLostError ||
    err instanceof RequestTimeoutError ||
    err instanceof NodeStoppedError
  ) {
    return new ControlError('Unavailable', err.message);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ControlError('Internal', message, { cause: err });
}

/** Runs fn, turning whatever it throws into a ControlError. */
export async function controlled<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toControlError(err);
  }
}
