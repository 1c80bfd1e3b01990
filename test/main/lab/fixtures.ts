// Small builders of the Engine API's objects, for the lab's pure tests: only the fields that matter
// to a test are given; the rest get plain defaults.

import type { NodeRole, TaskState, UpdateState } from '../../../core/api/objects.ts';
import type { ApiNode, ApiService, ApiTask, ClusterState } from '../../../main/lab/cluster-state.ts';
import type { MachineView } from '../../../main/lab/protocol.ts';

const T0 = '2025-01-01T00:00:00.000Z';

export function node(hostname: string, o: { role?: NodeRole; leader?: boolean; state?: ApiNode['Status']['State']; reach?: 'reachable' | 'unreachable'; availability?: 'active' | 'pause' | 'drain'; id?: string; created?: string } = {}): ApiNode {
  const role = o.role ?? 'worker';
  const n: ApiNode = {
    ID: o.id ?? `id-${hostname}`,
    Version: { Index: 1 },
    CreatedAt: o.created ?? T0,
    UpdatedAt: T0,
    Spec: { Role: role, Availability: o.availability ?? 'active', Labels: {} },
    Description: { Hostname: hostname, Platform: {}, Resources: {}, Engine: {} },
    Status: { State: o.state ?? 'ready', Addr: '127.0.0.1' },
    Role: role,
  };
  if (role === 'manager') n.ManagerStatus = { Leader: o.leader ?? false, Reachability: o.reach ?? 'reachable', Addr: '127.0.0.1:2377' };
  return n;
}

export function service(name: string, o: { replicas?: number; global?: boolean; image?: string; update?: UpdateState; message?: string; created?: string } = {}): ApiService {
  return {
    ID: `svc-${name}`,
    Version: { Index: 1 },
    CreatedAt: o.created ?? T0,
    UpdatedAt: T0,
    Spec: {
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: o.image ?? 'swarmlab/whoami:1' } },
      Mode: o.global ? { Global: {} } : { Replicated: { Replicas: o.replicas ?? 1 } },
    },
    ...(o.update ? { UpdateStatus: { State: o.update, ...(o.message ? { Message: o.message } : {}) } } : {}),
  };
}

export function task(svc: ApiService, slot: number | undefined, o: { id?: string; node?: string; state?: TaskState; desired?: TaskState; err?: string; image?: string } = {}): ApiTask {
  return {
    ID: o.id ?? `t-${svc.Spec.Name}-${slot ?? o.node}`,
    Version: { Index: 1 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: { ContainerSpec: { Image: o.image ?? svc.Spec.TaskTemplate.ContainerSpec.Image } },
    ServiceID: svc.ID,
    ServiceName: svc.Spec.Name,
    ...(slot !== undefined ? { Slot: slot } : {}),
    ...(o.node ? { NodeID: `id-${o.node}` } : {}),
    Status: { Timestamp: T0, State: o.state ?? 'running', Message: o.state ?? 'started', ...(o.err ? { Err: o.err } : {}) },
    DesiredState: o.desired ?? 'running',
  };
}

export function cluster(nodes: ApiNode[], services: ApiService[] = [], tasks: ApiTask[] = []): ClusterState {
  return { nodes, services, tasks };
}

export function machine(name: string, state: MachineView['state'] = 'Running', role: NodeRole = name.startsWith('manager') ? 'manager' : 'worker'): MachineView {
  return { name, role, state, address: '127.0.0.1' };
}

/** Three managers (manager1 leads) and two workers, all up, with their machines. */
export function fiveNodes(): { nodes: ApiNode[]; machines: MachineView[] } {
  return {
    nodes: [
      node('manager1', { role: 'manager', leader: true }),
      node('manager2', { role: 'manager' }),
      node('manager3', { role: 'manager' }),
      node('worker1'),
      node('worker2'),
    ],
    machines: ['manager1', 'manager2', 'manager3', 'worker1', 'worker2'].map((n) => machine(n)),
  };
}
