// The load generator of `npm run bench -- mesh`, run as its own process (forked by mesh.ts) so its
// CPU is not the swarmd nodes' nor the bench's: `concurrency` clients each send GET requests one
// after the other, for `warmupMs` unrecorded and then `durationMs` recorded, either each on a new
// TCP connection closed by the client after the answer (as curl does) or all on one kept-alive
// connection per client. A minimal HTTP/1.1 client over net, so the client's own cost stays small
// next to what it measures. The result goes back over IPC.

import net, { type Socket } from 'node:net';

export interface LoadSpec {
  host: string;
  port: number;
  path: string;
  keepAlive: boolean;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Requests per second answered within the recorded window. */
  rps: number;
  /** Latencies of the recorded requests, in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  firstError?: string;
  /** CPU the load generator used over the whole run (warm-up included), in ms. */
  clientCpuMs: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');

/** Reads one HTTP response off a socket; resolves with its status when it is complete. */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private want = -1;
  private chunked = false;
  private status = 0;

  /** Whether the response is complete after this chunk (what follows it is dropped). */
  push(chunk: Buffer): boolean {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.want < 0 && !this.chunked) {
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) return false;
      const head = this.buf.subarray(0, end).toString('latin1');
      this.status = Number(head.slice(9, 12));
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.chunked = !len && /\r\ntransfer-encoding:\s*chunked/i.test(head);
      this.want = len ? end + 4 + Number(len[1]) : this.chunked ? -1 : end + 4;
    }
    if (this.chunked) return this.buf.length >= 5 && this.buf.subarray(this.buf.length - 5).equals(CHUNKED_END);
    return this.buf.length >= this.want;
  }

  get code(): number {
    return this.status;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.want = -1;
    this.chunked = false;
    this.status = 0;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const request = Buffer.from(`GET ${spec.path} HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\nUser-Agent: swarmlab-bench\r\nAccept: */*\r\n\r\n`);
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  let errors = 0;
  let firstError: string | undefined;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const recordFrom = start + spec.warmupMs;
  const stopAt = recordFrom + spec.durationMs;
  let stopped = false;

  const record = (sentAt: number, ok: boolean, why?: string) => {
    const now = performance.now();
    if (sentAt < recordFrom || now > stopAt) return;
    if (!ok) {
      errors++;
      firstError ??= why;
      return;
    }
    if (n === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[n++] = now - sentAt;
  };

  /** One request on a new connection, closed by the client once answered. */
  const fresh = () =>
    new Promise<void>((resolve) => {
      const sentAt = performance.now();
      const reader = new ResponseReader();
      let done = false;
      const socket = net.connect({ host: spec.host, port: spec.port, noDelay: true }, () => socket.write(request));
      const finish = (ok: boolean, why?: string) => {
        if (done) return;
        done = true;
        record(sentAt, ok, why);
        socket.destroy();
        resolve();
      };
      socket.on('data', (c: Buffer) => {
        if (reader.push(c)) finish(reader.code === 200, `HTTP ${reader.code}`);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
      socket.on('close', () => finish(false, 'closed before the answer'));
    });

  /** A client on one kept-alive connection (made again if it breaks). */
  const keptAlive = async () => {
    while (!stopped) {
      const socket: Socket = net.connect({ host: spec.host, port: spec.port, noDelay: true });
      const reader = new ResponseReader();
      let pending: ((ok: boolean, why?: string) => void) | undefined;
      socket.on('data', (c: Buffer) => {
        if (reader.push(c)) pending?.(reader.code === 200, `HTTP ${reader.code}`);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => pending?.(false, err.code ?? err.message));
      socket.on('close', () => pending?.(false, 'closed before the answer'));
      let broken = false;
      while (!stopped && !broken) {
        const sentAt = performance.now();
        reader.reset();
        const ok = await new Promise<boolean>((resolve) => {
          pending = (ok, why) => {
            pending = undefined;
            record(sentAt, ok, why);
            resolve(ok);
          };
          if (socket.destroyed) pending(false, 'connection closed');
          else socket.write(request);
        });
        if (!ok) broken = true;
      }
      socket.destroy();
    }
  };

  const client = async () => {
    if (spec.keepAlive) return keptAlive();
    while (!stopped) await fresh();
  };
  const stopTimer = setTimeout(() => (stopped = true), spec.warmupMs + spec.durationMs);
  await Promise.all(Array.from({ length: spec.concurrency }, client));
  clearTimeout(stopTimer);
  const sorted = latencies.subarray(0, n).sort();
  const cpu = process.cpuUsage(cpu0);
  return {
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    requests: n,
    errors,
    rps: n / (spec.durationMs / 1000),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n > 0 ? sorted[n - 1]! : NaN,
    ...(firstError ? { firstError } : {}),
  };
}

/**
 * The bench's reference for a userland hop: a plain TCP proxy, a new connection to the target per
 * client connection, piped both ways (what the mesh does, without tunnel header, balancing or map).
 */
export function plainProxy(listenHost: string, targetHost: string, targetPort: number): Promise<net.Server> {
  const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (client) => {
    const backend = net.connect({ host: targetHost, port: targetPort, noDelay: true }, () => {
      client.pipe(backend);
      backend.pipe(client);
    });
    const done = () => {
      client.destroy();
      backend.destroy();
    };
    client.on('error', done).on('close', done);
    backend.on('error', done).on('close', done);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenHost, port: 0 }, () => resolve(server));
  });
}

// Forked as a proxy: --proxy LISTEN_HOST TARGET_HOST TARGET_PORT; its port goes back over IPC.
if (process.send && process.argv[2] === '--proxy') {
  const [, , , listenHost, targetHost, targetPort] = process.argv;
  process.once('disconnect', () => process.exit(0));
  void plainProxy(listenHost!, targetHost!, Number(targetPort)).then((server) => process.send!((server.address() as net.AddressInfo).port));
}

// Forked: one spec in, one result out.
if (process.send && process.argv[2] === '--child') {
  process.once('message', (spec: LoadSpec) => {
    void runLoad(spec).then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
