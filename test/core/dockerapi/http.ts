// Plain HTTP over the test server's unix socket, for requests no well-behaved client would send.

import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON, when it is JSON. */
  json: unknown;
}

export interface HttpOptions {
  body?: unknown;
  /** Sent as is (with the given content type, default application/json). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function http(socketPath: string, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath,
        method,
        path,
        headers: {
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...opts.headers,
        },
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within the deadline`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Bytes straight onto the socket; resolves with whatever comes back before the server closes. */
export function rawSocket(socketPath: string, bytes: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, timeoutMs);
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.write(bytes);
  });
}
