// BusyBox ping's output without raw sockets (which would need root): the name is resolved as ping
// does, and each "echo" is a TCP connection attempt to port 80 of that address. An accepted or
// refused connection is a reply, and its time is the real round trip of the handshake; no answer
// within a second is a lost packet. The TTL printed is not measured.
//
// A name the task's networks know (a service, tasks.NAME, a task) and an overlay address are
// reached through the task's network (ctx.net); the container's own loopback and names only the
// outside world knows (what a container reaches through its gateway) through the node's resolver.
//
// Like the real one as PID 1, it has a handler for SIGINT only (statistics, then exit): `docker
// stop`'s SIGTERM is ignored and the task is killed after its grace period.

import { lookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import type { BuiltinProgram, ProgramContext } from '../program.ts';

const PROBE_PORT = 80;
const PROBE_TIMEOUT_MS = 1_000;

interface PingArgs {
  host: string;
  count?: number;
  intervalMs: number;
  quiet: boolean;
  family: 0 | 4 | 6;
}

const USAGE = 'Usage: ping [OPTIONS] HOST\n\nSend ICMP ECHO_REQUESTs to HOST\n\n\t-4,-6\t\tForce IP or IPv6 name resolution\n\t-c CNT\t\tSend only CNT pings\n\t-i SECS\t\tInterval\n\t-q\t\tQuiet, only display output at start and when finished\n';

export function parsePingArgs(args: readonly string[]): PingArgs | string {
  const out: Partial<PingArgs> = { intervalMs: 1000, quiet: false, family: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') {
      if (out.host !== undefined) return USAGE;
      out.host = a;
      continue;
    }
    const flag = a[1]!;
    if ('46q'.includes(flag) && a.length === 2) {
      if (flag === 'q') out.quiet = true;
      else out.family = flag === '4' ? 4 : 6;
      continue;
    }
    if (flag !== 'c' && flag !== 'i') return `ping: unrecognized option '${a}'\n${USAGE}`;
    const value = a.length > 2 ? a.slice(2) : args[++i];
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < 0 || (flag === 'c' && !Number.isInteger(n))) {
      return `ping: invalid number '${value ?? ''}'\n`;
    }
    if (flag === 'c') out.count = n;
    else out.intervalMs = Math.max(10, n * 1000);
  }
  if (out.host === undefined) return USAGE;
  return out as PingArgs;
}

export const pingProgram: BuiltinProgram = {
  async run(ctx) {
    const args = parsePingArgs(ctx.argv.slice(1));
    if (typeof args === 'string') {
      ctx.stderr.write(args);
      return ctx.exit(1);
    }
    let target: Target;
    try {
      target = await resolveTarget(ctx, args.host, args.family);
    } catch {
      if (ctx.exited) return;
      ctx.stderr.write(`ping: bad address '${args.host}'\n`);
      return ctx.exit(1);
    }
    if (ctx.exited) return;
    ctx.stdout.write(`PING ${args.host} (${target.address}): 56 data bytes\n`);
    new Pinger(ctx, args, target).start();
  },
};

interface Target {
  address: string;
  /** Through the task's networks, or the node's own (loopback, the outside world). */
  via: 'net' | 'host';
}

const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

async function resolveTarget(ctx: ProgramContext, host: string, family: 0 | 4 | 6): Promise<Target> {
  if (isIP(host)) return { address: host, via: isLoopback(host) ? 'host' : 'net' };
  try {
    const swarm = (await ctx.net.lookup(host)).find((a) => family === 0 || isIP(a) === family);
    if (swarm !== undefined) return { address: swarm, via: 'net' };
  } catch {
    // not a name of the task's networks: the outside world's resolver
  }
  return { address: await resolve(host, family), via: 'host' };
}

async function resolve(host: string, family: 0 | 4 | 6): Promise<string> {
  if (family !== 0) return (await lookup(host, { family })).address;
  // BusyBox prefers IPv4, so "ping localhost" shows 127.0.0.1.
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return (await lookup(host)).address;
  }
}

class Pinger {
  private seq = 0;
  private received = 0;
  private min = Infinity;
  private max = 0;
  private sum = 0;
  private inFlight = 0;

  constructor(
    private readonly ctx: ProgramContext,
    private readonly args: PingArgs,
    private readonly target: Target,
  ) {}

  private get address(): string {
    return this.target.address;
  }

  start(): void {
    this.ctx.onSignal((signal) => {
      if (signal === 'SIGINT') this.finish();
    });
    if (this.args.count === 0) return this.finish();
    this.probe();
    const timer = this.ctx.setInterval(() => {
      if (this.args.count !== undefined && this.seq >= this.args.count) return timer.cancel();
      this.probe();
    }, this.args.intervalMs);
  }

  private probe(): void {
    const seq = this.seq++;
    this.inFlight++;
    const started = performance.now();
    let socket: Socket | undefined;
    let settled = false;
    const untie = this.ctx.hold(() => socket?.destroy());
    const done = (replied: boolean) => {
      if (settled) return;
      settled = true;
      untie();
      socket?.destroy();
      this.inFlight--;
      if (replied) this.reply(seq, performance.now() - started);
      if (this.args.count !== undefined && this.seq >= this.args.count && this.inFlight === 0) this.finish();
    };
    const answered = (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET');
    if (this.target.via === 'net') {
      const timer = this.ctx.setTimeout(() => done(false), PROBE_TIMEOUT_MS);
      this.ctx.net.connect(this.address, PROBE_PORT).then(
        (s) => {
          timer.cancel();
          socket = s;
          if (settled) s.destroy();
          else done(true);
        },
        (err: NodeJS.ErrnoException) => {
          timer.cancel();
          answered(err);
        },
      );
      return;
    }
    const s = connect({ host: this.address, port: PROBE_PORT });
    socket = s;
    s.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    s.once('connect', () => done(true));
    s.on('error', answered);
  }

  private reply(seq: number, ms: number): void {
    if (this.ctx.exited) return;
    this.received++;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    this.sum += ms;
    if (!this.args.quiet) this.ctx.stdout.write(`64 bytes from ${this.address}: seq=${seq} ttl=64 time=${ms.toFixed(3)} ms\n`);
  }

  private finish(): void {
    if (this.ctx.exited) return;
    const sent = this.seq;
    const loss = sent === 0 ? 0 : Math.floor(((sent - this.received) * 100) / sent);
    let text = `\n--- ${this.args.host} ping statistics ---\n${sent} packets transmitted, ${this.received} packets received, ${loss}% packet loss\n`;
    if (this.received > 0) {
      const avg = this.sum / this.received;
      text += `round-trip min/avg/max = ${this.min.toFixed(3)}/${avg.toFixed(3)}/${this.max.toFixed(3)} ms\n`;
    }
    this.ctx.stdout.write(text);
    this.ctx.exit(this.received > 0 ? 0 : 1);
  }
}
