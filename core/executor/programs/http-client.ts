// The HTTP client under wget, curl, whoami's client mode, web's API call and wordpress: a GET to a
// URL whose host is a service name, `tasks.NAME` or an overlay address, made ONLY through the
// task's network (ctx.net), never through the node's own resolver or sockets, with a timeout on
// the task's clock. Failures come back as a RequestError saying what failed (the name, the
// connection, the wait), so each client can word it as its real counterpart does.

import { isIP, type Socket } from 'node:net';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { ProgramContext } from '../program.ts';

export interface HttpUrl {
  host: string;
  port: number;
  /** Path and query, at least "/". */
  path: string;
  /** The URL as the client prints it: http://host[:port]/path. */
  href: string;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** Name, value, name, value... as received. */
  rawHeaders: string[];
  body: string;
  /** The address the name resolved to (the host itself for an address). */
  address: string;
}

export type RequestFailure = 'url' | 'resolve' | 'connect' | 'timeout' | 'protocol';

export class RequestError extends Error {
  constructor(
    readonly failure: RequestFailure,
    /** ENOTFOUND, ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT, ECONNRESET... */
    readonly code: string,
    readonly host: string,
    /** Where the connection went, once the name resolved. */
    readonly address: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** The whole exchange, on the task's clock (default 10 s). */
  timeoutMs?: number;
  /** Bytes of body kept (default 1 MiB); the rest is read and dropped. */
  maxBody?: number;
}

/** "http://api/", "api:8080/x", "http://10.0.1.5" → its parts; anything else is an error text. */
export function parseHttpUrl(text: string): HttpUrl | string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return `not an http or ftp url: ${text}`;
  }
  if (u.protocol !== 'http:') return u.protocol === 'https:' ? `${u.protocol.slice(0, -1)} is not supported here (no TLS in swarmlab): ${text}` : `not an http or ftp url: ${text}`;
  if (u.hostname === '') return `not an http or ftp url: ${text}`;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port === '' ? 80 : Number(u.port);
  const path = `${u.pathname || '/'}${u.search}`;
  return { host, port, path, href: `http://${u.host}${path}` };
}

/** The C library's words for a socket error (musl's, as in alpine), for messages. */
export function errnoText(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'EHOSTUNREACH':
      return 'Host is unreachable';
    case 'ENETUNREACH':
      return 'Network unreachable';
    case 'ETIMEDOUT':
      return 'Operation timed out';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'ENOTFOUND':
      return 'Name does not resolve';
    case 'ECONNABORTED':
      return 'Connection aborted';
    default:
      return code;
  }
}

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';

/** Resolves a host through the task's network: an address is itself. */
export async function resolveHost(ctx: ProgramContext, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  return ctx.net.lookup(host);
}

/**
 * A connection to HOST:PORT through the task's network, given up after `timeoutMs` on the task's
 * clock. The name is looked up first (to report "bad address" and which address refused); the
 * connection goes to the name so that the network balances it as it would a container's.
 */
export async function connectTo(ctx: ProgramContext, host: string, port: number, timeoutMs: number): Promise<{ socket: Socket; address: string }> {
  return withTimeout(ctx, timeoutMs, host, () => undefined, async (state) => {
    let address: string | undefined;
    try {
      address = (await resolveHost(ctx, host))[0];
    } catch (err) {
      throw new RequestError('resolve', codeOf(err), host, undefined, `bad address '${host}'`);
    }
    if (address === undefined) throw new RequestError('resolve', 'ENOTFOUND', host, undefined, `bad address '${host}'`);
    state.address = address;
    try {
      const socket = await ctx.net.connect(host, port);
      if (state.timedOut) {
        socket.destroy();
        throw new RequestError('timeout', 'ETIMEDOUT', host, address, 'timed out');
      }
      return { socket, address };
    } catch (err) {
      if (err instanceof RequestError) throw err;
      const code = codeOf(err);
      throw new RequestError(code === 'ENOTFOUND' ? 'resolve' : 'connect', code, host, address, `can't connect to remote host (${address}): ${errnoText(code)}`);
    }
  });
}

/** A GET (or HEAD...) of an http:// URL through the task's network. */
export async function httpRequest(ctx: ProgramContext, url: string | HttpUrl, opts: RequestOptions = {}): Promise<HttpResponse> {
  const u = typeof url === 'string' ? parseHttpUrl(url) : url;
  if (typeof u === 'string') throw new RequestError('url', 'EINVAL', '', undefined, u);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBody = opts.maxBody ?? 1024 * 1024;
  let socket: Socket | undefined;
  return withTimeout(ctx, timeoutMs, u.host, () => socket?.destroy(), async (state) => {
    const connected = await connectTo(ctx, u.host, u.port, timeoutMs);
    socket = connected.socket;
    state.address = connected.address;
    if (state.timedOut) {
      socket.destroy();
      throw new RequestError('timeout', 'ETIMEDOUT', u.host, connected.address, 'timed out');
    }
    const conn = connected.socket;
    const hostHeader = u.port === 80 ? u.host : `${u.host}:${u.port}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      const failed = (err: unknown) => {
        conn.destroy();
        const code = codeOf(err);
        reject(new RequestError('protocol', code, u.host, connected.address, state.timedOut ? 'timed out' : `error getting response: ${errnoText(code)}`));
      };
      const req = request(
        {
          host: u.host,
          port: u.port,
          path: u.path,
          method: opts.method ?? 'GET',
          headers: { Host: hostHeader, Connection: 'close', ...opts.headers },
          createConnection: () => conn,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (c: Buffer) => {
            if (kept < maxBody) chunks.push(c.subarray(0, maxBody - kept));
            kept += c.length;
          });
          res.on('error', failed);
          res.on('end', () => {
            conn.destroy();
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              httpVersion: res.httpVersion,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: Buffer.concat(chunks).toString('utf8'),
              address: connected.address,
            });
          });
        },
      );
      req.on('error', failed);
      req.end();
    });
  });
}

interface AttemptState {
  timedOut: boolean;
  address?: string;
}

/** Runs `attempt`, failing with a 'timeout' RequestError after `ms` on the task's clock. */
function withTimeout<T>(ctx: ProgramContext, ms: number, host: string, onTimeout: () => void, attempt: (state: AttemptState) => Promise<T>): Promise<T> {
  const state: AttemptState = { timedOut: false };
  return new Promise<T>((resolve, reject) => {
    const timer = ctx.setTimeout(() => {
      state.timedOut = true;
      onTimeout();
      reject(new RequestError('timeout', 'ETIMEDOUT', host, state.address, 'timed out'));
    }, ms);
    attempt(state).then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (err: unknown) => {
        timer.cancel();
        reject(err);
      },
    );
  });
}

/** What a whoami said about itself, from its text page or its /api JSON; undefined for anything else. */
export function whoamiAnswer(res: HttpResponse): { task?: string; hostname?: string; ip?: string } | undefined {
  const type = String(res.headers['content-type'] ?? '');
  if (type.includes('json')) {
    try {
      const j = JSON.parse(res.body) as { task?: unknown; hostname?: unknown; ip?: unknown };
      if (typeof j.hostname !== 'string') return undefined;
      const ip = Array.isArray(j.ip) ? j.ip.find((x): x is string => typeof x === 'string') : undefined;
      return { hostname: j.hostname, ...(typeof j.task === 'string' ? { task: j.task } : {}), ...(ip ? { ip } : {}) };
    } catch {
      return undefined;
    }
  }
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(res.body)?.[1]?.trim();
  const hostname = field('Hostname');
  if (hostname === undefined) return undefined;
  const task = field('Task');
  const ip = field('IP');
  return { hostname, ...(task ? { task } : {}), ...(ip ? { ip } : {}) };
}

/** "200 from api.2.xyz (10.0.1.5)" for a whoami, "200 OK" for anything else. */
export function describeAnswer(res: HttpResponse): string {
  const who = whoamiAnswer(res);
  if (!who) return `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  return `${res.status} from ${who.task ?? who.hostname}${who.ip ? ` (${who.ip})` : ''}`;
}
