// A swarm network for program tests, over real loopback sockets: names and virtual IPs resolve as
// Docker's embedded DNS would, and a connection to an overlay address:port is a real TCP
// connection to the loopback port where that task's server actually listens. A virtual IP is
// balanced round robin across its tasks. Nothing listening there is a real ECONNREFUSED.
import { connect, isIP, type Socket } from 'node:net';
import { systemClock, type Clock } from '../../../core/clock.ts';
import type { BuiltinProgram, TaskIdentity, TaskNetwork } from '../../../core/executor/program.ts';
import { VirtualProcess } from '../../../core/executor/virtual-process.ts';

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

export class LoopbackNetwork {
  private readonly names = new Map<string, string[]>();
  private readonly vips = new Map<string, string[]>();
  private readonly ports = new Map<string, number>();
  private readonly dropped = new Set<string>();
  private next = new Map<string, number>();
  /** Connections made, as "name-or-address:port → task address". */
  readonly log: string[] = [];

  /** A service: NAME → VIP, tasks.NAME → the task addresses. */
  service(name: string, vip: string, tasks: string[]): this {
    this.names.set(name, [vip]);
    this.names.set(`tasks.${name}`, tasks);
    this.vips.set(vip, tasks);
    return this;
  }

  name(name: string, addresses: string[]): this {
    this.names.set(name, addresses);
    return this;
  }

  forget(name: string): this {
    this.names.delete(name);
    this.names.delete(`tasks.${name}`);
    return this;
  }

  /** The task at `address` listens on `port` at 127.0.0.1:`realPort`. */
  expose(address: string, port: number, realPort: number): this {
    this.ports.set(`${address}:${port}`, realPort);
    return this;
  }

  /** Packets to this address vanish: a connection neither succeeds nor fails. */
  drop(address: string): this {
    this.dropped.add(address);
    return this;
  }

  /** What a task with these addresses sees. */
  forTask(addresses: string[] = []): TaskNetwork {
    return {
      addresses,
      lookup: async (name) => {
        const found = this.names.get(name);
        if (!found) throw errno('ENOTFOUND', `lookup ${name}: no such host`);
        return [...found];
      },
      connect: async (host, port) => {
        let address = isIP(host) ? host : this.names.get(host)?.[0];
        if (address === undefined) throw errno('ENOTFOUND', `lookup ${host}: no such host`);
        const backends = this.vips.get(address);
        if (backends) {
          if (backends.length === 0) throw errno('ECONNREFUSED', 'connect ECONNREFUSED');
          const i = this.next.get(address) ?? 0;
          this.next.set(address, i + 1);
          address = backends[i % backends.length]!;
        }
        this.log.push(`${host}:${port} → ${address}`);
        if (this.dropped.has(address)) return new Promise<Socket>(() => {});
        const real = this.ports.get(`${address}:${port}`);
        // A port nothing listens on: a real refused connection, from a port just closed.
        return realConnect(real ?? (await closedPort()));
      },
    };
  }
}

function realConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

let seq = 0;

export function identity(over: Partial<TaskIdentity> = {}): TaskIdentity {
  const n = ++seq;
  return {
    taskId: `t${n}`,
    taskName: `svc.1.t${n}`,
    serviceId: 's1',
    serviceName: 'svc',
    slot: 1,
    nodeId: 'node1',
    nodeHostname: 'worker-1',
    containerId: `c${n}`.padEnd(64, '0'),
    hostname: `c${n}`.padEnd(12, '0'),
    image: 'alpine',
    ...over,
  };
}

export interface Running {
  vp: VirtualProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr, interleaved. */
  output(): string;
  exited: Promise<number>;
  /** The first real port a server of the program listens on. */
  listening: Promise<number>;
}

export interface RunOptions {
  env?: Record<string, string>;
  net?: TaskNetwork;
  files?: Record<string, string>;
  clock?: Clock;
  identity?: Partial<TaskIdentity>;
  options?: Record<string, string>;
}

const running: VirtualProcess[] = [];

/** Kills what `run` started (for afterEach). */
export function killAll(): void {
  for (const vp of running.splice(0)) vp.kill();
}

export function run(program: BuiltinProgram, argv: string[], opts: RunOptions = {}): Running {
  let out = '';
  let err = '';
  let all = '';
  let onListen!: (port: number) => void;
  const listening = new Promise<number>((r) => (onListen = r));
  const vp = new VirtualProcess({
    program,
    argv,
    env: { PATH: '/bin', HOSTNAME: 'h', ...opts.env },
    options: opts.options ?? {},
    identity: identity(opts.identity),
    clock: opts.clock ?? systemClock,
    output: (stream, text) => {
      if (stream === 'stdout') out += text;
      else err += text;
      all += text;
    },
    bindAddress: () => ({ host: '127.0.0.1', port: 0 }),
    onListening: (_p, a) => onListen(a.port),
    ...(opts.net ? { net: opts.net } : {}),
    ...(opts.files ? { files: new Map(Object.entries(opts.files).map(([k, v]) => [k, Buffer.from(v)])) } : {}),
  });
  running.push(vp);
  vp.start();
  return { vp, stdout: () => out, stderr: () => err, output: () => all, exited: vp.exited, listening };
}
