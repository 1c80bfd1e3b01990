// Docker-shaped objects as swarmd's Engine API returns them, for the formatting tests.

import type { ClusterObject, NodeObject, ServiceObject, TaskObject } from '../../../core/api/objects.ts';

export const NOW = new Date('2024-05-01T12:00:00Z');
export const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

const meta = (id: string, created = ago(3600)) => ({ ID: id, Version: { Index: 10 }, CreatedAt: created, UpdatedAt: created });

export function node(id: string, over: Partial<NodeObject> & { hostname?: string } = {}): NodeObject {
  const { hostname = id, ...rest } = over;
  return {
    ...meta(id),
    Spec: { Role: 'worker', Availability: 'active' },
    Description: {
      Hostname: hostname,
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 1024 ** 3 },
      Engine: { EngineVersion: '27.0.0-swarmlab' },
    },
    Status: { State: 'ready', Addr: '127.0.0.1' },
    ...rest,
  };
}

export function service(id: string, name: string, over: Partial<ServiceObject> = {}): ServiceObject {
  return {
    ...meta(id),
    Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } }, Mode: { Replicated: { Replicas: 3 } } },
    ...over,
  };
}

export function task(id: string, over: Partial<TaskObject> = {}): TaskObject {
  return {
    ...meta(id),
    Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
    ServiceID: 'svc1',
    Slot: 1,
    NodeID: 'node1',
    Status: { Timestamp: ago(5), State: 'running', Message: 'started' },
    DesiredState: 'running',
    ...over,
  };
}

export function cluster(over: Partial<ClusterObject> = {}): ClusterObject {
  return {
    ...meta('clu1'),
    Spec: {
      Name: 'default',
      Orchestration: { TaskHistoryRetentionLimit: 5 },
      Dispatcher: { HeartbeatPeriod: 5e9 },
      CAConfig: { NodeCertExpiry: 90 * 24 * 3600e9 },
    },
    JoinTokens: { Worker: 'SWMTKN-1-aaa-worker', Manager: 'SWMTKN-1-aaa-manager' },
    ...over,
  };
}
