// Joins two sockets both ways, as a userland proxy does: data and half-closes cross, and an error
// or a close on one side ends the other.

import type { Socket } from 'node:net';

export function splice(a: Socket, b: Socket, onClose?: () => void): void {
  a.pipe(b);
  b.pipe(a);
  joinClose(a, b, onClose);
}

/** An error or a close on either socket ends both (the half of `splice` that is not the pipes). */
export function joinClose(a: Socket, b: Socket, onClose?: () => void): void {
  let closed = false;
  const done = () => {
    if (closed) return;
    closed = true;
    a.destroy();
    b.destroy();
    onClose?.();
  };
  a.on('error', done).on('close', done);
  b.on('error', done).on('close', done);
}

/** Reads one line (the tunnel's header or answer) and puts back what came after it. */
export function readLine(socket: Socket, maxBytes: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('timed out reading the tunnel header')), timeoutMs);
    const finish = (err?: Error, line?: string, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      if (err) return reject(err);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(line!);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const nl = buf.indexOf(10);
      if (nl >= 0) return finish(undefined, buf.subarray(0, nl).toString('utf8'), buf.subarray(nl + 1));
      if (buf.length > maxBytes) finish(new Error('tunnel header too long'));
    };
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
    socket.on('data', onData).on('error', onError).on('close', onClose);
  });
}
