// The few Engine API calls a lab needs (swarm init/join, nodes, services), over a machine's unix
// socket with node:http: the CLI starts without loading a Docker client library, and every failure
// names the machine and the call along with the engine's own message.

import http from 'node:http';
import { LabError } from './errors.ts';

export class EngineError extends LabError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export class EngineClient {
  constructor(
    /** The machine, for messages. */
    readonly machine: string,
    readonly socketPath: string,
  ) {}

  get<T>(path: string, timeoutMs?: number): Promise<T> {
    return this.request<T>('GET', path, undefined, timeoutMs);
  }

  post<T>(path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.request<T>('POST', path, body, timeoutMs);
  }

  request<T>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const what = `(${this.machine}) ${method} ${path.split('?')[0]}`;
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          path,
          method,
          timeout: timeoutMs,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const message = (json as { message?: unknown } | undefined)?.message;
              reject(new EngineError(`${what}: ${typeof message === 'string' ? message : text || `HTTP ${status}`}`, status));
            } else {
              resolve(json as T);
            }
          });
        },
      );
      req.on('error', (err) => reject(new EngineError(`${what}: ${err.message}`, 0)));
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.end(payload);
    });
  }
}
