// The overlay's data path between nodes: Docker carries overlay traffic in VXLAN over the data
// path port (4789/udp); swarmlab's nodes carry each overlay connection as a TCP connection to the
// task's node on the same port, opened with one header line naming the task and its port:
//
//   → SWL1 <task ID> <container port> <network ID>[ E]\n
//   ← OK\n                     (then the bytes of the connection, both ways)
//   ← ERR <code> <message>\n   (and the connection closes)
//
// The node that owns the task connects it to the task's server, so a task that has stopped or is
// draining is refused at once and the sender tries another.
//
// With `E` (early data, what the routing mesh sends) the sender does not wait for the answer: the
// client's bytes follow the header in the same segment, and the owner sends OK together with the
// task's first bytes (or alone, if the task says nothing for a moment). That saves a round trip
// between the nodes and two writes per connection. ERR still means that nothing reached the task,
// so the sender, which keeps what it sent until the answer, sends it all again to another task;
// any other failure after bytes were sent is final (they may have reached the task).

import net, { type Server, type Socket } from 'node:net';
import { joinClose, readLine, splice } from './splice.ts';

const HEADER_MAX = 512;
const HEADER_TIMEOUT_MS = 5000;
/** How long the owner of an early-data connection waits for the task's first bytes to send with OK. */
const EARLY_ANSWER_MS = 500;
/** What a sender keeps of the client's bytes before the answer; past it, it stops reading the client. */
const EARLY_MAX_BYTES = 64 * 1024;
const OK = Buffer.from('OK\n');

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

/**
 * Where the task's server is in this process: a function that takes the tunnel's socket itself
 * (paused, what came after the header put back), or undefined to go through `open`.
 */
export type TunnelHandOff = (target: TunnelTarget) => ((socket: Socket) => void) | undefined;

export function serveTunnel(open: TunnelOpener, onError: (err: Error) => void, handOff?: TunnelHandOff): Server {
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
      const [magic, taskId, port, networkId, flags] = line.split(' ');
      if (magic !== 'SWL1' || !taskId || !networkId || !/^\d+$/.test(port ?? '')) {
        refuse(socket, `ERR ECONNRESET bad tunnel header\n`);
        return;
      }
      const hand = handOff?.({ taskId, port: Number(port), networkId });
      if (hand) {
        // One hop fewer: the task's server reads the tunnel's socket itself, after OK.
        socket.write(OK);
        hand(socket);
        return;
      }
      let local: Socket;
      try {
        local = await open({ taskId, port: Number(port), networkId });
      } catch (err) {
        const code = err instanceof TunnelError ? err.code : 'ECONNREFUSED';
        refuse(socket, `ERR ${code} ${(err as Error).message.replace(/\n/g, ' ')}\n`);
        return;
      }
      if (socket.destroyed) {
        local.destroy();
        return;
      }
      if (flags === 'E') return answerEarly(socket, local);
      socket.write(OK);
      splice(socket, local);
      socket.resume();
    })().catch(onError);
  });
}

/** Answers ERR and reads what the sender sent meanwhile to its end, so the socket closes. */
function refuse(socket: Socket, answer: string): void {
  socket.end(answer);
  socket.resume();
}

/**
 * The owner's side of an early-data connection: the sender's bytes go to the task at once; OK goes
 * out with the task's first bytes, or when it ends, or after EARLY_ANSWER_MS.
 */
function answerEarly(socket: Socket, local: Socket): void {
  joinClose(socket, local);
  socket.pipe(local);
  let answered = false;
  const answer = (first?: Buffer) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    local.off('data', answer).off('end', onEnd);
    socket.cork();
    socket.write(OK);
    if (first) socket.write(first);
    socket.uncork();
    local.pipe(socket);
  };
  const onEnd = () => answer();
  const timer = setTimeout(() => {
    // Nothing from the task yet: OK alone, and the task's bytes follow as they come.
    local.pause();
    answer();
  }, EARLY_ANSWER_MS);
  local.on('data', answer).on('end', onEnd).once('close', () => clearTimeout(timer));
}

/**
 * A client's first bytes on their way through the routing mesh: read at once and sent with the
 * tunnel's header, then forwarded as they come, and kept until a node accepts the connection, so
 * that after a refusal they go to the next task. `commit` stops keeping them and leaves the client
 * paused, for the splice to take over.
 */
export class EarlyData {
  private chunks: Buffer[] = [];
  private size = 0;
  private sink: Socket | undefined;
  /** Bytes went to the current sink (a failure other than ERR is then final). */
  private wrote = false;
  /** Bytes went to a node that failed without refusing: they may have reached a task. */
  lost = false;

  constructor(private readonly client: Socket) {
    client.on('data', this.onData);
    client.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.sink) {
      this.sink.write(chunk);
      this.wrote = true;
    }
    if (this.size >= EARLY_MAX_BYTES) this.client.pause();
  };

  /** Sends `header` and every byte so far in one write; the bytes that come next follow. */
  sendTo(sink: Socket, header?: string): void {
    sink.cork();
    if (header) sink.write(header);
    for (const c of this.chunks) sink.write(c);
    sink.uncork();
    this.sink = sink;
    this.wrote = this.size > 0;
  }

  /** The sink failed; `refused` when it said nothing reached the task. */
  detach(refused: boolean): void {
    if (!refused && this.wrote) this.lost = true;
    this.sink = undefined;
    this.wrote = false;
  }

  commit(): void {
    this.client.off('data', this.onData);
    this.client.pause();
    this.chunks = [];
    this.sink = undefined;
  }

  /**
   * For a task in this very process: stops reading and puts every byte read so far back into the
   * client, which is returned paused, as if nothing had been read.
   */
  handBack(): Socket {
    this.client.off('data', this.onData);
    this.client.pause();
    if (this.size > 0) this.client.unshift(Buffer.concat(this.chunks));
    this.chunks = [];
    this.sink = undefined;
    return this.client;
  }
}

/**
 * A routing-mesh connection to a task on another node, with early data: resolves once the node
 * accepted it (the task's first bytes may follow the answer), the client's bytes already on their way.
 */
export async function dialTunnelEarly(dataAddr: string, target: TunnelTarget, early: EarlyData, timeoutMs = 3000): Promise<Socket> {
  const i = dataAddr.lastIndexOf(':');
  const socket = await connectTcp(dataAddr.slice(0, i), Number(dataAddr.slice(i + 1)), timeoutMs);
  early.sendTo(socket, `SWL1 ${target.taskId} ${target.port} ${target.networkId} E\n`);
  let answer: string;
  try {
    answer = await readLine(socket, HEADER_MAX, timeoutMs);
  } catch (err) {
    early.detach(false);
    socket.destroy();
    throw new TunnelError('ECONNRESET', `the node at ${dataAddr} closed the connection: ${(err as Error).message}`);
  }
  if (answer === 'OK') {
    early.commit();
    return socket;
  }
  early.detach(answer.startsWith('ERR '));
  socket.destroy();
  const [, code, ...rest] = answer.split(' ');
  throw new TunnelError((code as TunnelErrorCode) ?? 'ECONNREFUSED', rest.join(' ') || 'refused');
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
