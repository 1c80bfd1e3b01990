// What the Docker API server needs of the node it runs on. swarmd implements it; the server maps
// HTTP to these calls and their results to Docker's JSON, statuses and messages.
//
// The swarm's state (nodes, services, tasks, the cluster object) is read and changed through the
// ControlApi that `control()` returns while this node is a manager; the backend itself answers only
// for this node: what it is, joining and leaving a swarm, and the output of the tasks it can reach.

import type { NodeAvailability } from '../api/objects.ts';
import type { ControlApi } from '../manager/control/api.ts';
import type { EventQuery, EngineEvent } from './events.ts';

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface PeerNode {
  NodeID: string;
  Addr: string;
}

/**
 * This node's part of the Swarm section of `GET /info`. The server adds the cluster-wide part
 * (Nodes, Managers, Cluster) from the control API when ControlAvailable.
 */
export interface LocalSwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState: LocalNodeState;
  /** This node is a manager that can serve the control API. */
  ControlAvailable: boolean;
  /** Why the node is in state `error`, else ''. */
  Error: string;
  RemoteManagers: PeerNode[];
}

/** `GET /info` beyond the swarm: what the server cannot know about the machine. Missing fields get the host's values. */
export interface EngineInfo {
  /** A stable ID of this engine (Docker's daemon ID). */
  ID: string;
  /** The node's hostname. */
  Name: string;
  ServerVersion: string;
  OperatingSystem?: string;
  KernelVersion?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Labels?: string[];
  DockerRootDir?: string;
  Swarm: LocalSwarmInfo;
}

/** `GET /version` beyond the API versions, which the server knows. */
export interface EngineVersion {
  Version: string;
  GitCommit?: string;
  BuildTime?: string;
}

/** `POST /swarm/init`, as Docker's InitRequest (the spec is the client's, unvalidated: zeros mean defaults). */
export interface SwarmInitRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  DataPathPort: number;
  ForceNewCluster: boolean;
  Spec: unknown;
  AutoLockManagers: boolean;
  Availability: NodeAvailability | '';
  DefaultAddrPool: string[];
  SubnetSize: number;
}

/** `POST /swarm/join`, as Docker's JoinRequest. */
export interface SwarmJoinRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  RemoteAddrs: string[];
  JoinToken: string;
  Availability: NodeAvailability | '';
}

/** Which tasks' output to read, by ID (the server resolves names and prefixes first), as SwarmKit's LogSelector. */
export interface LogSelector {
  serviceIds: string[];
  taskIds: string[];
}

export interface LogOptions {
  /** Keep streaming new lines until the request ends. */
  follow: boolean;
  /** Only the last N lines (per task) of what exists now; undefined for all. */
  tail?: number;
  /** Only lines written at or after this time. */
  since?: Date;
  stdout: boolean;
  stderr: boolean;
}

/** One line of a task's output; `line` has no trailing newline. */
export interface ServiceLogLine {
  stream: 'stdout' | 'stderr';
  time: Date;
  line: string;
  taskId: string;
  nodeId: string;
  serviceId: string;
  slot?: number;
}

export interface EngineBackend {
  info(): EngineInfo | Promise<EngineInfo>;
  version(): EngineVersion;
  /**
   * The control API while this node is a manager, else undefined: the server then answers 503
   * with Docker's "This node is not a swarm manager..." for the node's state. A backend that knows
   * better (a manager still starting) may throw an ApiError instead.
   */
  control(): ControlApi | undefined;

  /** Creates a swarm with this node as its first manager; resolves with the node ID. */
  swarmInit(req: SwarmInitRequest): Promise<string>;
  swarmJoin(req: SwarmJoinRequest): Promise<void>;
  /** Leaves the swarm; a manager needs `force` (the server does not check it: the backend knows the quorum). */
  swarmLeave(force: boolean): Promise<void>;
  /** The key that unlocks a locked manager, '' when autolock is off. */
  swarmUnlockKey?(): Promise<string>;

  /**
   * The output of the selected tasks, in time order per task; ends when everything is sent
   * (follow: when `signal` aborts). Errors thrown after the first line reach the client as
   * Docker's in-stream "Error grabbing logs".
   */
  serviceLogs(selector: LogSelector, opts: LogOptions, signal: AbortSignal): AsyncIterable<ServiceLogLine>;
  /** Cluster events for `GET /events`; `EventLog.stream` implements it from the store's changes. */
  events(query: EventQuery, signal: AbortSignal): AsyncIterable<EngineEvent>;
}
