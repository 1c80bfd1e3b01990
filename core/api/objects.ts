// The cluster objects, in the Docker Engine API's shapes and field names (API v1.41+), so the
// Docker API layer is a thin, honest mapping. Durations are nanoseconds, as in the Engine API.

export interface Version {
  Index: number;
}

/** Fields every stored object has. Version.Index is the Raft index of its last change. */
export interface ObjectMeta {
  ID: string;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
}

export type Labels = Record<string, string>;

export interface Annotated {
  Name?: string;
  Labels?: Labels;
}

export interface Platform {
  Architecture?: string;
  OS?: string;
}

export interface ResourceAmounts {
  NanoCPUs?: number;
  MemoryBytes?: number;
}

// ---- nodes ----------------------------------------------------------------------------------------

export type NodeRole = 'manager' | 'worker';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export interface NodeSpec extends Annotated {
  Role: NodeRole;
  Availability: NodeAvailability;
}

export interface NodeDescription {
  Hostname: string;
  Platform: Platform;
  Resources: ResourceAmounts;
  Engine: { EngineVersion?: string; Labels?: Labels; Plugins?: { Type: string; Name: string }[] };
  TLSInfo?: { TrustRoot?: string; CertIssuerSubject?: string; CertIssuerPublicKey?: string };
  /** Extension: the node's cluster port (HOST:PORT), where managers read its tasks' logs. */
  ClusterAddr?: string;
  /**
   * Extension: where the node's data plane takes overlay connections (HOST:PORT), Docker's data
   * path port (VXLAN's 4789) made a TCP tunnel.
   */
  DataPathAddr?: string;
}

export interface NodeObject extends ObjectMeta {
  Spec: NodeSpec;
  Description?: NodeDescription;
  Status: { State: NodeState; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability: Reachability; Addr: string };
  /** Extension: the role the node's certificate carries (what it really is, vs. what Spec asks). */
  Role?: NodeRole;
}

// ---- services and tasks -------------------------------------------------------------------------------

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition?: RestartCondition;
  /** ns */
  Delay?: number;
  /** 0: unlimited */
  MaxAttempts?: number;
  /** ns; 0: unbounded */
  Window?: number;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  /** ns */
  StopGracePeriod?: number;
  StopSignal?: string;
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
}

/** Where a secret or config appears in the task: File.Name is relative to /run/secrets for secrets, a path for configs. */
export interface FileTarget {
  Name: string;
  UID?: string;
  GID?: string;
  /** File mode, as a number (0o444 by default). */
  Mode?: number;
}

export interface SecretReference {
  File?: FileTarget;
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  File?: FileTarget;
  ConfigID: string;
  ConfigName: string;
}

export interface PlacementPreference {
  Spread: { SpreadDescriptor: string };
}

export interface Placement {
  Constraints?: string[];
  Preferences?: PlacementPreference[];
  /** 0: unlimited */
  MaxReplicas?: number;
  Platforms?: Platform[];
}

export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: { Limits?: ResourceAmounts; Reservations?: ResourceAmounts };
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: { Target: string; Aliases?: string[] }[];
  /** Bumping it forces tasks to be replaced even when nothing else changed. */
  ForceUpdate?: number;
  Runtime?: string;
}

export type FailureAction = 'pause' | 'continue' | 'rollback';
export type UpdateOrder = 'stop-first' | 'start-first';

export interface UpdateConfig {
  Parallelism?: number;
  /** ns */
  Delay?: number;
  FailureAction?: FailureAction;
  /** ns */
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: UpdateOrder;
}

export interface PortConfig {
  Name?: string;
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: PortConfig[];
}

export type ServiceMode = { Replicated: { Replicas?: number } } | { Global: Record<string, never> };

export interface ServiceSpec extends Annotated {
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: EndpointSpec;
}

export type UpdateState =
  | 'updating'
  | 'paused'
  | 'completed'
  | 'rollback_started'
  | 'rollback_paused'
  | 'rollback_completed';

export interface UpdateStatus {
  State: UpdateState;
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

export interface ServiceObject extends ObjectMeta {
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Spec?: EndpointSpec; Ports?: PortConfig[]; VirtualIPs?: { NetworkID: string; Addr: string }[] };
  UpdateStatus?: UpdateStatus;
  /** Extension: bumped on every spec change, so tasks can tell which spec they run. */
  SpecVersion?: Version;
}

export type TaskState =
  | 'new'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  PortStatus?: { Ports?: PortConfig[] };
}

export interface TaskObject extends ObjectMeta {
  Name?: string;
  Labels?: Labels;
  Spec: TaskSpec;
  ServiceID: string;
  /** Replicated services: the replica's slot (1..n). Global services have none (one per node). */
  Slot?: number;
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  /** Extension: the service's SpecVersion this task was made from. */
  SpecVersion?: Version;
  /** Extension: the service's name, for displays that should not need a join. */
  ServiceName?: string;
  /** The task's address on each network it is attached to (CIDR form, "10.0.1.5/24"), set by the allocator. */
  NetworksAttachments?: NetworkAttachment[];
}

export interface NetworkAttachment {
  Network: NetworkObject;
  Addresses: string[];
  Aliases?: string[];
}

// ---- networks, secrets, configs, cluster ------------------------------------------------------------------

export interface NetworkObject extends ObjectMeta {
  Spec: Annotated & {
    DriverConfiguration?: { Name: string; Options?: Record<string, string> };
    Ingress?: boolean;
    Attachable?: boolean;
    IPAMOptions?: { Configs?: { Subnet?: string; Gateway?: string }[] };
  };
  /** The subnet in use, as allocated when the network was created (the spec may leave it to the pool). */
  IPAM?: { Configs: { Subnet: string; Gateway: string }[] };
  /**
   * The driver as allocated (SwarmKit's DriverState): Name "overlay", Options with the network's
   * VXLAN ID ("com.docker.network.driver.overlay.vxlanid_list": "4097"), set at creation.
   */
  DriverState?: { Name: string; Options?: Record<string, string> };
}

export interface SecretObject extends ObjectMeta {
  /** Data (base64) is kept in the store but never returned by the API. */
  Spec: Annotated & { Data?: string; Driver?: { Name: string }; Templating?: { Name: string } };
}

export interface ConfigObject extends ObjectMeta {
  Spec: Annotated & { Data?: string };
}

export interface ClusterSpec extends Annotated {
  Orchestration?: {
    TaskHistoryRetentionLimit?: number;
    /** Extension: the restart delay (ns) for services whose RestartPolicy sets none. */
    DefaultRestartDelay?: number;
  };
  Raft?: {
    SnapshotInterval?: number;
    KeepOldSnapshots?: number;
    LogEntriesForSlowFollowers?: number;
    ElectionTick?: number;
    HeartbeatTick?: number;
  };
  /** HeartbeatPeriod in ns. */
  Dispatcher?: { HeartbeatPeriod?: number };
  /** NodeCertExpiry in ns. */
  CAConfig?: { NodeCertExpiry?: number };
  TaskDefaults?: Record<string, unknown>;
  EncryptionConfig?: { AutoLockManagers?: boolean };
}

export interface ClusterObject extends ObjectMeta {
  Spec: ClusterSpec;
  JoinTokens?: { Worker: string; Manager: string };
  TLSInfo?: { TrustRoot?: string; CertIssuerSubject?: string; CertIssuerPublicKey?: string };
  RootRotationInProgress?: boolean;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  DataPathPort?: number;
  /**
   * Extension (SwarmKit's field): nodes removed from the swarm, by node ID. Their sessions with the
   * dispatcher (and, later, certificate renewals) are refused with "node <id> was removed from the swarm".
   */
  BlacklistedCertificates?: Record<string, { Expiry?: string }>;
  /**
   * Extension (SwarmKit keeps the same in its store): the root CA every manager signs node
   * certificates with. The key never leaves the managers: the Engine API layer must not serve it.
   */
  RootCA?: { CACert: string; CAKey: string };
}

export interface Tables {
  nodes: NodeObject;
  services: ServiceObject;
  tasks: TaskObject;
  networks: NetworkObject;
  clusters: ClusterObject;
  secrets: SecretObject;
  configs: ConfigObject;
}

export type TableName = keyof Tables;

export const TABLE_NAMES: readonly TableName[] = [
  'nodes',
  'services',
  'tasks',
  'networks',
  'clusters',
  'secrets',
  'configs',
];
