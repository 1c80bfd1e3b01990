// The swarm as one read of a manager's Engine API returns it: the node, service and task lists,
// with the fields the list endpoints add to the stored objects. Everything the lab shows is made
// from one of these (view.ts) and from the machines the lab owns.

import type { NetworkObject, NodeObject, ServiceObject, TaskObject } from '../../core/api/objects.ts';

export type ApiNode = NodeObject;

export interface ApiService extends ServiceObject {
  /** `GET /services?status=true` (API 1.41+). */
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks?: number };
}

export type ApiTask = TaskObject;

/** `GET /networks` (swarm-scoped ones carry the swarm's network object's fields as Docker lists them). */
export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Ingress?: boolean;
  Attachable?: boolean;
  Labels?: Record<string, string>;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
}

/** A network as a task's attachment carries it. */
export type AttachedNetwork = NetworkObject;

export interface ClusterState {
  nodes: ApiNode[];
  services: ApiService[];
  tasks: ApiTask[];
  /** The swarm's networks (absent when the read did not include them). */
  networks?: ApiNetwork[];
}
