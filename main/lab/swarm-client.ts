// The lab's client to one machine's Docker Engine API, through dockerode over the machine's unix
// socket: the reads that make a view, the events that say when to read again, and the writes the
// lab's actions make. Failures come back as LabErrors that name the machine and say what the
// engine said, or that it did not answer.

import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { NodeObject, NodeSpec, ServiceSpec } from '../../core/api/objects.ts';
import type { ApiNetwork, ApiNode, ApiService, ApiTask, ClusterState } from './cluster-state.ts';
import { LabError } from './errors.ts';

export interface SwarmClientOptions {
  /** How long a read may take before the manager counts as not answering (default 3 s). */
  readTimeoutMs?: number;
  /** How long a write may take (default 20 s: it goes to the leader, which may be busy electing). */
  writeTimeoutMs?: number;
}

export class SwarmClient {
  private readonly reads: Docker;
  private readonly writes: Docker;
  private readonly readTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  /** No timeout: events and logs are quiet for as long as nothing happens. */
  private readonly streams: Docker;

  constructor(
    /** The machine, for messages. */
    readonly machine: string,
    readonly socketPath: string,
    opts: SwarmClientOptions = {},
  ) {
    this.readTimeoutMs = opts.readTimeoutMs ?? 3_000;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 20_000;
    this.reads = new Docker({ socketPath, timeout: this.readTimeoutMs });
    this.writes = new Docker({ socketPath, timeout: this.writeTimeoutMs });
    this.streams = new Docker({ socketPath });
  }

  /** The swarm's nodes, services, tasks and networks, read side by side. */
  async read(): Promise<ClusterState> {
    const [nodes, services, tasks, networks] = await Promise.all([
      this.call('list the nodes', this.readTimeoutMs, () => this.reads.listNodes() as Promise<unknown> as Promise<ApiNode[]>),
      this.call('list the services', this.readTimeoutMs, () => this.reads.listServices({ status: true } as Docker.ServiceListOptions) as Promise<unknown> as Promise<ApiService[]>),
      this.call('list the tasks', this.readTimeoutMs, () => this.reads.listTasks() as Promise<unknown> as Promise<ApiTask[]>),
      this.call('list the networks', this.readTimeoutMs, () => this.reads.listNetworks() as Promise<unknown> as Promise<ApiNetwork[]>),
    ]);
    return { nodes, services, tasks, networks };
  }

  /**
   * Calls `onEvent` for each cluster event (nodes, services, tasks, networks) until `signal` aborts; resolves
   * when the stream ends for any other reason (the manager went away), rejects if it cannot start.
   */
  async followEvents(onEvent: () => void, signal: AbortSignal): Promise<void> {
    const stream = (await this.call('follow the events', Infinity, () =>
      this.streams.getEvents({ filters: { type: ['node', 'service', 'task', 'network'] }, abortSignal: signal } as Docker.GetEventsOptions),
    )) as Readable;
    await new Promise<void>((resolve) => {
      const end = () => {
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => stream.destroy();
      signal.addEventListener('abort', abort);
      if (signal.aborted) abort();
      stream.on('data', () => onEvent());
      stream.on('error', end);
      stream.on('close', end);
      stream.on('end', end);
    });
  }

  async joinTokens(): Promise<{ Worker: string; Manager: string }> {
    const swarm = (await this.call('inspect the swarm', this.readTimeoutMs, () => this.reads.swarmInspect())) as { JoinTokens?: { Worker: string; Manager: string } };
    if (!swarm.JoinTokens) throw new LabError(`(${this.machine}) the swarm gave no join tokens: is ${this.machine} a manager?`);
    return swarm.JoinTokens;
  }

  async join(req: { ListenAddr: string; AdvertiseAddr: string; RemoteAddrs: string[]; JoinToken: string }): Promise<void> {
    await this.call('join the swarm', this.writeTimeoutMs, () => this.writes.swarmJoin(req));
  }

  async node(id: string): Promise<NodeObject> {
    return (await this.call(`inspect node ${id}`, this.readTimeoutMs, () => this.reads.getNode(id).inspect())) as NodeObject;
  }

  async updateNode(id: string, version: number, spec: NodeSpec): Promise<void> {
    await this.call(`update node ${id}`, this.writeTimeoutMs, () => loose(this.writes.getNode(id)).update({ _query: { version }, _body: spec }));
  }

  async removeNode(id: string, force: boolean): Promise<void> {
    await this.call(`remove node ${id}`, this.writeTimeoutMs, () => loose(this.writes.getNode(id)).remove({ force }));
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const r = (await this.call(`create service ${spec.Name ?? ''}`, this.writeTimeoutMs, () => this.writes.createService(spec as unknown as Docker.CreateServiceOptions))) as unknown as { id?: string; ID?: string };
    const id = r.ID ?? r.id;
    if (!id) throw new LabError(`(${this.machine}) the swarm created service ${spec.Name ?? ''} but gave no ID`);
    return id;
  }

  async service(id: string): Promise<ApiService> {
    return (await this.call(`inspect service ${id}`, this.readTimeoutMs, () => this.reads.getService(id).inspect())) as ApiService;
  }

  async updateService(id: string, version: number, spec: ServiceSpec, rollback = false): Promise<void> {
    const query = rollback ? { version, rollback: 'previous' } : { version };
    await this.call(`update service ${spec.Name ?? id}`, this.writeTimeoutMs, () => loose(this.writes.getService(id)).update({ _query: query, _body: spec }));
  }

  async removeService(id: string): Promise<void> {
    await this.call(`remove service ${id}`, this.writeTimeoutMs, () => this.writes.getService(id).remove());
  }

  /** A service's output, multiplexed as Docker sends it (stdcopy frames), with details for the task and node. */
  async serviceLogs(id: string, opts: { tail?: number; signal: AbortSignal }): Promise<Readable> {
    const query = { follow: true, stdout: true, stderr: true, details: true, tail: opts.tail === undefined ? 'all' : String(opts.tail), abortSignal: opts.signal };
    return (await this.call(`read the logs of service ${id}`, Infinity, () => loose(this.streams.getService(id)).logs(query))) as unknown as Readable;
  }

  /** Splits a stdcopy stream into its stdout and stderr. */
  demux(stream: Readable, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
    this.streams.modem.demuxStream(stream, stdout, stderr);
  }

  private async call<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await fn();
    } catch (err) {
      // The modem's timeout ends the request as a hang-up: only the time taken tells them apart.
      const why = Date.now() - start >= timeoutMs - 20 ? `${this.machine} did not answer within ${timeoutMs / 1000} s (is the machine paused or overloaded?)` : engineMessage(err, this.machine);
      throw new LabError(`(${this.machine}) cannot ${what}: ${why}`);
    }
  }
}

/**
 * dockerode's calls take modem options its types do not list: `_query` and `_body` keep a spec out
 * of the query string, `abortSignal` ends a stream.
 */
function loose(o: object): Record<'update' | 'remove' | 'logs', (opts: object) => Promise<unknown>> {
  return o as Record<'update' | 'remove' | 'logs', (opts: object) => Promise<unknown>>;
}

/** What went wrong with a call, for a person: the engine's own message, or why it did not answer. */
export function engineMessage(err: unknown, machine: string): string {
  const e = err as { json?: { message?: unknown }; statusCode?: number; code?: string; message?: string; name?: string };
  if (typeof e.json?.message === 'string') return e.json.message;
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
      return `${machine} does not answer: its Docker API socket is closed (is the machine running?)`;
    case 'ECONNRESET':
      return `${machine} closed the connection (did the machine stop?)`;
  }
  return e.message ?? String(err);
}
