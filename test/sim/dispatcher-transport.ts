// The dispatcher protocol over the simulated network: requests, responses and the assignments
// stream are SimNetwork messages, so they are delayed, dropped, duplicated and partitioned like the
// Raft traffic beside them.
//
// - A request waits for its response up to a timeout, then fails `unavailable`. Duplicated
//   requests are served once.
// - A stream is a sequence of numbered messages (with keepalive pings while idle). A gap in the
//   numbers, or silence longer than the stream timeout (a partition, a crashed manager), ends it
//   with an error, as a broken TCP connection would — and the agent reconnects.
//
// One network endpoint per node carries both sides: a manager serves, its own agent dials out.
// Beside Raft on one network (a SimNetwork<Message | DispatcherWire>):
//
//   const t = new SimDispatcherTransport({ clock, send: (f, to, m) => net.send(f, to, m) });
//   net.attach(id, (from, msg) => (isDispatcherWire(msg) ? t.deliver(from, id, msg) : node.step(msg)));
//   t.serve(id, endpoint);                       // each manager, with its DispatcherEndpoint
//   new Agent({ ..., connect: t.connector(id) }) // each node
//
// When a node crashes: `unserve(id)` and `dropClients(id)` (and detach it from the network).

import type { Clock, Timer } from '../../core/clock.ts';
import {
  DispatcherError,
  type AssignmentsMessage,
  type AssignmentsObserver,
  type AssignmentsRequest,
  type DispatcherApi,
  type DispatcherClient,
  type DispatcherConnector,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type SessionRequest,
  type SessionResponse,
  type Subscription,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
  type WireError,
} from '../../core/dispatcher/protocol.ts';
import type { SimNetwork } from './network.ts';

type Method = 'session' | 'heartbeat' | 'updateTaskStatus';

export type DispatcherWire =
  | { kind: 'dsp-req'; conn: string; id: number; method: Method; body: unknown }
  | { kind: 'dsp-res'; conn: string; id: number; body?: unknown; error?: WireError }
  | { kind: 'dsp-open'; conn: string; stream: number; body: AssignmentsRequest }
  | { kind: 'dsp-msg'; conn: string; stream: number; seq: number; body?: AssignmentsMessage }
  | { kind: 'dsp-end'; conn: string; stream: number; seq: number; error?: WireError }
  | { kind: 'dsp-close'; conn: string; stream: number };

export function isDispatcherWire(m: unknown): m is DispatcherWire {
  return typeof m === 'object' && m !== null && typeof (m as { kind?: unknown }).kind === 'string' && (m as { kind: string }).kind.startsWith('dsp-');
}

export interface SimDispatcherTransportOptions {
  clock: Clock;
  /** Puts a wire message on the network (e.g. `(f, t, m) => net.send(f, t, m)`, wrapped if needed). */
  send: (from: string, to: string, msg: DispatcherWire) => void;
  /** A request without a response after this long fails (ms, default 2,000). */
  requestTimeoutMs?: number;
  /** An idle stream sends a ping this often (ms, default 200). */
  keepaliveMs?: number;
  /** A stream silent for this long is broken (ms, default 1,000). */
  streamTimeoutMs?: number;
  /** Told of streams that break and requests that time out, for traces. */
  log?: (node: string, line: string) => void;
}

const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

interface ServerStream {
  sub: Subscription | undefined;
  seq: number;
  closed: boolean;
  keepalive: Timer;
}

interface Server {
  api: DispatcherApi;
  epoch: number;
  streams: Map<string, ServerStream>;
  /** Requests and streams already served, per connection (duplicates are ignored). */
  seen: Map<string, Set<string>>;
}

export class SimDispatcherTransport {
  private readonly servers = new Map<string, Server>();
  private readonly clients = new Map<string, SimClient>();
  private epochs = 0;
  private conns = 0;
  readonly requestTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly streamTimeoutMs: number;

  constructor(readonly opts: SimDispatcherTransportOptions) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 2_000;
    this.keepaliveMs = opts.keepaliveMs ?? 200;
    this.streamTimeoutMs = opts.streamTimeoutMs ?? 1_000;
  }

  /** A transport alone on its own network: attaches each node as it serves or dials. */
  static onNetwork(net: SimNetwork<DispatcherWire>, opts: Omit<SimDispatcherTransportOptions, 'send'>): SimDispatcherTransport {
    const t = new SimDispatcherTransport({ ...opts, send: (f, to, m) => net.send(f, to, m) });
    t.attachTo = (id) => {
      if (!net.isAttached(id)) net.attach(id, (from, msg) => t.deliver(from, id, msg));
    };
    return t;
  }

  /** Set by onNetwork: attaches a node's endpoint. */
  attachTo: ((nodeId: string) => void) | undefined;

  /** Serves the dispatcher protocol at `nodeId` (replacing what it served). */
  serve(nodeId: string, api: DispatcherApi): void {
    this.unserve(nodeId);
    this.attachTo?.(nodeId);
    this.servers.set(nodeId, { api, epoch: ++this.epochs, streams: new Map(), seen: new Map() });
  }

  /** Stops serving at `nodeId` (its process died): open streams end without a word. */
  unserve(nodeId: string): void {
    const s = this.servers.get(nodeId);
    if (!s) return;
    this.servers.delete(nodeId);
    for (const st of s.streams.values()) closeServerStream(st);
    s.streams.clear();
  }

  /** Dials from `nodeId`: the connector an Agent takes. */
  connector(nodeId: string): DispatcherConnector {
    this.attachTo?.(nodeId);
    return (addr) => {
      const conn = `${nodeId}#${++this.conns}`;
      const c = new SimClient(this, conn, nodeId, addr);
      this.clients.set(conn, c);
      return c;
    };
  }

  /** Drops every client dialled from `nodeId` (its process died). */
  dropClients(nodeId: string): void {
    for (const c of [...this.clients.values()]) if (c.from === nodeId) c.close(false);
  }

  /** Hands a wire message that arrived at `to` to the right side. */
  deliver(from: string, to: string, msg: DispatcherWire): void {
    switch (msg.kind) {
      case 'dsp-req':
      case 'dsp-open':
      case 'dsp-close':
        return this.onServer(from, to, msg);
      default: {
        const c = this.clients.get(msg.conn);
        if (c && c.from === to) c.receive(msg);
        else if (msg.kind === 'dsp-msg') this.send(to, from, { kind: 'dsp-close', conn: msg.conn, stream: msg.stream });
      }
    }
  }

  /** @internal */
  send(from: string, to: string, msg: DispatcherWire): void {
    this.opts.send(from, to, msg);
  }

  /** @internal */
  forget(conn: string): void {
    this.clients.delete(conn);
  }

  /** @internal */
  log(node: string, line: string): void {
    this.opts.log?.(node, line);
  }

  private onServer(from: string, to: string, msg: Extract<DispatcherWire, { kind: 'dsp-req' | 'dsp-open' | 'dsp-close' }>): void {
    const server = this.servers.get(to);
    if (msg.kind === 'dsp-close') {
      const key = `${msg.conn}/${msg.stream}`;
      const st = server?.streams.get(key);
      if (st && server) {
        server.streams.delete(key);
        closeServerStream(st);
      }
      return;
    }
    if (!server) {
      // Nothing listens: the connection is refused at once.
      const error = new DispatcherError('unavailable', `connection refused by ${to}`).toWire();
      if (msg.kind === 'dsp-req') this.send(to, from, { kind: 'dsp-res', conn: msg.conn, id: msg.id, error });
      else this.send(to, from, { kind: 'dsp-end', conn: msg.conn, stream: msg.stream, seq: 1, error });
      return;
    }
    const seenKey = msg.kind === 'dsp-req' ? `r${msg.id}` : `s${msg.stream}`;
    let seen = server.seen.get(msg.conn);
    if (!seen) server.seen.set(msg.conn, (seen = new Set()));
    if (seen.has(seenKey)) return;
    seen.add(seenKey);
    const epoch = server.epoch;
    const alive = () => this.servers.get(to)?.epoch === epoch;

    if (msg.kind === 'dsp-req') {
      const { conn, id } = msg;
      const call = (): Promise<unknown> => {
        switch (msg.method) {
          case 'session':
            return server.api.session(msg.body as SessionRequest);
          case 'heartbeat':
            return server.api.heartbeat(msg.body as HeartbeatRequest);
          case 'updateTaskStatus':
            return server.api.updateTaskStatus(msg.body as UpdateTaskStatusRequest);
        }
      };
      call().then(
        (body) => {
          if (alive()) this.send(to, from, { kind: 'dsp-res', conn, id, body: copy(body) });
        },
        (err: unknown) => {
          if (alive()) this.send(to, from, { kind: 'dsp-res', conn, id, error: DispatcherError.from(err).toWire() });
        },
      );
      return;
    }

    const { conn, stream } = msg;
    const key = `${conn}/${stream}`;
    const st: ServerStream = {
      sub: undefined,
      seq: 0,
      closed: false,
      keepalive: this.opts.clock.setInterval(() => {
        if (!st.closed) this.send(to, from, { kind: 'dsp-msg', conn, stream, seq: ++st.seq });
      }, this.keepaliveMs),
    };
    server.streams.set(key, st);
    const sub = server.api.assignments(copy(msg.body), {
      message: (m) => {
        if (!st.closed && alive()) this.send(to, from, { kind: 'dsp-msg', conn, stream, seq: ++st.seq, body: copy(m) });
      },
      end: (err) => {
        if (st.closed) return;
        const error = (err ?? new DispatcherError('unavailable', 'assignments stream ended')).toWire();
        if (alive()) this.send(to, from, { kind: 'dsp-end', conn, stream, seq: ++st.seq, error });
        server.streams.delete(key);
        closeServerStream(st);
      },
    });
    if (st.closed) sub.close();
    else st.sub = sub;
  }
}

function closeServerStream(st: ServerStream): void {
  if (st.closed) return;
  st.closed = true;
  st.keepalive.cancel();
  st.sub?.close();
}

interface ClientStream {
  observer: AssignmentsObserver;
  expect: number;
  idle: Timer | undefined;
  done: boolean;
}

class SimClient implements DispatcherClient {
  private closed = false;
  private ids = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: DispatcherError) => void; timer: Timer }>();
  private readonly streams = new Map<number, ClientStream>();

  constructor(
    private readonly t: SimDispatcherTransport,
    private readonly conn: string,
    readonly from: string,
    readonly addr: string,
  ) {}

  session(req: SessionRequest): Promise<SessionResponse> {
    return this.call('session', req) as Promise<SessionResponse>;
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call('heartbeat', req) as Promise<HeartbeatResponse>;
  }

  updateTaskStatus(req: UpdateTaskStatusRequest): Promise<UpdateTaskStatusResponse> {
    return this.call('updateTaskStatus', req) as Promise<UpdateTaskStatusResponse>;
  }

  assignments(req: AssignmentsRequest, observer: AssignmentsObserver): Subscription {
    const id = ++this.ids;
    const st: ClientStream = { observer, expect: 1, idle: undefined, done: false };
    if (this.closed) {
      this.t.opts.clock.setTimeout(() => observer.end(new DispatcherError('unavailable', 'client closed')), 0);
      return { close() {} };
    }
    this.streams.set(id, st);
    this.armIdle(id, st);
    this.t.send(this.from, this.addr, { kind: 'dsp-open', conn: this.conn, stream: id, body: copy(req) });
    return { close: () => this.closeStream(id, st, true) };
  }

  close(notify = true): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, st] of [...this.streams]) this.closeStream(id, st, notify);
    const err = new DispatcherError('unavailable', 'client closed');
    for (const p of this.pending.values()) {
      p.timer.cancel();
      p.reject(err);
    }
    this.pending.clear();
    this.t.forget(this.conn);
  }

  /** @internal */
  receive(msg: DispatcherWire): void {
    if (msg.kind === 'dsp-res') {
      const p = this.pending.get(msg.id);
      if (!p) return; // late, or a duplicate
      this.pending.delete(msg.id);
      p.timer.cancel();
      if (msg.error) p.reject(DispatcherError.fromWire(msg.error));
      else p.resolve(msg.body);
      return;
    }
    if (msg.kind !== 'dsp-msg' && msg.kind !== 'dsp-end') return;
    const st = this.streams.get(msg.stream);
    if (!st || st.done) {
      // A stream this side gave up on (its close was lost): tell the server again.
      if (msg.kind === 'dsp-msg') this.t.send(this.from, this.addr, { kind: 'dsp-close', conn: this.conn, stream: msg.stream });
      return;
    }
    if (msg.seq < st.expect) return; // a duplicate
    if (msg.seq > st.expect) {
      this.t.log(this.from, `assignments stream from ${this.addr} broken: message ${st.expect} lost`);
      this.breakStream(msg.stream, st, `stream broken: message ${st.expect} from ${this.addr} lost`);
      return;
    }
    st.expect++;
    if (msg.kind === 'dsp-end') {
      this.finish(msg.stream, st, msg.error ? DispatcherError.fromWire(msg.error) : undefined);
      return;
    }
    this.armIdle(msg.stream, st);
    if (msg.body) st.observer.message(msg.body);
  }

  private call(method: Method, body: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new DispatcherError('unavailable', 'client closed'));
    const id = ++this.ids;
    return new Promise((resolve, reject) => {
      const timer = this.t.opts.clock.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        this.t.log(this.from, `${method} to ${this.addr} timed out`);
        reject(new DispatcherError('unavailable', `${method} to ${this.addr} timed out after ${this.t.requestTimeoutMs} ms`));
      }, this.t.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.t.send(this.from, this.addr, { kind: 'dsp-req', conn: this.conn, id, method, body: copy(body) });
    });
  }

  private armIdle(id: number, st: ClientStream): void {
    st.idle?.cancel();
    st.idle = this.t.opts.clock.setTimeout(() => {
      this.t.log(this.from, `assignments stream from ${this.addr} timed out`);
      this.breakStream(id, st, `stream from ${this.addr} silent for ${this.t.streamTimeoutMs} ms`);
    }, this.t.streamTimeoutMs);
  }

  private breakStream(id: number, st: ClientStream, message: string): void {
    this.t.send(this.from, this.addr, { kind: 'dsp-close', conn: this.conn, stream: id });
    this.finish(id, st, new DispatcherError('unavailable', message));
  }

  private finish(id: number, st: ClientStream, err: DispatcherError | undefined): void {
    if (st.done) return;
    st.done = true;
    st.idle?.cancel();
    this.streams.delete(id);
    st.observer.end(err ?? new DispatcherError('unavailable', 'assignments stream ended'));
  }

  private closeStream(id: number, st: ClientStream, notify: boolean): void {
    if (st.done) return;
    st.done = true;
    st.idle?.cancel();
    this.streams.delete(id);
    if (notify) this.t.send(this.from, this.addr, { kind: 'dsp-close', conn: this.conn, stream: id });
  }
}
