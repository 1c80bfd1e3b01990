// The cluster objects, in the Docker Engine API's shapes and field names, so the Docker API layer
// is a thin mapping. The specs are filled in by the orchestration issue; the store only relies on
// the common fields below.

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

export interface NodeObject extends ObjectMeta {
  Spec: Annotated & { Role?: 'manager' | 'worker'; Availability?: 'active' | 'pause' | 'drain' };
  Description?: Record<string, unknown>;
  Status?: { State: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

export interface ServiceObject extends ObjectMeta {
  Spec: Annotated & Record<string, unknown>;
  PreviousSpec?: Annotated & Record<string, unknown>;
  UpdateStatus?: Record<string, unknown>;
}

export interface TaskObject extends ObjectMeta {
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  Spec?: Record<string, unknown>;
  Status: { State: string; Timestamp?: string; Message?: string; Err?: string };
  DesiredState: string;
}

export interface NetworkObject extends ObjectMeta {
  Spec: Annotated & Record<string, unknown>;
}

export interface ClusterObject extends ObjectMeta {
  Spec: Annotated & Record<string, unknown>;
}

export interface SecretObject extends ObjectMeta {
  Spec: Annotated & { Data?: string };
}

export interface ConfigObject extends ObjectMeta {
  Spec: Annotated & { Data?: string };
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
