// The dialling side of the cluster port: one connection to one peer, opened on first use and
// again after it breaks. A broken connection fails what was in flight with `unavailable`; casts
// (Raft messages) made while it is down are dropped, which Raft tolerates.

import type { Socket } from 'node:net';
import type { Clock, Timer } from '../clock.ts';
import { encodeFrame, FrameReader } from './codec.ts';
import { RpcError } from './errors.ts';
import type { Link, LinkFaults } from './link-faults.ts';
import { responseFrame, type RequestFrame } from './messages.ts';

export interface StreamObserver {
  item(v: unknown): void;
  /** Exactly once: without an error when the server ended the stream cleanly. */
  end(err?: RpcError): void;
}

export interface RpcClientOptions {
  /** Opens the socket (tls.connect with the node's credentials, or net.connect in tests). */
  dial: () => Socket;
  /** The event that says the socket is ready to use ('secureConnect' for TLS, 'connect' for TCP). */
  readyEvent?: string;
  clock: Clock;
  /** A call not answered within this time fails `deadline-exceeded` (ms, default 10,000). */
  callTimeoutMs?: number;
  /** At most this many bytes are queued while connecting; casts beyond are dropped. */
  maxQueuedBytes?: number;
  /** Network faults to apply to every frame (a lab machine's); none without. */
  faults?: LinkFaults;
}

interface PendingCall {
  resolve: (v: unknown) => void;
  reject: (e: RpcError) => void;
  timer: Timer;
}

export class RpcClient {
  private socket: Socket | undefined;
  private link: Link | undefined;
  private ready = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, StreamObserver>();
  private closed = false;

  constructor(private readonly opts: RpcClientOptions) {}

  call<T = unknown>(method: string, params: unknown, timeoutMs = this.opts.callTimeoutMs ?? 10_000): Promise<T> {
    if (this.closed) return Promise.reject(new RpcError('unavailable', 'the connection is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => {
        this.calls.delete(id);
        reject(new RpcError('deadline-exceeded', `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write({ k: 'call', id, m: method, p: params ?? null }, true);
    });
  }

  open(method: string, params: unknown, observer: StreamObserver): { close(): void } {
    if (this.closed) {
      observer.end(new RpcError('unavailable', 'the connection is closed'));
      return { close() {} };
    }
    const id = this.nextId++;
    this.streams.set(id, observer);
    this.write({ k: 'open', id, m: method, p: params ?? null }, true);
    return {
      close: () => {
        if (this.streams.delete(id)) this.write({ k: 'close', id }, false);
      },
    };
  }

  cast(method: string, params: unknown): void {
    if (!this.closed) this.write({ k: 'cast', m: method, p: params }, false);
  }

  /** Closes the connection for good: what is in flight fails `unavailable`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.drop(new RpcError('unavailable', 'the connection was closed'));
  }

  private write(f: RequestFrame, mustSend: boolean): void {
    const buf = encodeFrame(f);
    const s = this.connect();
    if (this.ready) {
      this.put(s, buf);
      return;
    }
    if (!mustSend && this.queuedBytes + buf.length > (this.opts.maxQueuedBytes ?? 64 * 1024 * 1024)) return;
    this.queue.push(buf);
    this.queuedBytes += buf.length;
  }

  private connect(): Socket {
    if (this.socket) return this.socket;
    const s = this.opts.dial();
    this.socket = s;
    const link = this.opts.faults?.link(s);
    this.link = link;
    this.ready = false;
    const reader = new FrameReader();
    s.once(this.opts.readyEvent ?? 'secureConnect', () => {
      if (this.socket !== s) return;
      this.ready = true;
      for (const b of this.queue) this.put(s, b);
      this.queue = [];
      this.queuedBytes = 0;
    });
    s.on('data', (chunk: Buffer) => {
      let docs: unknown[];
      try {
        docs = reader.push(chunk);
      } catch (err) {
        s.destroy(err as Error);
        return;
      }
      for (const doc of docs) if (!link || link.admit()) this.receive(doc);
    });
    s.on('error', () => {});
    s.on('close', () => {
      link?.close();
      if (this.socket !== s) return;
      this.drop(new RpcError('unavailable', `the connection to the peer broke`));
    });
    return s;
  }

  private put(s: Socket, buf: Buffer): void {
    const link = this.link;
    if (!link) s.write(buf);
    else link.send(() => {
      if (!s.destroyed) s.write(buf);
    });
  }

  private receive(doc: unknown): void {
    const parsed = responseFrame.safeParse(doc);
    if (!parsed.success) return;
    const f = parsed.data;
    if (f.k === 'ok' || f.k === 'err') {
      const c = this.calls.get(f.id);
      if (!c) return;
      this.calls.delete(f.id);
      c.timer.cancel();
      if (f.k === 'ok') c.resolve(f.r);
      else c.reject(RpcError.fromWire(f.e));
    } else if (f.k === 'item') {
      this.streams.get(f.id)?.item(f.r);
    } else {
      const o = this.streams.get(f.id);
      this.streams.delete(f.id);
      o?.end(f.e ? RpcError.fromWire(f.e) : undefined);
    }
  }

  private drop(err: RpcError): void {
    const s = this.socket;
    this.socket = undefined;
    this.link = undefined;
    this.ready = false;
    this.queue = [];
    this.queuedBytes = 0;
    s?.destroy();
    const calls = [...this.calls.values()];
    const streams = [...this.streams.values()];
    this.calls.clear();
    this.streams.clear();
    for (const c of calls) {
      c.timer.cancel();
      c.reject(err);
    }
    for (const o of streams) o.end(err);
  }
}
