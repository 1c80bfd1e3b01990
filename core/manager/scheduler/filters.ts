// The scheduler's filters, in SwarmKit's design: each one decides whether a node can take a task
// and, when nodes were refused, explains why in Docker's words ("3 nodes not available for new
// tasks"). A filter that has nothing to say about a task (no constraints, no reservations...)
// declines it in setTask and is skipped.

import type { Platform, TaskObject } from '../../api/objects.ts';
import { matchConstraints, parseConstraints, type Constraint } from '../../api/constraints.ts';
import type { HostPort, HostPortResolver, NodeInfo } from './node-info.ts';
import { reservedCPU, reservedMemory } from './node-info.ts';

export interface Filter {
  readonly name: string;
  /** Prepares the filter for a task; false when it does not apply to this task. */
  setTask(task: TaskObject): boolean;
  /** Whether the node can take the task (only called after setTask returned true). */
  check(node: NodeInfo): boolean;
  /** Called when this filter was the reason a node was refused (to say more in explain). */
  noteFailure?(node: NodeInfo): void;
  /** Why `count` nodes were refused. */
  explain(count: number): string;
}

/** "1 node", "3 nodes". */
export function nodes(count: number): string {
  return count === 1 ? '1 node' : `${count} nodes`;
}

/** The node is ready and active: down, paused and drained nodes take no new tasks. */
export class ReadyFilter implements Filter {
  readonly name = 'ready';
  setTask(): boolean {
    return true;
  }
  check(n: NodeInfo): boolean {
    return n.acceptsTasks; // Status.State ready and Spec.Availability active
  }
  explain(count: number): string {
    return `${nodes(count)} not available for new tasks`;
  }
}

/**
 * The node has the CPU and memory the task reserves, after what its other tasks reserve. Docker
 * says "insufficient resources on N nodes"; this says which resource, in the same shape:
 * "insufficient memory on 1 node", "insufficient CPU on 2 nodes" (a node short of both counts
 * for both).
 */
export class ResourceFilter implements Filter {
  readonly name = 'resources';
  private cpu = 0;
  private memory = 0;
  private shortOfCPU = 0;
  private shortOfMemory = 0;

  setTask(t: TaskObject): boolean {
    this.cpu = reservedCPU(t);
    this.memory = reservedMemory(t);
    this.shortOfCPU = 0;
    this.shortOfMemory = 0;
    return this.cpu > 0 || this.memory > 0;
  }

  check(n: NodeInfo): boolean {
    return this.cpu <= n.availableNanoCPUs && this.memory <= n.availableMemoryBytes;
  }

  noteFailure(n: NodeInfo): void {
    if (this.memory > n.availableMemoryBytes) this.shortOfMemory++;
    if (this.cpu > n.availableNanoCPUs) this.shortOfCPU++;
  }

  explain(count: number): string {
    const parts: string[] = [];
    if (this.shortOfMemory > 0) parts.push(`insufficient memory on ${nodes(this.shortOfMemory)}`);
    if (this.shortOfCPU > 0) parts.push(`insufficient CPU on ${nodes(this.shortOfCPU)}`);
    return parts.length > 0 ? parts.join('; ') : `insufficient resources on ${nodes(count)}`;
  }
}

/**
 * Placement constraints (`node.labels.zone==east`, `node.role!=manager`...). Constraints are
 * validated when a service is created; one that does not parse here disables the filter, as in
 * SwarmKit.
 */
export class ConstraintFilter implements Filter {
  readonly name = 'constraints';
  private constraints: Constraint[] = [];

  setTask(t: TaskObject): boolean {
    const list = t.Spec.Placement?.Constraints;
    if (!list || list.length === 0) return false;
    try {
      this.constraints = parseConstraints(list);
    } catch {
      return false;
    }
    return this.constraints.length > 0;
  }

  check(n: NodeInfo): boolean {
    return matchConstraints(this.constraints, n.node);
  }

  explain(count: number): string {
    return `scheduling constraints not satisfied on ${nodes(count)}`;
  }
}

/** Docker's architecture aliases. */
function normalizeArch(arch: string | undefined): string {
  if (arch === 'x86_64') return 'amd64';
  if (arch === 'aarch64') return 'arm64';
  return arch ?? '';
}

/** The task's image runs on the node's OS and architecture (Placement.Platforms, when given). */
export class PlatformFilter implements Filter {
  readonly name = 'platform';
  private platforms: Platform[] = [];

  setTask(t: TaskObject): boolean {
    this.platforms = t.Spec.Placement?.Platforms ?? [];
    return this.platforms.length > 0;
  }

  check(n: NodeInfo): boolean {
    const np = n.node.Description?.Platform;
    if (!np) return false;
    const arch = normalizeArch(np.Architecture);
    return this.platforms.some(
      (p) => (!p.Architecture || normalizeArch(p.Architecture) === arch) && (!p.OS || p.OS === np.OS),
    );
  }

  explain(count: number): string {
    return `unsupported platform on ${nodes(count)}`;
  }
}

/** A host-mode published port can be bound by one task per node. */
export class HostPortFilter implements Filter {
  readonly name = 'host-ports';
  private ports: readonly HostPort[] = [];

  constructor(private readonly resolve: HostPortResolver) {}

  setTask(t: TaskObject): boolean {
    this.ports = this.resolve(t);
    return this.ports.length > 0;
  }

  check(n: NodeInfo): boolean {
    if (n.usedHostPorts.size === 0) return true;
    return !this.ports.some((p) => n.hostPortInUse(p));
  }

  explain(count: number): string {
    return `host-mode port already in use on ${nodes(count)}`;
  }
}

/** Placement.MaxReplicas: at most this many of the service's tasks per node. */
export class MaxReplicasFilter implements Filter {
  readonly name = 'max-replicas';
  private serviceId = '';
  private max = 0;

  setTask(t: TaskObject): boolean {
    this.serviceId = t.ServiceID;
    this.max = t.Spec.Placement?.MaxReplicas ?? 0;
    return this.max > 0;
  }

  check(n: NodeInfo): boolean {
    return n.serviceTasks(this.serviceId) < this.max;
  }

  /** Docker's wording, count and grammar included. */
  explain(): string {
    return 'max replicas per node limit exceed';
  }
}

/** SwarmKit's order: readiness first, then the cheap checks before the costly ones. */
export function defaultFilters(hostPorts: HostPortResolver): Filter[] {
  return [
    new ReadyFilter(),
    new ResourceFilter(),
    new ConstraintFilter(),
    new PlatformFilter(),
    new HostPortFilter(hostPorts),
    new MaxReplicasFilter(),
  ];
}
