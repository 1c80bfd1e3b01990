// The agent <-> dispatcher protocol, after SwarmKit's Dispatcher service, as plain typed messages
// that any transport can carry (direct calls in tests, the simulator's network, TLS sockets):
//
//   session(node ID, description, address)  -> session ID, heartbeat period, managers to fail over to
//   heartbeat(session)                      -> the next period (and the managers, when they changed)
//   assignments(session)                    => a stream: first a COMPLETE set of the node's tasks,
//                                              then INCREMENTAL changes (tasks to run or update,
//                                              IDs of tasks removed); it ends with an error when the
//                                              session ends, the leader steps down or the link breaks
//   updateTaskStatus(session, [{taskId, status}])  -> which updates were ignored, and why
//
// Only the leader's dispatcher serves it; another manager answers `not-leader`, naming the leader
// when it knows it. Periods are milliseconds here (the cluster spec keeps nanoseconds).

import type { NodeDescription, NodeObject, NodeRole, TaskObject, TaskState, TaskStatus } from '../api/objects.ts';
import { TASK_STATES, stateRank } from '../api/task-state.ts';
import type { NetworkMap } from '../network/map.ts';

export const DISPATCHER_PROTOCOL_VERSION = 1;

/** A manager an agent can reach; `addr` is what the agent's connect function takes. */
export interface ManagerPeer {
  nodeId: string;
  addr: string;
}

export interface SessionRequest {
  nodeId: string;
  description: NodeDescription;
  /** The node's address as the managers should record it (Status.Addr). */
  addr: string;
  /** Used only when the node object does not exist yet (it is created with this role). */
  role?: NodeRole;
}

export interface SessionResponse {
  sessionId: string;
  /** Send the first heartbeat within this period (jittered by the dispatcher). */
  heartbeatPeriodMs: number;
  /** The managers, for failover. */
  managers: ManagerPeer[];
  /** The node object as the session left it. */
  node?: NodeObject;
}

export interface SessionRef {
  nodeId: string;
  sessionId: string;
}

export type HeartbeatRequest = SessionRef;

export interface HeartbeatResponse {
  /** Send the next heartbeat within this period. */
  periodMs: number;
  managers?: ManagerPeer[];
  /** The role the node has in the store: a promoted or demoted node changes its certificate to match. */
  role?: NodeRole;
}

export type AssignmentsRequest = SessionRef;

/** A secret or config a task of the node mounts; `data` is base64. */
export interface FileAssignment {
  id: string;
  name: string;
  data: string;
}

/**
 * What comes with tasks when it changed: the network map (whole), and the secrets and configs the
 * node's tasks use (each list whole).
 */
export interface AssignmentExtras {
  network?: NetworkMap;
  secrets?: FileAssignment[];
  configs?: FileAssignment[];
}

/** One message of the assignments stream; `seq` counts from 1, `appliesTo` is the previous seq. */
export type AssignmentsMessage =
  | ({ type: 'complete'; seq: number; tasks: TaskObject[] } & AssignmentExtras)
  | ({ type: 'incremental'; seq: number; appliesTo: number; update: TaskObject[]; remove: string[] } & AssignmentExtras);

export interface TaskStatusUpdate {
  taskId: string;
  status: TaskStatus;
}

export interface UpdateTaskStatusRequest extends SessionRef {
  updates: TaskStatusUpdate[];
}

export interface UpdateTaskStatusResponse {
  /** Updates that were not applied because they were refused (another node's task, unknown task). */
  ignored: { taskId: string; reason: string }[];
}

/** The states an agent may report; the others are the managers' to set. */
export const AGENT_REPORTED_STATES: readonly TaskState[] = TASK_STATES.slice(stateRank('accepted'), stateRank('rejected') + 1);

// ---- errors --------------------------------------------------------------------------------------

/**
 * - `not-leader`: this manager does not run the dispatcher; `leader` names the one that does, if known.
 * - `unavailable`: a transient failure (timeout, broken link, dispatcher stopping, store unavailable).
 * - `session-invalid`: the session expired or was replaced: start a new one.
 * - `node-removed`: the node was removed from the swarm: do not come back.
 * - `invalid-argument`, `permission-denied`: a bad request.
 */
export type DispatcherErrorCode =
  | 'not-leader'
  | 'unavailable'
  | 'session-invalid'
  | 'node-removed'
  | 'invalid-argument'
  | 'permission-denied';

export interface WireError {
  code: DispatcherErrorCode;
  message: string;
  leader?: ManagerPeer;
}

export class DispatcherError extends Error {
  constructor(
    readonly code: DispatcherErrorCode,
    message: string,
    readonly leader?: ManagerPeer,
  ) {
    super(message);
    this.name = 'DispatcherError';
  }

  toWire(): WireError {
    return this.leader ? { code: this.code, message: this.message, leader: this.leader } : { code: this.code, message: this.message };
  }

  static fromWire(w: WireError): DispatcherError {
    return new DispatcherError(w.code, w.message, w.leader);
  }

  /** Any error as a DispatcherError (anything unexpected is `unavailable`). */
  static from(err: unknown): DispatcherError {
    if (err instanceof DispatcherError) return err;
    return new DispatcherError('unavailable', err instanceof Error ? err.message : String(err));
  }
}

export const nodeRemovedError = (nodeId: string) =>
  new DispatcherError('node-removed', `node ${nodeId} was removed from the swarm`);

// ---- the two sides -----------------------------------------------------------------------------------

export interface Subscription {
  close(): void;
}

/** Receives an assignments stream: messages in order, then one `end` (with an error, unless closed). */
export interface AssignmentsObserver {
  message(m: AssignmentsMessage): void;
  end(err?: DispatcherError): void;
}

/**
 * What a dispatcher serves (the leader's Dispatcher, or an endpoint that forwards to it). Methods
 * reject with DispatcherError; `assignments` reports its errors through `observer.end`.
 */
export interface DispatcherApi {
  session(req: SessionRequest): Promise<SessionResponse>;
  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse>;
  updateTaskStatus(req: UpdateTaskStatusRequest): Promise<UpdateTaskStatusResponse>;
  assignments(req: AssignmentsRequest, observer: AssignmentsObserver): Subscription;
}

/** What an agent holds: a connection to one manager, over some transport. */
export interface DispatcherClient extends DispatcherApi {
  /** The manager this client talks to. */
  readonly addr: string;
  /** Drops the connection: pending requests reject, open streams end without delivering more. */
  close(): void;
}

/** Makes a client for a manager address (a transport's dial). */
export type DispatcherConnector = (addr: string) => DispatcherClient;
