// What the scheduler knows about one node: the node object, the tasks placed on it, what they
// reserve (CPU, memory, host-mode ports) and how many of them are meant to run, in total and per
// service. Kept incrementally from the store's changes and from the scheduler's own decisions, so
// choosing a node never needs a scan of the tasks.

import type { NodeObject, PortConfig, ServiceObject, TaskObject } from '../../api/objects.ts';
import { isActive, stateRank } from '../../api/task-state.ts';

/** A host-mode published port, as a node holds it. */
export interface HostPort {
  protocol: NonNullable<PortConfig['Protocol']>;
  port: number;
}

/** The host-mode ports a task publishes (none for most tasks). */
export type HostPortResolver = (task: TaskObject) => readonly HostPort[];

const NO_PORTS: readonly HostPort[] = Object.freeze([]);

export function hostPortKey(p: HostPort): string {
  return `${p.port}/${p.protocol}`;
}

/** Host-mode ports with a published port, from a list of port configs (duplicates removed). */
export function hostModePorts(ports: readonly PortConfig[] | undefined): readonly HostPort[] {
  if (!ports || ports.length === 0) return NO_PORTS;
  let out: HostPort[] | undefined;
  for (const p of ports) {
    if (p.PublishMode !== 'host' || !p.PublishedPort) continue;
    const hp: HostPort = { protocol: p.Protocol ?? 'tcp', port: p.PublishedPort };
    out ??= [];
    if (!out.some((o) => o.port === hp.port && o.protocol === hp.protocol)) out.push(hp);
  }
  return out ?? NO_PORTS;
}

/**
 * The default resolver: the task's own endpoint when it carries one (the networking work may add
 * it, as SwarmKit's Task.Endpoint), else its service's allocated endpoint, else the service spec.
 */
export function serviceHostPorts(service: (id: string) => ServiceObject | undefined): HostPortResolver {
  return (task) => {
    const own = (task as { Endpoint?: { Ports?: PortConfig[] } }).Endpoint?.Ports;
    if (own) return hostModePorts(own);
    const s = service(task.ServiceID);
    return hostModePorts(s?.Endpoint?.Ports ?? s?.Spec.EndpointSpec?.Ports);
  };
}

const RUNNING = stateRank('running');

/** The task holds its node's resources: placed there and observed between assigned and running. */
export function holdsNode(t: TaskObject): boolean {
  return !!t.NodeID && isActive(t.Status.State);
}

/** The task counts for spreading: it is meant to run (desired state not past running). */
export function meantToRun(t: TaskObject): boolean {
  return stateRank(t.DesiredState) <= RUNNING;
}

export function reservedCPU(t: TaskObject): number {
  return t.Spec.Resources?.Reservations?.NanoCPUs ?? 0;
}

export function reservedMemory(t: TaskObject): number {
  return t.Spec.Resources?.Reservations?.MemoryBytes ?? 0;
}

/** SwarmKit's: a service's failures on a node are counted over this window... */
export const MONITOR_FAILURES_MS = 5 * 60_000;
/** ...and this many of them make the node the last choice for that service. */
export const MAX_FAILURES = 5;

/** Failures are tracked per service and spec version, as SwarmKit's versioned service. */
export function failureKey(t: TaskObject): string {
  return `${t.ServiceID}@${t.SpecVersion?.Index ?? 0}`;
}

export class NodeInfo {
  readonly id: string;
  node: NodeObject;
  /** Tasks placed here that hold resources (assigned .. running), by task ID. */
  readonly tasks = new Map<string, TaskObject>();
  /** Of those, the ones meant to run. */
  activeTasksCount = 0;
  readonly activeTasksCountByService = new Map<string, number>();
  /** Host ports in use: "port/protocol" -> how many tasks hold it. */
  readonly usedHostPorts = new Map<string, number>();
  /** Ready and active: the node takes new tasks. */
  acceptsTasks = false;
  /** The node's resources minus what its tasks reserve. */
  availableNanoCPUs = 0;
  availableMemoryBytes = 0;
  private reservedNanoCPUs = 0;
  private reservedMemoryBytes = 0;
  /** The ports each task was counted with, so it releases exactly those. */
  private readonly portsByTask = new Map<string, readonly HostPort[]>();
  private readonly failures = new Map<string, number[]>();

  constructor(node: NodeObject) {
    this.id = node.ID;
    this.node = node;
    this.computeAvailable();
  }

  setNode(node: NodeObject): void {
    this.node = node;
    this.computeAvailable();
  }

  private computeAvailable(): void {
    this.acceptsTasks = this.node.Status.State === 'ready' && this.node.Spec.Availability === 'active';
    const r = this.node.Description?.Resources;
    this.availableNanoCPUs = (r?.NanoCPUs ?? 0) - this.reservedNanoCPUs;
    this.availableMemoryBytes = (r?.MemoryBytes ?? 0) - this.reservedMemoryBytes;
  }

  serviceTasks(serviceId: string): number {
    return this.activeTasksCountByService.get(serviceId) ?? 0;
  }

  hasTask(id: string): boolean {
    return this.tasks.has(id);
  }

  /**
   * Adds a task, or replaces the stored version of one already here. A task's reservations and
   * ports are counted once, when it arrives; a new version only changes whether it is meant to run.
   */
  addTask(task: TaskObject, ports: readonly HostPort[] = NO_PORTS): void {
    const old = this.tasks.get(task.ID);
    this.tasks.set(task.ID, task);
    if (old) {
      const was = meantToRun(old);
      const is = meantToRun(task);
      if (was !== is) this.count(task.ServiceID, is ? 1 : -1);
      return;
    }
    const cpu = reservedCPU(task);
    const memory = reservedMemory(task);
    if (cpu !== 0 || memory !== 0) {
      this.reservedNanoCPUs += cpu;
      this.reservedMemoryBytes += memory;
      this.availableNanoCPUs -= cpu;
      this.availableMemoryBytes -= memory;
    }
    if (ports.length > 0) {
      this.portsByTask.set(task.ID, ports);
      for (const p of ports) {
        const k = hostPortKey(p);
        this.usedHostPorts.set(k, (this.usedHostPorts.get(k) ?? 0) + 1);
      }
    }
    if (meantToRun(task)) this.count(task.ServiceID, 1);
  }

  /** Removes a task and releases what it held. Returns false if it was not here. */
  removeTask(id: string): boolean {
    const old = this.tasks.get(id);
    if (!old) return false;
    this.tasks.delete(id);
    const cpu = reservedCPU(old);
    const memory = reservedMemory(old);
    if (cpu !== 0 || memory !== 0) {
      this.reservedNanoCPUs -= cpu;
      this.reservedMemoryBytes -= memory;
      this.availableNanoCPUs += cpu;
      this.availableMemoryBytes += memory;
    }
    const ports = this.portsByTask.get(id);
    if (ports) {
      this.portsByTask.delete(id);
      for (const p of ports) {
        const k = hostPortKey(p);
        const n = (this.usedHostPorts.get(k) ?? 0) - 1;
        if (n > 0) this.usedHostPorts.set(k, n);
        else this.usedHostPorts.delete(k);
      }
    }
    if (meantToRun(old)) this.count(old.ServiceID, -1);
    return true;
  }

  hostPortInUse(p: HostPort): boolean {
    return this.usedHostPorts.has(hostPortKey(p));
  }

  /** Records that a task of this service (and spec version) failed here, at `now` (ms). */
  taskFailed(task: TaskObject, now: number): void {
    const key = failureKey(task);
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - MONITOR_FAILURES_MS);
    list.push(now);
    this.failures.set(key, list);
  }

  /** Failures of this task's service (and spec version) here within the monitoring window. */
  recentFailures(key: string, now: number): number {
    if (this.failures.size === 0) return 0;
    const list = this.failures.get(key);
    if (!list) return 0;
    let n = 0;
    for (const t of list) if (t > now - MONITOR_FAILURES_MS) n++;
    if (n === 0) this.failures.delete(key);
    return n;
  }

  private count(serviceId: string, delta: number): void {
    this.activeTasksCount += delta;
    const n = (this.activeTasksCountByService.get(serviceId) ?? 0) + delta;
    if (n > 0) this.activeTasksCountByService.set(serviceId, n);
    else this.activeTasksCountByService.delete(serviceId);
  }
}
