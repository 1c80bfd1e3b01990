// The web mode: the renderer bundle and the LabApi on 127.0.0.1, for a browser. The API is a
// WebSocket (requests and the event stream) plus POST /api/METHOD for scripts; both need the
// token, which the page gets from its URL's fragment (never sent to a server, never in a log or a
// Referer). Host and Origin are checked on every request against DNS rebinding.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { LabApi } from '../lab/protocol.ts';
import { dispatch as defaultDispatch, isLabMethod } from '../lab/requests.ts';
import { serveConnection } from './connection.ts';
import { securityHeaders } from './headers.ts';
import { allowedFor, refuseForeign } from './origin.ts';
import { send, serveStatic } from './static-files.ts';
import { PageResources } from './page-resources.ts';
import { newToken, tokenMatches } from './token.ts';
import { CLOSE, WS_PATH, type Dispatch } from './wire.ts';

export interface WebServerOptions {
  api: LabApi;
  /** The renderer bundle (vite's output). Without its index.html, a page says how to build it. */
  staticDir: string;
  /** The controller's boundary (validation included); tests may pass their own. */
  dispatch?: Dispatch;
  /** 0 (the default): any free port. */
  port?: number;
  token?: string;
  authTimeoutMs?: number;
  maxBufferedBytes?: number;
  /** How long a page's consoles and log streams outlive its last connection (it may reconnect). */
  pageGraceMs?: number;
  /** Where the server reports its own failures (not the user's). */
  log?(line: string): void;
}

export interface WebServer {
  port: number;
  token: string;
  /** What to open: the token rides in the fragment. */
  url: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY = 1024 * 1024;

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const token = o.token ?? newToken();
  const dispatch = o.dispatch ?? defaultDispatch;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let port = o.port ?? 0;
  // Known only once listening when the port was 0; every check reads it then.
  let allowed = allowedFor(port);
  let headers = securityHeaders(port);

  const resources = new PageResources(o.api);
  const pages = new Map<string, { connections: number; release?: NodeJS.Timeout }>();
  let anonymous = 0;
  const attach = (id: string | undefined) => {
    // A client that names no page (a script) owns what it opens for this connection only.
    const key = id === undefined ? `connection ${++anonymous}` : `page ${id}`;
    const page = pages.get(key) ?? { connections: 0 };
    pages.set(key, page);
    page.connections++;
    clearTimeout(page.release);
    return {
      dispatch: resources.dispatchFor(key, dispatch),
      detach() {
        if (--page.connections > 0) return;
        page.release = setTimeout(() => {
          pages.delete(key);
          void resources.release(key);
        }, id === undefined ? 0 : (o.pageGraceMs ?? 30_000));
      },
    };
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  const server = createServer((req, res) => {
    handleHttp(req, res).catch((err: unknown) => {
      log(`swarmlab web: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) json(res, 500, { error: { message: 'internal error' } });
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = refuseForeign(req.headers, allowed);
    if (refused) return json(res, 403, { error: { message: refused } });
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/api/')) return handleApi(req, res, path.slice('/api/'.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: { message: `${req.method} is not served here` } }, { Allow: 'GET, HEAD' });
    if (!(await serveStatic(req, res, o.staticDir, headers))) send(res, 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, 'not found\n');
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!tokenMatches(bearer(req), token)) return json(res, 401, { error: { message: 'unauthorized: missing or wrong token (Authorization: Bearer TOKEN)' } }, { 'WWW-Authenticate': 'Bearer' });
    if (req.method !== 'POST') return json(res, 405, { error: { message: 'the API takes POST' } }, { Allow: 'POST' });
    if (!isLabMethod(method)) return json(res, 404, { error: { message: `unknown method ${JSON.stringify(method)}` } });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return json(res, 415, { error: { message: 'the body must be application/json' } });
    const body = await readBody(req);
    if (body === undefined) return json(res, 413, { error: { message: `the body is over ${MAX_BODY} bytes` } });
    let params: unknown;
    try {
      params = body.length === 0 ? undefined : JSON.parse(body);
    } catch {
      return json(res, 400, { error: { message: 'the body is not JSON' } });
    }
    try {
      const result = await dispatch(o.api, method, params);
      json(res, 200, result === undefined ? {} : { result });
    } catch (err) {
      json(res, 400, { error: { message: err instanceof Error ? err.message : String(err) } });
    }
  }

  function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
    send(res, status, { ...headers, ...extra, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, JSON.stringify(body));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refused = refuseForeign(req.headers, allowed);
    const path = (req.url ?? '/').split('?')[0];
    if (refused || path !== WS_PATH) {
      const status = refused ? '403 Forbidden' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${refused ?? 'not found'}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      serveConnection(ws, {
        api: o.api,
        attach,
        token,
        authTimeoutMs: o.authTimeoutMs ?? 10_000,
        maxBufferedBytes: o.maxBufferedBytes ?? 16 * 1024 * 1024,
        onInternalError: (err) => log(`swarmlab web: ${(err as Error).stack ?? String(err)}`),
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${HOST} is already in use (choose another with --port)`) : err);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  allowed = allowedFor(port);
  headers = securityHeaders(port);

  return {
    port,
    token,
    url: `http://${HOST}:${port}/#token=${token}`,
    async close() {
      const closed = [...wss.clients].map((ws) => new Promise((resolve) => {
        ws.once('close', resolve);
        ws.close(CLOSE.goingAway, 'the swarmlab server is shutting down');
      }));
      // A page that does not answer the closing handshake promptly (asleep, or stalled) is cut.
      const cut = setTimeout(() => { for (const ws of wss.clients) ws.terminate(); }, 1000);
      await Promise.all(closed);
      clearTimeout(cut);
      // The controller closing behind us ends what is left; no release should fire after.
      for (const page of pages.values()) clearTimeout(page.release);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
