// Errors of the control API, with gRPC-style codes as SwarmKit returns them: the Docker API layer
// maps a code to an HTTP status and shows the message as Docker does
// ("rpc error: code = FailedPrecondition desc = ...").

export type ControlCode =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'Unavailable'
  /** A concurrent change won: the object moved on since the client read it. */
  | 'Aborted'
  /** A bug: nothing the client did or can do explains it. */
  | 'Internal';

export class ControlError extends Error {
  constructor(
    readonly code: ControlCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlError';
  }

  /** The text Docker's CLI prints after "Error response from daemon: ". */
  get rpcMessage(): string {
    return `rpc error: code = ${this.code} desc = ${this.message}`;
  }
}
