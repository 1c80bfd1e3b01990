// What the renderer holds: the LabApi, plus the state of the connection behind it (a banner while
// the web mode's socket reconnects). Both transports give the same object.

import type { LabApi } from '../../main/lab/protocol.ts';

export type ConnectionState =
  /** First attempt. */
  | 'connecting'
  | 'open'
  /** Lost; trying again. Requests made meanwhile wait; requests in flight failed. */
  | 'reconnecting'
  /** Final: the server refused the token (or the page had none). */
  | 'unauthorized'
  /** Final: close() was called. */
  | 'closed';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why, for a person (the server's close reason, or the page's own). */
  reason?: string;
}

export interface LabClient extends LabApi {
  /** Calls `fn` with the current status at once, then with every change. */
  onStatus(fn: (s: ConnectionStatus) => void): () => void;
  close(): void;
}

/** A request the lab refused or could not carry out; `message` is for a person. */
export class LabRequestError extends Error {
  constructor(
    message: string,
    readonly method: string,
  ) {
    super(message);
    this.name = 'LabRequestError';
  }
}

/** Runs a listener so that its exception is reported but does not stop the others. */
export function callSafely<T>(fn: (v: T) => void, v: T): void {
  try {
    fn(v);
  } catch (err) {
    setTimeout(() => {
      throw err;
    });
  }
}
