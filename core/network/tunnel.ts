// The overlay's data path between nodes: Docker carries overlay traffic in VXLAN over the data
// path port (4789/udp); swarmlab's nodes carry each overlay connection as a TCP connection to the
// task's node on the same port, opened with one header line naming the task and its port:
//
//   → SWL1 <task ID> <container port> <network ID>\n
//   ← OK\n                     (then the bytes of the connection, both ways)
//   ← ERR <code> <message>\n   (and the connection closes)
//
// The node that owns the task connects it to the task's server, so a task that has stopped or is
// draining is refused at once and the sender tries another.

import net, { type Server, type Socket } from 'node:net';
import { readLine, splice } from './splice.ts';

const HEADER_MAX = 512;
const HEADER_TIMEOUT_MS = 5000;

export type TunnelErrorCode = 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ETIMEDOUT' | 'ECONNRESET';

export class TunnelError extends Error {
  constructor(
    readonly code: TunnelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TunnelError';
  }
}

export interface TunnelTarget {
  taskId: string;
  port: number;
  networkId: string;
}

/** Opens the local end: a connection to the task's server, or a TunnelError saying why not. */
export type TunnelOpener = (target: TunnelTarget) => Promise<Socket>;

export function serveTunnel(open: TunnelOpener, onError: (err: Error) => void): Server {
  return net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      let line: string;
      try {
        line = await readLine(socket, HEADER_MAX, HEADER_TIMEOUT_MS);
      } catch {
        socket.destroy();
        return;
      }
      const [magic, taskId, port, networkId] = line.split(' ');
      if (magic !== 'SWL1' || !taskId || !networkId || !/^\d+$/.test(port ?? '')) {
        socket.end(`ERR ECONNRESET bad tunnel header\n`);
        return;
      }
      let local: Socket;
      try {
        local = await open({ taskId, port: Number(port), networkId });
      } catch (err) {
        const code = err instanceof TunnelError ? err.code : 'ECONNREFUSED';
        socket.end(`ERR ${code} ${(err as Error).message.replace(/\n/g, ' ')}\n`);
        return;
      }
      if (socket.destroyed) {
        local.destroy();
        return;
      }
      socket.write('OK\n');
      splice(socket, local);
      socket.resume();
    })().catch(onError);
  });
}

/** A connection to a task on another node, through that node's tunnel at `dataAddr` (HOST:PORT). */
export async function dialTunnel(dataAddr: string, target: TunnelTarget, timeoutMs = 3000): Promise<Socket> {
  const i = dataAddr.lastIndexOf(':');
  const host = dataAddr.slice(0, i);
  const port = Number(dataAddr.slice(i + 1));
  const socket = await connectTcp(host, port, timeoutMs);
  socket.write(`SWL1 ${target.taskId} ${target.port} ${target.networkId}\n`);
  let answer: string;
  try {
    answer = await readLine(socket, HEADER_MAX, timeoutMs);
  } catch (err) {
    socket.destroy();
    throw new TunnelError('ECONNRESET', `the node at ${dataAddr} closed the connection: ${(err as Error).message}`);
  }
  // Paused, with what came after the answer put back: the caller starts the flow.
  if (answer === 'OK') return socket;
  socket.destroy();
  const [, code, ...rest] = answer.split(' ');
  throw new TunnelError((code as TunnelErrorCode) ?? 'ECONNREFUSED', rest.join(' ') || 'refused');
}

/** A plain TCP connection with a deadline; errors carry Node's codes. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TunnelError('ETIMEDOUT', `connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new TunnelError(err.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : err.code === 'ECONNRESET' ? 'ECONNRESET' : 'EHOSTUNREACH', `connect to ${host}:${port}: ${err.message}`));
    });
  });
}
