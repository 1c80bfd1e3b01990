// A console's PTY output to its SSH channel: with backpressure, and without cutting the end short.
//
// node-pty destroys its reader 200 ms after the program exits (on Linux it may never see EOF), and
// whatever was not read by then is gone: a paused or busy reader easily misses that. So the reader's
// destruction is put off until its output has gone quiet and the client has caught up. (The other
// way output is lost, the hang-up when a session leader exits, is ssh-exit-marker.ts's business.)

import type pty from 'node-pty';
import type { ServerChannel } from 'ssh2';
import { HOLD_MS, type ExitMarkerScanner } from './ssh-exit-marker.ts';

/** How long the output must be silent before the reader of an exited program may close. */
const QUIET_MS = 100;

interface Destroyable {
  destroy(...args: unknown[]): unknown;
}

export interface StatusWatch {
  scanner: ExitMarkerScanner;
  /** The command's status, once all its output has been passed on. */
  onStatus(status: number): void;
}

/**
 * Relays `proc`'s output to `stream` (taking out the exit marker, with `watch`); returns a function
 * that closes the reader at once (client gone).
 */
export function relayPtyOutput(proc: pty.IPty, stream: ServerChannel, watch?: StatusWatch): () => void {
  let paused = false;
  let lastData = Date.now();
  let forced = false;

  // node-pty's reader is private; when a version lacks it, its own timing applies.
  const reader = (proc as unknown as { _socket?: Destroyable })._socket;
  let forceClose = () => {};
  if (reader && typeof reader.destroy === 'function') {
    const destroy = reader.destroy.bind(reader);
    let retry: NodeJS.Timeout | undefined;
    reader.destroy = (...args: unknown[]) => {
      if (forced || (!paused && Date.now() - lastData >= QUIET_MS)) {
        if (retry) clearTimeout(retry);
        retry = undefined;
        return destroy(...args);
      }
      retry ??= setTimeout(() => {
        retry = undefined;
        reader.destroy(...args);
      }, QUIET_MS);
      return reader;
    };
    forceClose = () => {
      forced = true;
      reader.destroy();
    };
  }

  const send = (data: Buffer) => {
    if (data.length === 0 || !stream.writable) return;
    // A slow client holds the program back, as a real terminal does, instead of filling memory.
    if (stream.write(data) || paused) return;
    paused = true;
    proc.pause();
    stream.once('drain', () => {
      paused = false;
      lastData = Date.now();
      proc.resume();
    });
  };

  let seen = false;
  let holdTimer: NodeJS.Timeout | undefined;
  proc.onData((chunk) => {
    lastData = Date.now();
    const data = chunk as unknown as Buffer;
    if (!watch) return send(data);
    if (seen) return;
    clearTimeout(holdTimer);
    const { out, status } = watch.scanner.push(data);
    send(out);
    if (status !== undefined) {
      seen = true;
      watch.onStatus(status);
    } else if (watch.scanner.holding) {
      holdTimer = setTimeout(() => send(watch.scanner.flush()), HOLD_MS);
    }
  });
  return forceClose;
}
