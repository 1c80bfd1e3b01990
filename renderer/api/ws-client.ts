// The web mode's transport: LabApi over one WebSocket to main/web (its messages are main/web/wire.ts's).
// The socket reconnects by itself with backoff; on each (re)connection the page sends its token and,
// once the server says it is ready, `subscribe` again if it listens, so the server starts the stream over with a fresh snapshot
// and nothing missed while offline can leave the view wrong. Requests made while offline wait for
// the connection; requests in flight when it drops fail (they may or may not have been done).

import type { LabApi, LabEvent } from '../../main/lab/protocol.ts';
import { callSafely, LabRequestError, type ConnectionStatus, type LabClient } from './client.ts';
import { METHODS } from './methods.ts';

/** The part of the browser's WebSocket this client uses (the `ws` package's fits too, for tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface WsClientOptions {
  /** ws://HOST:PORT/api/ws */
  url: string;
  /** Undefined: the page was opened without one; the client says so instead of connecting. */
  token: string | undefined;
  connect?: (url: string) => SocketLike;
  /** This page's ID across reconnections (default: a random one), so its consoles outlive a blip. */
  page?: string;
  /** Backoff between attempts: doubles from minMs up to maxMs. */
  retry?: { minMs: number; maxMs: number };
}

// Kept in step with main/web/wire.ts.
const OPEN = 1;
const CLOSE_UNAUTHORIZED = 4401;

type Reply = { id: number; result?: unknown } | { id: number; error: { message: string } };

interface Pending {
  method: string;
  params: unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export function createWsClient(o: WsClientOptions): LabClient {
  const connect = o.connect ?? ((url: string) => new (globalThis as unknown as { WebSocket: new (u: string) => SocketLike }).WebSocket(url));
  const retry = o.retry ?? { minMs: 250, maxMs: 5000 };
  const page = o.page ?? (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID();
  let status: ConnectionStatus = { state: 'connecting' };
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  const listeners = new Set<(e: LabEvent) => void>();
  /** Not yet sent (offline). */
  const queued: { id: number; p: Pending }[] = [];
  /** Sent, waiting for the answer. */
  const inFlight = new Map<number, Pending>();
  let nextId = 1;
  let socket: SocketLike | undefined;
  let delay = retry.minMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The current socket's: the server accepted the token. */
  let onReady = (): void => {};

  const setStatus = (s: ConnectionStatus): void => {
    status = s;
    for (const fn of [...statusListeners]) callSafely(fn, s);
  };
  const final = (): boolean => status.state === 'unauthorized' || status.state === 'closed';

  const failAll = (message: string, which: 'in-flight' | 'all'): void => {
    for (const [id, p] of inFlight) {
      inFlight.delete(id);
      p.reject(new LabRequestError(message, p.method));
    }
    if (which === 'all') for (const { p } of queued.splice(0)) p.reject(new LabRequestError(message, p.method));
  };

  const transmit = (id: number, method: string, params: unknown): void => {
    socket!.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
  };

  const request = (method: string, params?: unknown): Promise<unknown> => {
    if (final()) return Promise.reject(new LabRequestError(status.reason ?? 'not connected to swarmlab', method));
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const p = { method, params, resolve, reject };
      if (socket?.readyState === OPEN && status.state === 'open') {
        inFlight.set(id, p);
        transmit(id, method, params);
      } else {
        queued.push({ id, p });
      }
    });
  };

  const onMessage = (data: unknown): void => {
    let m: unknown;
    try {
      m = JSON.parse(String(data));
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    if ('ready' in m) {
      onReady();
      return;
    }
    if ('event' in m) {
      for (const fn of [...listeners]) callSafely(fn, (m as { event: LabEvent }).event);
      return;
    }
    const reply = m as Reply;
    const p = inFlight.get(reply.id);
    if (!p) return;
    inFlight.delete(reply.id);
    if ('error' in reply) p.reject(new LabRequestError(reply.error.message, p.method));
    else p.resolve(reply.result);
  };

  const open = (): void => {
    timer = undefined;
    const s = connect(o.url);
    socket = s;
    s.onopen = () => {
      if (socket === s) s.send(JSON.stringify({ token: o.token, page }));
    };
    s.onmessage = (ev) => {
      if (socket === s) onMessage(ev.data);
    };
    const ready = (): void => {
      delay = retry.minMs;
      setStatus({ state: 'open' });
      // The server handles messages in order: the stream restarts (with its snapshot) before the
      // requests that waited, as it would have for a page that never went offline.
      if (listeners.size > 0) void request('subscribe').catch(() => {});
      for (const { id, p } of queued.splice(0)) {
        inFlight.set(id, p);
        transmit(id, p.method, p.params);
      }
    };
    onReady = ready;
    s.onerror = () => {};
    s.onclose = (ev) => {
      if (socket !== s) return;
      socket = undefined;
      if (final()) return;
      if (ev.code === CLOSE_UNAUTHORIZED) {
        const reason = `swarmlab refused this page: ${ev.reason || 'unauthorized'}. Open the address that swarmlab printed (it ends in #token=...).`;
        setStatus({ state: 'unauthorized', reason });
        failAll(reason, 'all');
        return;
      }
      const reason = ev.reason || 'the connection to swarmlab was lost';
      failAll(`${reason}; the request may or may not have been carried out`, 'in-flight');
      setStatus({ state: 'reconnecting', reason });
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, retry.maxMs);
    };
  };

  const api: Record<string, unknown> = {};
  for (const m of METHODS) api[m] = (params?: unknown) => request(m, params);

  const client = api as unknown as LabApi & Partial<LabClient>;
  client.subscribe = (listener) => {
    listeners.add(listener);
    // Every subscribe restarts the stream, so that this listener too begins with a snapshot.
    if (status.state === 'open') void request('subscribe').catch(() => {});
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      listeners.delete(listener);
      if (listeners.size === 0 && status.state === 'open') void request('unsubscribe').catch(() => {});
    };
  };
  client.onStatus = (fn) => {
    statusListeners.add(fn);
    callSafely(fn, status);
    return () => statusListeners.delete(fn);
  };
  client.close = () => {
    if (final()) return;
    if (timer !== undefined) clearTimeout(timer);
    const s = socket;
    socket = undefined;
    setStatus({ state: 'closed', reason: 'the page closed its connection to swarmlab' });
    failAll('the page closed its connection to swarmlab', 'all');
    s?.close(1000, 'closed by the page');
  };

  if (o.token === undefined) {
    setStatus({ state: 'unauthorized', reason: 'this page was opened without its token: open the address that swarmlab printed (it ends in #token=...)' });
  } else {
    open();
  }
  return client as LabClient;
}
