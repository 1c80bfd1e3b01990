// Plain HTTP/JSON to swarmd's control socket, which serves the Docker Engine API. Errors come back
// as Docker sends them ({"message": ...} with a status); a socket that is not there gets a message
// saying what to set.

import http from 'node:http';
import { ApiError } from '../dockerapi/errors.ts';

/** The API version swarmctl speaks: new enough for service status, old enough for any recent engine. */
export const API_VERSION = '1.44';


export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Docker wraps SwarmKit's gRPC errors as "rpc error: code = X desc = ..."; SwarmKit's own swarmctl
 * prints only the description (grpc.ErrorDesc), and so does this one.
 */
export function errorDescription(message: string): string {
  const m = /^rpc error: code = \w+ desc = ([\s\S]*)$/.exec(message);
  return m ? m[1]! : message;
}

function connectError(err: NodeJS.ErrnoException, socketPath: string): Error {
  const hint = 'is swarmd running? SWARM_SOCKET (or -s) must name its control socket, e.g. SWARM_SOCKET=/path/to/state/swarmd.sock';
  switch (err.code) {
    case 'ENOENT':
      return new Error(`cannot connect to swarmd: there is no socket at ${socketPath} (${hint})`);
    case 'ECONNREFUSED':
      return new Error(`cannot connect to swarmd at ${socketPath}: connection refused (${hint})`);
    case 'EACCES':
      return new Error(`cannot connect to swarmd at ${socketPath}: permission denied`);
    case 'ENOTSOCK':
      return new Error(`cannot connect to swarmd: ${socketPath} is not a socket (${hint})`);
    default:
      return new Error(`cannot talk to swarmd at ${socketPath}: ${err.message}`);
  }
}

export class HttpClient {
  constructor(readonly socketPath: string) {}

  private path(path: string, query: Query = {}): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return `/v${API_VERSION}${path}${qs ? `?${qs}` : ''}`;
  }

  /** The response once its status is known to be a success; an ApiError otherwise. */
  open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: this.path(path, opts.query),
          headers: { Host: 'swarmd', ...(body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {}) },
          signal: opts.signal,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(res);
          readAll(res).then((text) => reject(new ApiError(status, errorMessage(status, text))), reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(err.name === 'AbortError' ? err : connectError(err, this.socketPath)));
      req.end(body);
    });
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const text = await readAll(await this.open(method, path, opts));
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`swarmd sent a response that is not JSON for ${method} ${path}: ${text.slice(0, 200)}`);
    }
  }
}

function errorMessage(status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return errorDescription(parsed.message);
  } catch {
    // Not Docker's error shape: show what came.
  }
  return text.trim() || `swarmd answered with status ${status} and no message`;
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
