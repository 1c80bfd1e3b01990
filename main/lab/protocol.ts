// The one API between the renderer and the lab controller (main/lab). The renderer imports these
// types only (never values), and reaches the controller through one of two transports that it
// cannot tell apart: Electron IPC behind a narrow preload, or HTTP + WebSocket in web mode.
// Requests are validated at the controller's boundary (requests.ts); everything the controller
// sends is a LabEvent.

import type { NodeAvailability, NodeRole, NodeState, Reachability, TaskState, UpdateState } from '../../core/api/objects.ts';

export type { NodeAvailability, NodeRole, NodeState, Reachability, TaskState, UpdateState };

// ---------------------------------------------------------------------------------------------
// The cluster as the renderer draws it: plain data, keyed by ID, small enough to patch.

export type MachineState = 'Running' | 'Stopped' | 'Paused' | 'Error' | 'Creating' | 'Removing';

/** A lab machine, whether or not it is (still) a node of the swarm. */
export interface MachineView {
  name: string;
  role: NodeRole;
  state: MachineState;
  address: string;
  /** The node this machine is in the swarm, once it joined. */
  nodeId?: string;
  /** Faults injected by the lab: partitioned from (machine names or 'all'), added latency. */
  faults?: { partition?: string[] | 'all'; delayMs?: number; lossPercent?: number };
}

export interface NodeView {
  id: string;
  hostname: string;
  /** The lab machine it runs on (undefined for a node the lab did not create). */
  machine?: string;
  role: NodeRole;
  /** The Raft leader (at most one node at a time in a consistent view). */
  leader: boolean;
  /** Managers only: can the leader reach it. */
  reachability?: Reachability;
  state: NodeState;
  availability: NodeAvailability;
  /** The node's address as the swarm knows it. */
  addr: string;
  labels: Record<string, string>;
  /** The status message the swarm gives (e.g. "heartbeat failure"). */
  message?: string;
}

export interface PortView {
  protocol: 'tcp' | 'udp';
  targetPort: number;
  publishedPort?: number;
  publishMode: 'ingress' | 'host';
}

export interface UpdateView {
  state: UpdateState;
  message?: string;
  startedAt?: string;
  completedAt?: string;
  /** Tasks at the new spec over all tasks meant to run (for the progress bar). */
  updated: number;
  total: number;
}

/** A swarm network (overlay, or the routing mesh's ingress). */
export interface NetworkView {
  id: string;
  name: string;
  /** The driver ("overlay"). */
  driver: string;
  /** The subnet in use (CIDR), when allocated. */
  subnet?: string;
  gateway?: string;
  /** The routing mesh's network: every service with an ingress-published port is on it. */
  ingress: boolean;
  /** Standalone containers may attach (docker network create --attachable). */
  attachable: boolean;
  /** The stack that made it (label com.docker.stack.namespace). */
  stack?: string;
  /** The services attached to it (IDs, sorted). */
  services: string[];
}

/** A service's virtual IP on one network (CIDR form, "10.0.1.2/24"). */
export interface VipView {
  networkId: string;
  addr: string;
}

export interface ServiceView {
  id: string;
  name: string;
  image: string;
  mode: 'replicated' | 'global';
  /** Replicated: the replica count; global: the number of eligible nodes. */
  desired: number;
  running: number;
  ports: PortView[];
  constraints: string[];
  update?: UpdateView;
  /** Stable per service: the renderer colours task dots by it. */
  colorIndex: number;
  /** The networks its tasks attach to (IDs, in spec order; the ingress network too when it publishes through the mesh). */
  networks?: string[];
  /** Its virtual IPs (endpoint mode vip), one per network. */
  vips?: VipView[];
  /** The stack it belongs to (label com.docker.stack.namespace). */
  stack?: string;
  createdAt: string;
  updatedAt: string;
}

export interface TaskView {
  id: string;
  serviceId: string;
  /** Replicated tasks: the slot; a task replacing another keeps its slot (the dot travels). */
  slot?: number;
  nodeId?: string;
  state: TaskState;
  desiredState: TaskState;
  message: string;
  error?: string;
  /** When the task reached its current state. */
  timestamp: string;
  /** The scheduler's explanation while the task waits (pending), e.g. "no suitable node (...)". */
  pendingReason?: string;
  /** Made from an older spec than its service's (a rolling update will replace it); absent when current. */
  outdated?: boolean;
  /** Its addresses on the overlay networks it is attached to (CIDR form). */
  addresses?: { networkId: string; addr: string }[];
}

export interface QuorumView {
  managers: number;
  reachable: number;
  /** Managers needed for a majority. */
  quorum: number;
  /** How many more managers may fail before the swarm loses quorum (negative: lost). */
  canLose: number;
}

export type LabPhase = 'none' | 'creating' | 'running' | 'destroying';

/**
 * The tasks are the live ones: those the orchestrator still wants to run, and those still running
 * on their way out. Task history (ended and replaced tasks) is left out; its failures reach the
 * timeline instead. Arrays are sorted: machines by name, nodes by hostname, services by name,
 * tasks by service, slot (or node) and ID.
 */
export interface LabView {
  phase: LabPhase;
  name?: string;
  /** Which manager the controller currently talks to (machine name). */
  via?: string;
  /** True while no manager answers (every view field is then the last known one). */
  stale: boolean;
  leaderId?: string;
  quorum: QuorumView;
  machines: MachineView[];
  nodes: NodeView[];
  services: ServiceView[];
  tasks: TaskView[];
  /** The swarm's networks, sorted by name (absent from views made before networks were read). */
  networks?: NetworkView[];
}

/**
 * A change to the view: upserts replace whole objects by ID (machines by name); removals name IDs.
 * A scalar is present when it changed; null clears an optional one.
 */
export interface ViewDelta {
  phase?: LabPhase;
  name?: string | null;
  via?: string | null;
  stale?: boolean;
  /** Present when it changed; null when there is no leader. */
  leaderId?: string | null;
  quorum?: QuorumView;
  machines?: { upsert?: MachineView[]; remove?: string[] };
  nodes?: { upsert?: NodeView[]; remove?: string[] };
  services?: { upsert?: ServiceView[]; remove?: string[] };
  tasks?: { upsert?: TaskView[]; remove?: string[] };
  networks?: { upsert?: NetworkView[]; remove?: string[] };
}

export type TimelineKind = 'leader' | 'node' | 'task' | 'service' | 'update' | 'machine' | 'lab' | 'fault';

export interface TimelineEntry {
  seq: number;
  time: string;
  kind: TimelineKind;
  severity: 'info' | 'warning' | 'error';
  text: string;
  nodeId?: string;
  serviceId?: string;
}

// ---------------------------------------------------------------------------------------------
// Events from the controller, in order, over one stream per window.

export type LabEvent =
  | { type: 'snapshot'; view: LabView; timeline: TimelineEntry[] }
  | { type: 'delta'; delta: ViewDelta }
  | { type: 'timeline'; entry: TimelineEntry }
  /** A long operation's steps (creating machines, joining, converging). */
  | { type: 'progress'; operation: string; step: string; done?: boolean; error?: string }
  /** Console output; the renderer acknowledges bytes it has written (flow control). */
  | { type: 'console-data'; consoleId: string; data: string }
  | { type: 'console-exit'; consoleId: string; code: number | null; message?: string }
  | { type: 'logs'; streamId: string; lines: string[] }
  | { type: 'logs-end'; streamId: string; error?: string }
  /** One request of a sendTraffic run, as it was answered (or failed). */
  | { type: 'traffic'; trafficId: string; answer: TrafficAnswer }
  /** A sendTraffic run is over (all requests made, or stopped). */
  | { type: 'traffic-end'; trafficId: string; ok: number; failed: number; error?: string };

/** Who answered one request sent to a published port through one node's address. */
export interface TrafficAnswer {
  /** 1..count. */
  seq: number;
  count: number;
  /** The address asked (http://NODE_ADDR:PORT/...). */
  url: string;
  /** The node whose address was asked. */
  viaNodeId?: string;
  viaHost: string;
  /** When the request was sent (ISO). */
  time: string;
  status?: number;
  latencyMs: number;
  /** Why it failed (connection refused, timeout, ...). */
  error?: string;
  /** From whoami's /api JSON: the task that answered and its node. */
  taskId?: string;
  taskName?: string;
  nodeId?: string;
  node?: string;
  ip?: string[];
  slot?: number;
  version?: string;
}

export interface TrafficRequest {
  serviceId: string;
  /** The published port (default: the service's first published TCP port). */
  port?: number;
  /** The node whose address is asked (default: one that runs no task of the service, to show the mesh). */
  viaNodeId?: string;
  /** How many requests (default 20). */
  count?: number;
  /** Requests per second (default 5). */
  rate?: number;
  /** The path (default /api for whoami images, else /). */
  path?: string;
}

// ---------------------------------------------------------------------------------------------
// Requests: one method per operation. Each resolves when the operation is accepted by the
// cluster (or fails with a LabError whose message is for a person); its effects arrive as events.

export interface LabTemplate {
  id: string;
  title: string;
  managers: number;
  workers: number;
}

export interface ServiceCreateRequest {
  name: string;
  image: string;
  mode: 'replicated' | 'global';
  replicas?: number;
  command?: string[];
  env?: string[];
  ports?: { published?: number; target: number; protocol?: 'tcp' | 'udp'; mode?: 'ingress' | 'host' }[];
  constraints?: string[];
  restart?: { condition?: 'none' | 'on-failure' | 'any'; delay?: string; maxAttempts?: number };
  update?: ServiceUpdatePolicy;
}

export interface ServiceUpdatePolicy {
  parallelism?: number;
  delay?: string;
  failureAction?: 'pause' | 'continue' | 'rollback';
  order?: 'stop-first' | 'start-first';
  monitor?: string;
}

export interface StackDeployRequest {
  name: string;
  /** The compose file's text. */
  compose: string;
  /** Remove the stack's services the file no longer has. */
  prune?: boolean;
  /** Where relative paths in the file are (the file's directory, when it was picked from disk). */
  dir?: string;
  /**
   * The files the compose file names (secrets, configs, env files), by their path as written in it
   * or by file name: what a browser can send when the user picks them with the compose file.
   */
  files?: Record<string, string>;
  /** Variables for ${VAR} (default: none). */
  env?: Record<string, string>;
}

export interface StackDeployResult {
  lines: string[];
  warnings: string[];
}

export type MachineAction = 'start' | 'stop' | 'kill' | 'restart' | 'pause' | 'resume' | 'remove';

/** Why an action is risky, shown before it is confirmed (e.g. a demote that loses quorum). */
export interface Warning {
  message: string;
  reason: string;
}

export interface LabApi {
  // The lab
  templates(): Promise<LabTemplate[]>;
  /** Resolves once the lab is up (its steps arrive meanwhile as 'progress' events of operation createLab). */
  createLab(req: { template: string } | { file: string }): Promise<void>;
  destroyLab(): Promise<void>;
  /** Starts the event stream with a snapshot (again after a reconnect). */
  subscribe(listener: (e: LabEvent) => void): () => void;
  images(): Promise<{ name: string; description: string }[]>;

  // Machines and faults
  addMachine(req: { role: NodeRole }): Promise<{ name: string }>;
  machineAction(req: { machine: string; action: MachineAction }): Promise<void>;
  partition(req: { machine: string; from?: string[] }): Promise<void>;
  heal(req: { machine: string }): Promise<void>;
  delay(req: { machine: string; ms: number; lossPercent?: number }): Promise<void>;

  // Nodes
  /**
   * The warning a change to a node deserves, if any, before asking to confirm: a role or
   * availability change, or an action on its machine (a kill or stop of a manager that would lose
   * quorum, a drain of the last active node).
   */
  checkNodeChange(req: { nodeId: string; role?: NodeRole; availability?: NodeAvailability; action?: MachineAction | 'partition' }): Promise<Warning | undefined>;
  setNodeRole(req: { nodeId: string; role: NodeRole }): Promise<void>;
  setNodeAvailability(req: { nodeId: string; availability: NodeAvailability }): Promise<void>;

  // Services
  createService(req: ServiceCreateRequest): Promise<{ id: string }>;
  scaleService(req: { serviceId: string; replicas: number }): Promise<void>;
  updateService(req: { serviceId: string; image?: string; policy?: ServiceUpdatePolicy }): Promise<void>;
  rollbackService(req: { serviceId: string }): Promise<void>;
  removeService(req: { serviceId: string }): Promise<void>;
  /**
   * Deploys (or updates) stack `name` from a compose file's text (format 3.x), as `docker stack
   * deploy` would; `dir` is where relative secret, config and env files are. Resolves with what was
   * done ("Creating service app_web") and what was ignored ("Ignoring unsupported options: build");
   * a bad file fails with `file:line:column: path: message` lines.
   */
  deployStack(req: StackDeployRequest): Promise<StackDeployResult>;
  /** Removes a stack's services, networks, secrets and configs ("Removing service app_web" lines). */
  removeStack(req: { name: string }): Promise<{ lines: string[] }>;
  /**
   * Sends HTTP requests to a service's published port through one node's address, each on a new
   * connection (as curl does); each answer arrives as a 'traffic' event, then a 'traffic-end'.
   */
  sendTraffic(req: TrafficRequest): Promise<{ trafficId: string; url: string; viaHost: string; count: number }>;
  stopTraffic(req: { trafficId: string }): Promise<void>;
  /** Follows a service's logs; lines arrive as 'logs' events, each as `whoami.2@worker1 | text`. */
  openLogs(req: { serviceId: string; tail?: number }): Promise<{ streamId: string }>;
  closeLogs(req: { streamId: string }): Promise<void>;

  // Consoles (an SSH session per console)
  openConsole(req: { machine: string; cols: number; rows: number }): Promise<{ consoleId: string }>;
  consoleInput(req: { consoleId: string; data: string }): Promise<void>;
  consoleResize(req: { consoleId: string; cols: number; rows: number }): Promise<void>;
  /**
   * How much console-data the renderer has written to the screen since its last ack, counted as
   * the data strings' lengths: output pauses past a window of unacknowledged data.
   */
  consoleAck(req: { consoleId: string; bytes: number }): Promise<void>;
  closeConsole(req: { consoleId: string }): Promise<void>;
}

/** The request methods by name: what the transports carry ({ method, params } → result). */
export type LabMethod = Exclude<keyof LabApi, 'subscribe'>;
export const LAB_METHODS: readonly LabMethod[] = [
  'templates', 'createLab', 'destroyLab', 'images',
  'addMachine', 'machineAction', 'partition', 'heal', 'delay',
  'checkNodeChange', 'setNodeRole', 'setNodeAvailability',
  'createService', 'scaleService', 'updateService', 'rollbackService', 'removeService', 'openLogs', 'closeLogs',
  'deployStack', 'removeStack', 'sendTraffic', 'stopTraffic',
  'openConsole', 'consoleInput', 'consoleResize', 'consoleAck', 'closeConsole',
];
