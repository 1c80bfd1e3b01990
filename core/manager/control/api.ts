// The swarm control operations a manager serves, after SwarmKit's Control service: what the
// Docker API layer (and swarmctl) call. `localControl` serves them from a manager's own store; a
// follower could serve them by forwarding to the leader, as SwarmKit's raft proxy does.
//
// Every operation is async and fails only with a ControlError, whose code says how a client should
// read it (InvalidArgument: fix the request; NotFound; AlreadyExists and Aborted: conflicts;
// FailedPrecondition: the cluster refuses it now; Unavailable: no leader or quorum, retry later).

import type {
  ClusterObject,
  ConfigObject,
  NetworkObject,
  NodeObject,
  NodeRole,
  SecretObject,
  ServiceObject,
  TaskObject,
  TaskState,
} from '../../api/objects.ts';

/**
 * Label filters as Docker writes them (`label=env` or `label=env=prod`): the key must be present
 * and, when the value is not '', equal to it.
 */
export type LabelFilter = Record<string, string>;

/** All given criteria must hold; within one list, any entry may match. */
export interface NodeFilters {
  /** ID prefixes. */
  ids?: string[];
  /** Prefixes of the node's name (its spec name, else its hostname). */
  names?: string[];
  /** Engine labels (Description.Engine.Labels). */
  labels?: LabelFilter;
  /** Node labels (Spec.Labels). */
  nodeLabels?: LabelFilter;
  roles?: NodeRole[];
  /** Every node in the store has been accepted; `pending` matches none. */
  memberships?: ('accepted' | 'pending')[];
}

export interface ServiceFilters {
  ids?: string[];
  /** Name prefixes. */
  names?: string[];
  labels?: LabelFilter;
  modes?: ('replicated' | 'global')[];
}

export interface TaskFilters {
  ids?: string[];
  /** Prefixes of the task name (`service.slot.id`, or `service.node.id` for a global service). */
  names?: string[];
  labels?: LabelFilter;
  /** Services by ID, name or ID prefix. */
  services?: string[];
  /** Nodes by ID, name or ID prefix. */
  nodes?: string[];
  desiredStates?: TaskState[];
  /** Only tasks made from their service's current spec (Docker's internal `_up-to-date`). */
  upToDate?: boolean;
}

export interface NetworkFilters {
  /** ID prefixes. */
  ids?: string[];
  /** Name prefixes. */
  names?: string[];
  /** Exact names. */
  exactNames?: string[];
  labels?: LabelFilter;
}

/** Filters of secrets and configs, as moby maps Docker's: `name` prefixes, `names` exact, `id` prefixes. */
export type DataObjectFilters = NetworkFilters;

/** Docker's ServiceStatus: what `docker service ls` shows as REPLICAS. */
export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

export type ServiceWithStatus = ServiceObject & { ServiceStatus?: ServiceStatus };

export interface ClusterRotation {
  workerJoinToken?: boolean;
  managerJoinToken?: boolean;
  managerUnlockKey?: boolean;
}

export interface ControlApi {
  /** Nodes with ManagerStatus filled in from Raft (leader, reachability). */
  listNodes(filters?: NodeFilters): Promise<NodeObject[]>;
  /** A node by ID, name or unambiguous ID prefix. */
  getNode(ref: string): Promise<NodeObject>;
  /** `spec` comes from a client and is validated; `version` is the one the client read. */
  updateNode(ref: string, version: number, spec: unknown): Promise<void>;
  removeNode(ref: string, opts?: { force?: boolean }): Promise<void>;

  listServices(filters?: ServiceFilters, opts?: { status?: boolean }): Promise<ServiceWithStatus[]>;
  getService(ref: string): Promise<ServiceObject>;
  createService(spec: unknown): Promise<ServiceObject>;
  /** With `rollback: 'previous'` the service returns to its previous spec and `spec` is ignored. */
  updateService(ref: string, version: number, spec: unknown, opts?: { rollback?: 'previous' }): Promise<ServiceObject>;
  removeService(ref: string): Promise<void>;

  listTasks(filters?: TaskFilters): Promise<TaskObject[]>;
  getTask(ref: string): Promise<TaskObject>;

  /** The cluster object (spec, join tokens); NotFound before the swarm is initialized. */
  getCluster(): Promise<ClusterObject>;
  /** `spec` is the whole cluster spec, as `docker swarm update` sends it back. */
  updateCluster(version: number, spec: unknown, rotation?: ClusterRotation): Promise<ClusterObject>;

  listNetworks(filters?: NetworkFilters): Promise<NetworkObject[]>;
  /** A network by ID, name or unambiguous ID prefix. */
  getNetwork(ref: string): Promise<NetworkObject>;
  /** A SwarmKit NetworkSpec (overlay only); the subnet, when not given, is allocated from 10.0.0.0/8. */
  createNetwork(spec: unknown): Promise<NetworkObject>;
  removeNetwork(ref: string): Promise<void>;

  /** Secrets never carry their Data out of the control API. */
  listSecrets(filters?: DataObjectFilters): Promise<SecretObject[]>;
  getSecret(ref: string): Promise<SecretObject>;
  createSecret(spec: unknown): Promise<SecretObject>;
  /** Only Labels may change. */
  updateSecret(ref: string, version: number, spec: unknown): Promise<SecretObject>;
  removeSecret(ref: string): Promise<void>;

  listConfigs(filters?: DataObjectFilters): Promise<ConfigObject[]>;
  getConfig(ref: string): Promise<ConfigObject>;
  createConfig(spec: unknown): Promise<ConfigObject>;
  /** Only Labels may change. */
  updateConfig(ref: string, version: number, spec: unknown): Promise<ConfigObject>;
  removeConfig(ref: string): Promise<void>;
}
