// The stack deployer's Engine API calls through dockerode, over a machine's unix socket (or any
// dockerode connection): what core/stack/deploy.ts asks for, with "not found" as undefined and
// every other failure as an Error carrying the engine's own message.

import Docker from 'dockerode';
import type { ConfigObject, NodeObject, SecretObject, ServiceObject, ServiceSpec, TaskObject } from '../../core/api/objects.ts';
import type { FileObjectSpec, NetworkCreate } from '../../core/stack/convert.ts';
import type { Filters, NetworkSummary, StackEngine } from '../../core/stack/deploy.ts';

export class EngineCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'EngineCallError';
  }
}

type Loose = Record<string, (opts?: object) => Promise<unknown>>;

export class DockerodeStackEngine implements StackEngine {
  readonly docker: Docker;

  constructor(
    /** The machine, for messages. */
    readonly machine: string,
    socketPathOrDocker: string | Docker,
    timeoutMs = 30_000,
  ) {
    this.docker = typeof socketPathOrDocker === 'string' ? new Docker({ socketPath: socketPathOrDocker, timeout: timeoutMs }) : socketPathOrDocker;
  }

  async listServices(filters: Filters, status = false) {
    return this.call('list services', () => this.docker.listServices({ filters: JSON.stringify(filters), ...(status ? { status: true } : {}) } as Docker.ServiceListOptions)) as unknown as Promise<
      (ServiceObject & { ServiceStatus?: { RunningTasks: number; DesiredTasks: number } })[]
    >;
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const r = (await this.call(`create service ${spec.Name ?? ''}`, () => this.docker.createService(spec as unknown as Docker.CreateServiceOptions))) as { id?: string; ID?: string };
    return r.ID ?? r.id ?? '';
  }

  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    await this.call(`update service ${spec.Name ?? id}`, () => (this.docker.getService(id) as unknown as Loose).update!({ _query: { version }, _body: spec }));
  }

  async removeService(id: string): Promise<void> {
    await this.call(`remove service ${id}`, () => this.docker.getService(id).remove());
  }

  async listTasks(filters: Filters): Promise<TaskObject[]> {
    return (await this.call('list tasks', () => this.docker.listTasks({ filters: JSON.stringify(filters) }))) as TaskObject[];
  }

  async listNodes(): Promise<NodeObject[]> {
    return (await this.call('list nodes', () => this.docker.listNodes())) as unknown as NodeObject[];
  }

  async listNetworks(filters: Filters): Promise<NetworkSummary[]> {
    return (await this.call('list networks', () => this.docker.listNetworks({ filters: JSON.stringify(filters) } as Docker.NetworkListOptions))) as NetworkSummary[];
  }

  async inspectNetwork(idOrName: string): Promise<NetworkSummary | undefined> {
    return this.found(() => this.docker.getNetwork(idOrName).inspect() as Promise<NetworkSummary>, `inspect network ${idOrName}`);
  }

  async createNetwork(spec: NetworkCreate): Promise<string> {
    const n = await this.call(`create network ${spec.Name}`, () => this.docker.createNetwork({ ...spec, CheckDuplicate: true } as unknown as Docker.NetworkCreateOptions));
    return (n as { id?: string }).id ?? '';
  }

  async removeNetwork(id: string): Promise<void> {
    await this.call(`remove network ${id}`, () => this.docker.getNetwork(id).remove());
  }

  async listSecrets(filters: Filters): Promise<SecretObject[]> {
    return (await this.call('list secrets', () => this.docker.listSecrets({ filters: JSON.stringify(filters) }))) as unknown as SecretObject[];
  }

  async inspectSecret(idOrName: string): Promise<SecretObject | undefined> {
    return this.found(() => this.docker.getSecret(idOrName).inspect() as unknown as Promise<SecretObject>, `inspect secret ${idOrName}`);
  }

  async createSecret(spec: FileObjectSpec): Promise<string> {
    const r = (await this.call(`create secret ${spec.Name}`, () => this.docker.createSecret(spec))) as { id?: string; ID?: string };
    return r.ID ?? r.id ?? '';
  }

  async updateSecret(id: string, version: number, spec: FileObjectSpec): Promise<void> {
    await this.call(`update secret ${spec.Name}`, () => (this.docker.getSecret(id) as unknown as Loose).update!({ _query: { version }, _body: spec }));
  }

  async removeSecret(id: string): Promise<void> {
    await this.call(`remove secret ${id}`, () => this.docker.getSecret(id).remove());
  }

  async listConfigs(filters: Filters): Promise<ConfigObject[]> {
    return (await this.call('list configs', () => this.docker.listConfigs({ filters: JSON.stringify(filters) }))) as unknown as ConfigObject[];
  }

  async inspectConfig(idOrName: string): Promise<ConfigObject | undefined> {
    return this.found(() => this.docker.getConfig(idOrName).inspect() as unknown as Promise<ConfigObject>, `inspect config ${idOrName}`);
  }

  async createConfig(spec: FileObjectSpec): Promise<string> {
    const r = (await this.call(`create config ${spec.Name}`, () => this.docker.createConfig(spec))) as { id?: string; ID?: string };
    return r.ID ?? r.id ?? '';
  }

  async updateConfig(id: string, version: number, spec: FileObjectSpec): Promise<void> {
    await this.call(`update config ${spec.Name}`, () => (this.docker.getConfig(id) as unknown as Loose).update!({ _query: { version }, _body: spec }));
  }

  async removeConfig(id: string): Promise<void> {
    await this.call(`remove config ${id}`, () => this.docker.getConfig(id).remove());
  }

  private async found<T>(fn: () => Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      const e = err as { statusCode?: number; json?: { message?: unknown } };
      // A 404 with Docker's "page not found" is a route this engine lacks, not an object it lacks.
      if (e.statusCode === 404 && !/page not found/i.test(String(e.json?.message ?? ''))) return undefined;
      throw this.error(err, what);
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.error(err, what);
    }
  }

  private error(err: unknown, what: string): EngineCallError {
    const e = err as { json?: { message?: unknown }; statusCode?: number; code?: string; message?: string };
    let why: string;
    if (typeof e.json?.message === 'string') why = e.json.message;
    else if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') why = `${this.machine} does not answer: its Docker API socket is closed (is the machine running?)`;
    else why = e.message ?? String(err);
    return new EngineCallError(e.statusCode ? why : `(${this.machine}) cannot ${what}: ${why}`, e.statusCode ?? 0);
  }
}
