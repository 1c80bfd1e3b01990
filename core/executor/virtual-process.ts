// A built-in program running inside the node's process as if it were a container's PID 1: its own
// arguments, environment, output and exit code; signals it has no handler for do nothing; a kill
// ends it at once, releasing every timer, socket and server it held, with exit code 137.

import type { Server, Socket } from 'node:net';
import type { Clock, Timer } from '../clock.ts';
import type { ProgramOptions } from './catalog.ts';
import type { BuiltinProgram, ListenedAddress, ProgramContext, TaskIdentity, TaskNetwork } from './program.ts';
import { SIGKILL_EXIT_CODE, type SignalName } from './signals.ts';
import type { LogStream } from './task-log.ts';
import type { TaskProcess } from './task-process.ts';

export interface VirtualProcessOptions {
  program: BuiltinProgram;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  options: ProgramOptions;
  identity: TaskIdentity;
  clock: Clock;
  output: (stream: LogStream, text: string) => void;
  /** Where a server for this container port binds. */
  bindAddress: (containerPort: number) => ListenedAddress;
  onListening?: (containerPort: number, address: ListenedAddress, server: Server) => void;
  /** The task's networks (default: none — every name is unknown). */
  net?: TaskNetwork;
  /** Files mounted into the task by absolute path (secrets, configs). */
  files?: ReadonlyMap<string, Buffer>;
}

const notFound = (name: string) => Object.assign(new Error(`lookup ${name}: no such host`), { code: 'ENOTFOUND' });

/** A task attached to no network: nothing resolves. */
export const NO_NETWORK: TaskNetwork = {
  addresses: [],
  lookup: (name) => Promise.reject(notFound(name)),
  connect: (host) => Promise.reject(notFound(host)),
};

export class VirtualProcess implements TaskProcess {
  readonly exited: Promise<number>;
  private resolveExit!: (code: number) => void;
  private done = false;
  private readonly holds = new Set<() => void>();
  private readonly handlers: ((signal: SignalName) => void)[] = [];

  constructor(private readonly opts: VirtualProcessOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  start(): void {
    try {
      const running = this.opts.program.run(this.context());
      if (running) running.catch((err: unknown) => this.crash(err));
    } catch (err) {
      this.crash(err);
    }
  }

  signal(signal: SignalName): void {
    if (this.done) return;
    if (signal === 'SIGKILL') return this.kill();
    for (const h of this.handlers) {
      try {
        h(signal);
      } catch (err) {
        this.crash(err);
      }
    }
  }

  kill(): void {
    this.end(SIGKILL_EXIT_CODE);
  }

  private end(code: number): void {
    if (this.done) return;
    this.done = true;
    for (const release of this.holds) {
      try {
        release();
      } catch {
        // Releasing is best effort: the process is gone either way.
      }
    }
    this.holds.clear();
    this.resolveExit(code);
  }

  /** An unexpected error ends the program as an uncaught one would: message on stderr, code 1. */
  private crash(err: unknown): void {
    if (this.done) return;
    const name = this.opts.argv[0]?.split('/').pop() ?? 'program';
    this.opts.output('stderr', `${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    this.end(1);
  }

  /** A process that has ended writes nothing more. */
  private write(stream: LogStream, text: string): void {
    if (!this.done) this.opts.output(stream, text);
  }

  private hold(release: () => void): () => void {
    if (this.done) {
      release();
      return () => {};
    }
    this.holds.add(release);
    return () => this.holds.delete(release);
  }

  private timer(kind: 'setTimeout' | 'setInterval', fn: () => void, ms: number): Timer {
    let untie = () => {};
    const t = this.opts.clock[kind](() => {
      if (kind === 'setTimeout') untie();
      if (this.done) return;
      try {
        fn();
      } catch (err) {
        this.crash(err);
      }
    }, ms);
    untie = this.hold(() => t.cancel());
    return {
      cancel: () => {
        untie();
        t.cancel();
      },
    };
  }

  private async listen(server: Server, containerPort: number): Promise<ListenedAddress> {
    const want = this.opts.bindAddress(containerPort);
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    const close = () => {
      server.close();
      for (const s of sockets) s.destroy();
    };
    const untie = this.hold(close);
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) => reject(new Error(`listen tcp ${want.host}:${want.port}: bind: ${describeListenError(err)}`));
      server.once('error', failed);
      server.listen({ host: want.host, port: want.port }, () => {
        server.off('error', failed);
        resolve();
      });
    }).catch((err: unknown) => {
      untie();
      throw err;
    });
    // Killed while binding: the release ran before there was anything to close.
    if (this.done) {
      close();
      throw new Error('process ended');
    }
    // A server error after the bind (an accept failing, say) is the program's, not the node's.
    server.on('error', (err) => this.crash(err));
    const bound = server.address();
    const address = { host: want.host, port: typeof bound === 'object' && bound ? bound.port : want.port };
    this.opts.output('stdout', `Listening on ${address.host}:${address.port}\n`);
    this.opts.onListening?.(containerPort, address, server);
    return address;
  }

  private context(): ProgramContext {
    const { opts } = this;
    const isDone = () => this.done;
    return {
      argv: opts.argv,
      env: opts.env,
      options: opts.options,
      identity: opts.identity,
      clock: opts.clock,
      stdout: { write: (text) => this.write('stdout', text) },
      stderr: { write: (text) => this.write('stderr', text) },
      onSignal: (handler) => void this.handlers.push(handler),
      exit: (code) => this.end(code),
      get exited() {
        return isDone();
      },
      hold: (release) => this.hold(release),
      setTimeout: (fn, ms) => this.timer('setTimeout', fn, ms),
      setInterval: (fn, ms) => this.timer('setInterval', fn, ms),
      listen: (server, port) => this.listen(server, port),
      net: this.network(opts.net ?? NO_NETWORK),
      readFile: (path) => opts.files?.get(path),
    };
  }

  /** The task's network, with its connections tied to the process (closed when it ends). */
  private network(net: TaskNetwork): TaskNetwork {
    return {
      addresses: net.addresses,
      lookup: (name) => net.lookup(name),
      connect: async (host, port) => {
        const socket = await net.connect(host, port);
        if (this.done) {
          socket.destroy();
          throw Object.assign(new Error('the process has exited'), { code: 'ECONNABORTED' });
        }
        const untie = this.hold(() => socket.destroy());
        socket.once('close', untie);
        return socket;
      },
    };
  }
}

function describeListenError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
      return 'permission denied';
    case 'EADDRNOTAVAIL':
      return 'cannot assign requested address';
    default:
      return err.message;
  }
}
