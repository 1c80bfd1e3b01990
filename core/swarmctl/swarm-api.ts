// The Engine API endpoints swarmctl uses, typed with the objects' Docker shapes. References (IDs,
// names, ID prefixes) are resolved by the daemon, as `docker service inspect NAME` relies on.

import type { IncomingMessage } from 'node:http';
import type { ClusterObject, ClusterSpec, NodeObject, NodeSpec, ServiceObject, ServiceSpec, TaskObject } from '../api/objects.ts';
import type { HttpClient } from './client.ts';

export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks?: number;
}

export type ServiceWithStatus = ServiceObject & { ServiceStatus?: ServiceStatus };

export interface LogOptions {
  follow?: boolean;
  tail?: string;
  signal?: AbortSignal;
}

const ref = (s: string) => encodeURIComponent(s);

/** Docker's `filters` parameter: {"name": ["value", ...]}. */
const filters = (f: Record<string, string[]>) => JSON.stringify(f);

export class SwarmApi {
  constructor(private readonly http: HttpClient) {}

  listNodes(): Promise<NodeObject[]> {
    return this.http.json('GET', '/nodes');
  }

  getNode(id: string): Promise<NodeObject> {
    return this.http.json('GET', `/nodes/${ref(id)}`);
  }

  updateNode(id: string, version: number, spec: NodeSpec): Promise<void> {
    return this.http.json('POST', `/nodes/${ref(id)}/update`, { query: { version }, body: spec });
  }

  removeNode(id: string, force: boolean): Promise<void> {
    return this.http.json('DELETE', `/nodes/${ref(id)}`, { query: { force: force || undefined } });
  }

  listServices(): Promise<ServiceWithStatus[]> {
    return this.http.json('GET', '/services', { query: { status: true } });
  }

  getService(id: string): Promise<ServiceObject> {
    return this.http.json('GET', `/services/${ref(id)}`);
  }

  createService(spec: ServiceSpec): Promise<{ ID: string }> {
    return this.http.json('POST', '/services/create', { body: spec });
  }

  updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    return this.http.json('POST', `/services/${ref(id)}/update`, { query: { version }, body: spec });
  }

  removeService(id: string): Promise<void> {
    return this.http.json('DELETE', `/services/${ref(id)}`);
  }

  /** Multiplexed stdout/stderr frames, each line prefixed with its details (the task and node it came from). */
  serviceLogs(id: string, opts: LogOptions = {}): Promise<IncomingMessage> {
    return this.http.open('GET', `/services/${ref(id)}/logs`, {
      query: { stdout: 1, stderr: 1, details: 1, follow: opts.follow ? 1 : undefined, tail: opts.tail },
      signal: opts.signal,
    });
  }

  listTasks(f: { service?: string[]; node?: string[] } = {}): Promise<TaskObject[]> {
    const given = Object.fromEntries(Object.entries(f).filter(([, v]) => v?.length)) as Record<string, string[]>;
    return this.http.json('GET', '/tasks', { query: { filters: Object.keys(given).length ? filters(given) : undefined } });
  }

  getTask(id: string): Promise<TaskObject> {
    return this.http.json('GET', `/tasks/${ref(id)}`);
  }

  getSwarm(): Promise<ClusterObject> {
    return this.http.json('GET', '/swarm');
  }

  updateSwarm(version: number, spec: ClusterSpec, rotate: { worker?: boolean; manager?: boolean } = {}): Promise<void> {
    return this.http.json('POST', '/swarm/update', {
      query: { version, rotateWorkerToken: rotate.worker || undefined, rotateManagerToken: rotate.manager || undefined },
      body: spec,
    });
  }
}
