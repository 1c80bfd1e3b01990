// The Docker Engine API server (its swarm part) over node:http, on a unix socket and optionally a
// TCP port. Every request ends in an answer — a result, or Docker's `{"message": ...}` with the
// right status — and nothing a client sends can stop the server: a bug answers 500 and is logged.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { unlink } from 'node:fs/promises';
import { MAX_API_VERSION, splitVersion } from './api-version.ts';
import type { EngineBackend } from './backend.ts';
import { ApiError, errorResponse } from './errors.ts';
import { engineRoutes } from './routes.ts';
import type { Router } from './router.ts';

export interface EngineApiServerOptions {
  backend: EngineBackend;
  /** Path of the unix socket to serve on (DOCKER_HOST=unix://<path>). */
  socketPath?: string;
  /** A TCP address to serve on too; port 0 picks a free one. With `tls`, HTTPS (Docker's --tlsverify). */
  tcp?: { host?: string; port: number; tls?: TlsOptions };
  /** Diagnostics: requests that hit a bug (500), and listener errors; never a client's mistakes. */
  logger?: (line: string) => void;
}

const noop = () => {};

/** Whether something answers on the socket (another server), or it is a leftover file. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class EngineApiServer {
  private readonly router: Router = engineRoutes();
  private readonly servers: Server[] = [];
  private readonly inFlight = new Set<AbortController>();
  private tcpServer: Server | undefined;
  private closed = false;

  constructor(private readonly opts: EngineApiServerOptions) {}

  async listen(): Promise<void> {
    const { socketPath, tcp } = this.opts;
    if (!socketPath && !tcp) throw new Error('EngineApiServer: give a socketPath, a tcp address, or both');
    if (socketPath) {
      if (await socketInUse(socketPath)) throw new Error(`EngineApiServer: another server is listening on ${socketPath}`);
      await unlink(socketPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await this.start((s, done) => s.listen(socketPath, done));
    }
    if (tcp) this.tcpServer = await this.start((s, done) => s.listen(tcp.port, tcp.host ?? '127.0.0.1', done), tcp.tls);
  }

  /** The TCP port served, once listening. */
  get tcpPort(): number | undefined {
    const a = this.tcpServer?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /** Stops listening, ends open streams (logs, events) and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.inFlight) c.abort();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    if (this.opts.socketPath) await unlink(this.opts.socketPath).catch(noop);
  }

  /** The request listener, for mounting on a server made elsewhere. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.serve(req, res);
  };

  private start(listen: (s: Server, done: () => void) => void, tls?: TlsOptions): Promise<Server> {
    const server = tls ? createHttpsServer(tls, this.handle) : createServer(this.handle);
    // A client that fails the TLS handshake (no certificate, another CA) is simply not served.
    if (tls) server.on('tlsClientError', noop);
    this.servers.push(server);
    // Not HTTP at all, or a connection reset mid-request: answer if the socket still listens.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (socket.writable && err.code !== 'ECONNRESET') {
        const body = JSON.stringify({ message: `malformed HTTP request: ${err.message}` });
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else {
        socket.destroy();
      }
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      listen(server, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.logger?.(`dockerapi: ${err.message}`));
        resolve(server);
      });
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that goes away mid-answer must not turn into an unhandled 'error' event.
    req.on('error', noop);
    res.on('error', noop);
    const controller = new AbortController();
    this.inFlight.add(controller);
    res.on('close', () => {
      controller.abort();
      this.inFlight.delete(controller);
    });
    const method = req.method ?? 'GET';
    let path = req.url ?? '/';
    try {
      res.setHeader('Api-Version', MAX_API_VERSION);
      res.setHeader('Docker-Experimental', 'false');
      res.setHeader('Ostype', 'linux');
      res.setHeader('Server', `swarmlab/${this.opts.backend.version().Version} (linux)`);
      const url = new URL(path, 'http://docker');
      path = url.pathname;
      const { version, path: route } = splitVersion(url.pathname);
      const match = this.router.match(method, route);
      if (!match) {
        throw ApiError.notImplemented(
          `swarmlab does not implement ${method} ${route}: it serves the swarm part of the Docker Engine API (swarm, nodes, services, tasks, logs, events)`,
        );
      }
      await match.handler({
        req,
        res,
        backend: this.opts.backend,
        version,
        params: match.params,
        query: url.searchParams,
        signal: controller.signal,
      });
    } catch (err) {
      this.fail(method, path, res, err);
    }
  }

  private fail(method: string, path: string, res: ServerResponse, err: unknown): void {
    const { status, message, bug } = errorResponse(err);
    if (bug) this.opts.logger?.(`dockerapi: ${method} ${path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (res.headersSent) {
      // Too late for a status: the stream just ends, as Docker's do.
      res.end();
      return;
    }
    const body = JSON.stringify({ message });
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}
