// Errors as the Engine API returns them: a status and `{"message": "..."}`. Control errors keep
// SwarmKit's codes in their text ("rpc error: code = ... desc = ..."), as Docker shows them, except
// "not found", which Docker's daemon words itself ("service web not found").

import { ControlError, type ControlCode } from '../manager/control/errors.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static badRequest = (message: string) => new ApiError(400, message);
  static forbidden = (message: string) => new ApiError(403, message);
  static notFound = (message: string) => new ApiError(404, message);
  static conflict = (message: string) => new ApiError(409, message);
  static notImplemented = (message: string) => new ApiError(501, message);
  static unavailable = (message: string) => new ApiError(503, message);
}

/** As moby maps gRPC codes to HTTP statuses (statusCodeFromGRPCError), with Aborted a conflict. */
const STATUS: Record<ControlCode, number> = {
  InvalidArgument: 400,
  NotFound: 404,
  AlreadyExists: 409,
  Aborted: 409,
  FailedPrecondition: 400,
  Unavailable: 503,
  Internal: 500,
};

/** What the client gets for an error; `bug` marks the ones that deserve a log line. */
export function errorResponse(err: unknown): { status: number; message: string; bug: boolean } {
  if (err instanceof ApiError) return { status: err.status, message: err.message, bug: false };
  if (err instanceof ControlError) {
    const message = err.code === 'NotFound' ? err.message : err.rpcMessage;
    return { status: STATUS[err.code], message, bug: err.code === 'Internal' };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, message: `internal error in swarmlab's Docker API: ${message}`, bug: true };
}
