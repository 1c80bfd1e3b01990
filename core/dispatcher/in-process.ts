// The dispatcher protocol by direct calls inside one process (unit tests; a manager's own agent).
// Still asynchronous, on the injected clock: every request, response and stream message is a
// timer event, and every message is copied as a wire would copy it, so neither side can rely on
// sharing objects with the other. Links can be cut to exercise failover.

import type { Clock, Timer } from '../clock.ts';
import {
  DispatcherError,
  type AssignmentsObserver,
  type AssignmentsRequest,
  type DispatcherApi,
  type DispatcherClient,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type SessionRequest,
  type SessionResponse,
  type Subscription,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from './protocol.ts';

export interface InProcessOptions {
  clock: Clock;
  /** One-way delay of every request, response and stream message (ms, default 0). */
  latencyMs?: number;
  /** A request without an answer after this long fails `unavailable` (ms, default 10,000). */
  requestTimeoutMs?: number;
}

const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

interface OpenStream {
  addr: string;
  end(err: DispatcherError): void;
}

export class InProcessDispatcherNetwork {
  private readonly servers = new Map<string, DispatcherApi>();
  private readonly cut = new Set<string>();
  private readonly streams = new Set<OpenStream>();
  private readonly latency: number;
  readonly requestTimeoutMs: number;

  constructor(private readonly opts: InProcessOptions) {
    this.latency = opts.latencyMs ?? 0;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  /** Serves `api` at `addr`. */
  serve(addr: string, api: DispatcherApi): void {
    this.servers.set(addr, api);
  }

  /** Stops serving `addr`: new requests are refused, open streams end with an error. */
  unserve(addr: string): void {
    this.servers.delete(addr);
    this.breakStreams(addr);
  }

  /** Cuts the link to `addr`, as a crash or partition would: until `restore`, nothing gets through. */
  disconnect(addr: string): void {
    this.cut.add(addr);
    this.breakStreams(addr);
  }

  restore(addr: string): void {
    this.cut.delete(addr);
  }

  /** Ends every open stream to `addr` with an error, as a reset TCP connection would. */
  breakStreams(addr: string, message = `connection to ${addr} lost`): void {
    for (const s of [...this.streams]) if (s.addr === addr) s.end(new DispatcherError('unavailable', message));
  }

  /** Open assignments streams to `addr` (or to all). */
  openStreams(addr?: string): number {
    return [...this.streams].filter((s) => addr === undefined || s.addr === addr).length;
  }

  connect(addr: string): DispatcherClient {
    return new InProcessClient(this, addr);
  }

  /** @internal */
  later(fn: () => void, ms = this.latency): Timer {
    return this.opts.clock.setTimeout(fn, ms);
  }

  /** @internal The server at addr, or why it cannot be reached. */
  reach(addr: string): DispatcherApi | DispatcherError {
    if (this.cut.has(addr)) return new DispatcherError('unavailable', `${addr} is unreachable`);
    return this.servers.get(addr) ?? new DispatcherError('unavailable', `connection refused by ${addr}`);
  }

  /** @internal */
  track(s: OpenStream): () => void {
    this.streams.add(s);
    return () => this.streams.delete(s);
  }
}

class InProcessClient implements DispatcherClient {
  private closed = false;
  private readonly pending = new Set<(err: DispatcherError) => void>();
  private readonly subs = new Set<() => void>();

  constructor(
    private readonly net: InProcessDispatcherNetwork,
    readonly addr: string,
  ) {}

  session(req: SessionRequest): Promise<SessionResponse> {
    return this.call((api) => api.session(copy(req)));
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call((api) => api.heartbeat(copy(req)));
  }

  updateTaskStatus(req: UpdateTaskStatusRequest): Promise<UpdateTaskStatusResponse> {
    return this.call((api) => api.updateTaskStatus(copy(req)));
  }

  assignments(req: AssignmentsRequest, observer: AssignmentsObserver): Subscription {
    let done = false;
    let upstream: Subscription | undefined;
    const net = this.net;
    const finish = (err?: DispatcherError) => {
      if (done) return;
      done = true;
      untrack();
      this.subs.delete(close);
      upstream?.close();
      observer.end(err);
    };
    const close = () => {
      if (done) return;
      done = true;
      untrack();
      this.subs.delete(close);
      upstream?.close();
    };
    const untrack = net.track({ addr: this.addr, end: (err) => net.later(() => finish(err)) });
    this.subs.add(close);
    net.later(() => {
      if (done) return;
      const api = net.reach(this.addr);
      if (api instanceof DispatcherError) return finish(api);
      upstream = api.assignments(copy(req), {
        message: (m) => {
          const c = copy(m);
          net.later(() => {
            if (!done) observer.message(c);
          });
        },
        end: (err) => net.later(() => finish(err ? DispatcherError.from(err) : new DispatcherError('unavailable', 'assignments stream ended'))),
      });
      if (done) upstream.close();
    });
    return { close };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const close of [...this.subs]) close();
    const err = new DispatcherError('unavailable', 'client closed');
    for (const reject of [...this.pending]) reject(err);
  }

  private call<R>(fn: (api: DispatcherApi) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.closed) return reject(new DispatcherError('unavailable', 'client closed'));
      let settled = false;
      const fail = (err: DispatcherError) => {
        if (settled) return;
        settled = true;
        timeout.cancel();
        this.pending.delete(fail);
        reject(err);
      };
      const timeout = this.net.later(
        () => fail(new DispatcherError('unavailable', `request to ${this.addr} timed out after ${this.net.requestTimeoutMs} ms`)),
        this.net.requestTimeoutMs,
      );
      this.pending.add(fail);
      this.net.later(() => {
        if (settled) return;
        const api = this.net.reach(this.addr);
        if (api instanceof DispatcherError) return fail(api);
        fn(api).then(
          (res) => {
            const c = copy(res);
            this.net.later(() => {
              if (settled) return;
              // A response over a link cut meanwhile is lost, as it would be on a wire.
              const now = this.net.reach(this.addr);
              if (now instanceof DispatcherError) return fail(now);
              settled = true;
              timeout.cancel();
              this.pending.delete(fail);
              resolve(c);
            });
          },
          (err: unknown) => {
            const e = DispatcherError.fromWire(DispatcherError.from(err).toWire());
            this.net.later(() => fail(e));
          },
        );
      });
    });
  }
}
