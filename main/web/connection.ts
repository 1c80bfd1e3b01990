// One page's WebSocket: authenticate it, answer its requests through dispatch, and forward the
// event stream while it is subscribed. A page that reads events slower than the lab makes them is
// cut off rather than buffered without bound; it reconnects and starts again from a snapshot.

import WebSocket from 'ws';
import type { LabApi, LabEvent } from '../lab/protocol.ts';
import { tokenMatches } from './token.ts';
import { AuthMessage, CLOSE, RequestMessage, type Dispatch, type ServerMessage } from './wire.ts';

export interface ConnectionOptions {
  api: LabApi;
  token: string;
  /** Once authenticated: how this page's requests are carried, and that it has left. */
  attach(page: string | undefined): { dispatch: Dispatch; detach(): void };
  /** How long a socket may stay open without sending the token. */
  authTimeoutMs: number;
  /** Bytes queued for the page past which it counts as too slow. */
  maxBufferedBytes: number;
  /** Errors that are not the user's (a bug in a handler): for the server's log. */
  onInternalError?(err: unknown): void;
}

export function serveConnection(ws: WebSocket, o: ConnectionOptions): void {
  let page: { dispatch: Dispatch; detach(): void } | undefined;
  let unsubscribe: (() => void) | undefined;
  const authTimer = setTimeout(() => ws.close(CLOSE.unauthorized, 'unauthorized: no token was sent'), o.authTimeoutMs);

  const send = (m: ServerMessage): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  };

  const stopEvents = (): void => {
    const stop = unsubscribe;
    unsubscribe = undefined;
    stop?.();
  };

  const onEvent = (event: LabEvent): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > o.maxBufferedBytes) {
      stopEvents();
      ws.close(CLOSE.tooSlow, 'too slow: events were dropped; reconnect for a fresh snapshot');
      return;
    }
    send({ event });
  };

  const handle = async (m: RequestMessage): Promise<void> => {
    if (m.method === 'subscribe') {
      // Again while subscribed: a fresh snapshot (what a page wants after losing track).
      stopEvents();
      const stop = o.api.subscribe(onEvent);
      // The snapshot may come at once, inside subscribe, and may already have found the page too slow.
      if (ws.readyState === WebSocket.OPEN) unsubscribe = stop;
      else stop();
      send({ id: m.id });
      return;
    }
    if (m.method === 'unsubscribe') {
      stopEvents();
      send({ id: m.id });
      return;
    }
    try {
      const result = await page!.dispatch(o.api, m.method, m.params);
      send(result === undefined ? { id: m.id } : { id: m.id, result });
    } catch (err) {
      send({ id: m.id, error: { message: err instanceof Error ? err.message : String(err) } });
    }
  };

  ws.on('message', (data, isBinary) => {
    const parsed = isBinary ? undefined : parseJson(data.toString());
    if (!page) {
      const auth = AuthMessage.safeParse(parsed);
      if (!auth.success) return void ws.close(CLOSE.unauthorized, 'unauthorized: the first message must be {"token": ...}');
      if (!tokenMatches(auth.data.token, o.token)) return void ws.close(CLOSE.unauthorized, 'unauthorized: wrong token');
      page = o.attach(auth.data.page);
      clearTimeout(authTimer);
      send({ ready: true });
      return;
    }
    const req = RequestMessage.safeParse(parsed);
    if (!req.success) return void ws.close(CLOSE.badMessage, 'bad message: expected {"id", "method", "params"}');
    void handle(req.data).catch((err: unknown) => o.onInternalError?.(err));
  });

  ws.on('close', () => {
    clearTimeout(authTimer);
    stopEvents();
    page?.detach();
  });
  ws.on('error', () => ws.terminate());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
