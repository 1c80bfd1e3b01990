// The listening side of the cluster port. Every method says who may call it — anyone (a node that
// is joining has no certificate yet), any node of the swarm, or managers only — and the check is
// made on the certificate the peer presented in the TLS handshake, for every request.

import type { Socket } from 'node:net';
import { encodeFrame, FrameReader } from './codec.ts';
import { RpcError } from './errors.ts';
import type { LinkFaults } from './link-faults.ts';
import { requestFrame, type ResponseFrame } from './messages.ts';

export type Role = 'manager' | 'worker';

/** Who is at the other end, as its verified certificate says. */
export interface Peer {
  nodeId: string;
  role: Role;
  clusterId: string;
}

export type Access = 'anyone' | 'node' | 'manager';

export interface CallContext {
  /** Undefined for a peer without a verified certificate (only `anyone` methods serve it). */
  peer: Peer | undefined;
  remoteAddress: string;
}

export interface StreamSink {
  next(item: unknown): void;
  end(err?: unknown): void;
}

type CallHandler = (params: unknown, ctx: CallContext) => unknown;
type StreamHandler = (params: unknown, ctx: CallContext, sink: StreamSink) => { close(): void };
type CastHandler = (params: unknown, ctx: CallContext) => void;

type Entry =
  | { kind: 'call'; access: Access; fn: CallHandler }
  | { kind: 'stream'; access: Access; fn: StreamHandler }
  | { kind: 'cast'; access: Access; fn: CastHandler };

export interface RpcServerOptions {
  /** The peer's identity from its socket (undefined without a verified certificate). */
  identify: (socket: Socket) => Peer | undefined;
  /** A reason to refuse a verified peer (e.g. a removed node), or undefined. */
  refuse?: (peer: Peer) => string | undefined;
  logger?: (line: string) => void;
  /** Network faults to apply to every frame (a lab machine's); none without. */
  faults?: LinkFaults;
}

export class RpcServer {
  private readonly methods = new Map<string, Entry>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: RpcServerOptions) {}

  call(method: string, access: Access, fn: CallHandler): this {
    this.methods.set(method, { kind: 'call', access, fn });
    return this;
  }

  stream(method: string, access: Access, fn: StreamHandler): this {
    this.methods.set(method, { kind: 'stream', access, fn });
    return this;
  }

  cast(method: string, access: Access, fn: CastHandler): this {
    this.methods.set(method, { kind: 'cast', access, fn });
    return this;
  }

  /** Serves one accepted connection (a TLS socket once its handshake is done). */
  accept(socket: Socket): void {
    this.sockets.add(socket);
    const reader = new FrameReader();
    const streams = new Map<number, { close(): void }>();
    let closed = false;
    const link = this.opts.faults?.link(socket);
    const send = (f: ResponseFrame) => {
      if (closed || socket.destroyed) return;
      const buf = encodeFrame(f);
      if (!link) socket.write(buf);
      else link.send(() => {
        if (!closed && !socket.destroyed) socket.write(buf);
      });
    };
    // A connection's certificate cannot change: read it once, not for every Raft message.
    let identity: { peer: Peer | undefined } | undefined;
    const ctx = (): CallContext => {
      identity ??= { peer: this.opts.identify(socket) };
      return { peer: identity.peer, remoteAddress: socket.remoteAddress ?? '' };
    };
    const cleanup = () => {
      if (closed) return;
      closed = true;
      link?.close();
      this.sockets.delete(socket);
      for (const s of streams.values()) s.close();
      streams.clear();
    };
    socket.on('close', cleanup);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      let docs: unknown[];
      try {
        docs = reader.push(chunk);
      } catch (err) {
        this.opts.logger?.(`rpc: dropping connection from ${socket.remoteAddress}: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      for (const doc of docs) {
        if (link && !link.admit()) continue;
        const parsed = requestFrame.safeParse(doc);
        if (!parsed.success) {
          this.opts.logger?.(`rpc: dropping connection from ${socket.remoteAddress}: malformed frame`);
          socket.destroy();
          return;
        }
        const f = parsed.data;
        if (f.k === 'close') {
          streams.get(f.id)?.close();
          streams.delete(f.id);
          continue;
        }
        const c = ctx();
        const entry = this.methods.get(f.m);
        const denied = entry ? this.check(entry, f.m, c) : new RpcError('unimplemented', `unknown method ${f.m}`);
        if (f.k === 'cast') {
          if (denied || entry?.kind !== 'cast') continue;
          try {
            entry.fn(f.p, c);
          } catch (err) {
            this.opts.logger?.(`rpc: ${f.m}: ${(err as Error).message}`);
          }
          continue;
        }
        if (denied) {
          send(f.k === 'call' ? { k: 'err', id: f.id, e: denied.toWire() } : { k: 'end', id: f.id, e: denied.toWire() });
          continue;
        }
        if (f.k === 'call' && entry!.kind === 'call') {
          const fn = entry!.fn;
          void (async () => fn(f.p, c))().then(
            (r) => send({ k: 'ok', id: f.id, r: r ?? null }),
            (err: unknown) => send({ k: 'err', id: f.id, e: RpcError.from(err).toWire() }),
          );
        } else if (f.k === 'open' && entry!.kind === 'stream') {
          let ended = false;
          const sink: StreamSink = {
            next: (item) => {
              if (!ended) send({ k: 'item', id: f.id, r: item });
            },
            end: (err) => {
              if (ended) return;
              ended = true;
              streams.delete(f.id);
              send(err === undefined ? { k: 'end', id: f.id } : { k: 'end', id: f.id, e: RpcError.from(err).toWire() });
            },
          };
          try {
            const sub = entry!.fn(f.p, c, sink);
            if (!ended) streams.set(f.id, sub);
            else sub.close();
          } catch (err) {
            sink.end(err);
          }
        } else {
          const e = new RpcError('invalid-argument', `${f.m} is a ${entry!.kind}, not a ${f.k}`).toWire();
          send(f.k === 'call' ? { k: 'err', id: f.id, e } : { k: 'end', id: f.id, e });
        }
      }
    });
  }

  private check(entry: Entry, method: string, c: CallContext): RpcError | undefined {
    if (entry.access === 'anyone') return undefined;
    if (!c.peer) return new RpcError('unauthenticated', `${method} needs a swarm node certificate`);
    const refused = this.opts.refuse?.(c.peer);
    if (refused) return new RpcError('permission-denied', refused);
    if (entry.access === 'manager' && c.peer.role !== 'manager') {
      return new RpcError('permission-denied', `${method} is for managers; node ${c.peer.nodeId} has a ${c.peer.role} certificate`);
    }
    return undefined;
  }

  /** Drops every connection (a stopping node). */
  closeAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
