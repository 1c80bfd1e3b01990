// What a built-in program sees. Built-in programs run inside the node's process (a workshop laptop
// runs hundreds of tasks), so everything a real process would get from the kernel — arguments,
// environment, output streams, signals, exit, sockets — comes through this context, and everything
// the program holds is released through it when the process ends or is killed.

import type { Server, Socket } from 'node:net';
import type { Clock, Timer } from '../clock.ts';
import type { ProgramOptions } from './catalog.ts';
import type { SignalName } from './signals.ts';

export interface TaskIdentity {
  taskId: string;
  taskName: string;
  serviceId: string;
  serviceName: string;
  /** Replicated services only. */
  slot?: number;
  nodeId: string;
  nodeHostname: string;
  containerId: string;
  /** The container's hostname (HOSTNAME). */
  hostname: string;
  /** The image reference as the spec wrote it. */
  image: string;
}

export interface ProgramOutput {
  write(text: string): void;
}

export interface ListenedAddress {
  host: string;
  port: number;
}

/**
 * The task's view of the swarm's networks, as a container's resolver and routes would give it:
 * names resolve only on the networks the task is attached to.
 */
export interface TaskNetwork {
  /** The task's own addresses (one per attached network, without the prefix length). */
  readonly addresses: readonly string[];
  /**
   * Docker's embedded DNS: a service name (or alias) gives its virtual IP (its task addresses for
   * dnsrr), `tasks.NAME` every running task's address, a task name or container hostname its
   * address. Rejects with an Error whose `code` is 'ENOTFOUND' for a name it does not know.
   */
  lookup(name: string): Promise<string[]>;
  /**
   * A TCP connection to HOST:PORT, HOST a name or an overlay address; a virtual IP is balanced
   * across the service's running tasks. Rejects (`code` ECONNREFUSED, ENOTFOUND, EHOSTUNREACH,
   * ETIMEDOUT) when nothing answers. The socket is connected when it resolves.
   */
  connect(host: string, port: number): Promise<Socket>;
}

export interface ProgramContext {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** What the image's tag bakes in (whoami's version, web's colour). */
  readonly options: ProgramOptions;
  readonly identity: TaskIdentity;
  readonly clock: Clock;
  readonly stdout: ProgramOutput;
  readonly stderr: ProgramOutput;
  /**
   * Receives the signals sent to the process. Without a handler a signal does nothing, as for
   * PID 1 in a container, which has no default signal actions; only a kill ends such a process.
   */
  onSignal(handler: (signal: SignalName) => void): void;
  /** Ends the process with this code, releasing everything it holds. Later calls do nothing. */
  exit(code: number): void;
  readonly exited: boolean;
  /** Ties a resource to the process: `release` runs when it ends. Returns an untie function. */
  hold(release: () => void): () => void;
  /** Timers on the task's clock that die with the process. */
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
  /**
   * Binds a server for `containerPort` (the port the program would use in a container) where the
   * node puts it, logs `Listening on HOST:PORT`, and closes it when the process ends.
   */
  listen(server: Server, containerPort: number): Promise<ListenedAddress>;
  /** The swarm networks the task is attached to. */
  readonly net: TaskNetwork;
  /**
   * A file mounted into the task (a secret under /run/secrets, a config at its target): its
   * contents, or undefined when nothing is mounted at that path.
   */
  readFile(path: string): Buffer | undefined;
}

export interface BuiltinProgram {
  /** Sets the program going; it ends by calling ctx.exit. A throw or rejection exits with 1. */
  run(ctx: ProgramContext): void | Promise<void>;
  /** Whether this program handles these arguments itself (else they run as a real process). */
  accepts?(argv: readonly string[]): boolean;
}
