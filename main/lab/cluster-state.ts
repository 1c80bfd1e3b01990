// The swarm as one read of a manager's Engine API returns it: the node, service and task lists,
// with the fields the list endpoints add to the stored objects. Everything the lab shows is made
// from one of these (view.ts) and from the machines the lab owns.

import type { NodeObject, ServiceObject, TaskObject } from '../../core/api/objects.ts';

export type ApiNode = NodeObject;

export interface ApiService extends ServiceObject {
  /** `GET /services?status=true` (API 1.41+). */
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks?: number };
}

export type ApiTask = TaskObject;

export interface ClusterState {
  nodes: ApiNode[];
  services: ApiService[];
  tasks: ApiTask[];
}
