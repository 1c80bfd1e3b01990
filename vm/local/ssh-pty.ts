// A console's PTY output to its SSH channel: with backpressure, and without cutting the end short.
//
// node-pty destroys its reader 200 ms after the program exits (on Linux it may never see EOF), and
// whatever was not read by then is gone: a paused or busy reader easily misses that. So the reader's
// destruction is put off until its output has gone quiet and the client has caught up. (Linux also
// discards what the master has not yet taken in when the session leader exits and the terminal hangs
// up: a PTY command whose output ends with a burst of many KiB right at its exit can still lose some;
// commands run without a PTY, as the lab's own calls are, never do.)

import type pty from 'node-pty';
import type { ServerChannel } from 'ssh2';

/** How long the output must be silent before the reader of an exited program may close. */
const QUIET_MS = 100;

interface Destroyable {
  destroy(...args: unknown[]): unknown;
}

/** Relays `proc`'s output to `stream`; returns a function that closes the reader at once (client gone). */
export function relayPtyOutput(proc: pty.IPty, stream: ServerChannel): () => void {
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

  proc.onData((data) => {
    lastData = Date.now();
    if (!stream.writable) return;
    // A slow client holds the program back, as a real terminal does, instead of filling memory.
    if (stream.write(data) || paused) return;
    paused = true;
    proc.pause();
    stream.once('drain', () => {
      paused = false;
      lastData = Date.now();
      proc.resume();
    });
  });
  return forceClose;
}
