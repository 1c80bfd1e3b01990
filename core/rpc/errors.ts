// Errors that cross the cluster port. A handler's error keeps its `code` (DispatcherError's,
// ControlError's) and message, so the caller can turn it back into the error type it knows.

export type TransportCode = 'unavailable' | 'deadline-exceeded' | 'unauthenticated' | 'permission-denied' | 'unimplemented' | 'invalid-argument' | 'internal';

export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

export class RpcError extends Error {
  constructor(
    readonly code: TransportCode | (string & {}),
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toWire(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }

  static fromWire(w: WireError): RpcError {
    return new RpcError(String(w.code), String(w.message), w.data);
  }

  /** Any error a handler throws, as it goes on the wire: its code if it has one, else `internal`. */
  static from(err: unknown): RpcError {
    if (err instanceof RpcError) return err;
    if (err instanceof Error) {
      const e = err as Error & { code?: unknown; toWire?: () => unknown };
      const data = typeof e.toWire === 'function' ? e.toWire() : undefined;
      return new RpcError(typeof e.code === 'string' ? e.code : 'internal', err.message, data);
    }
    return new RpcError('internal', String(err));
  }
}
