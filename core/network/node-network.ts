// What a node needs for its tasks' networking and mounted files, fed by the agent's assignments:
// the data plane (tunnel, resolver, balancer, routing mesh) and the secrets and configs.

import type { Server } from 'node:net';
import type { TaskObject } from '../api/objects.ts';
import type { Clock } from '../clock.ts';
import type { AssignmentExtras } from '../dispatcher/protocol.ts';
import { FileMounts } from '../executor/mounts.ts';
import type { ListenedAddress, TaskNetwork } from '../executor/program.ts';
import { DataPlane } from './data-plane.ts';

export interface NodeNetworkOptions {
  nodeId: string;
  host: string;
  dataPort: number;
  clock: Clock;
  logger?: (line: string) => void;
}

/** What the executor is given to run tasks with networks and files. */
export interface ExecutorNetworking {
  network: (task: TaskObject) => TaskNetwork;
  files: (task: TaskObject) => ReadonlyMap<string, Buffer>;
  beforeStop: (taskId: string) => Promise<void>;
  onRemove: (taskId: string) => void;
}

export class NodeNetwork {
  readonly plane: DataPlane;
  readonly mounts = new FileMounts();
  private endpoint: (taskId: string, port: number) => ListenedAddress | undefined = () => undefined;
  private server: (taskId: string, port: number) => Server | undefined = () => undefined;

  constructor(private readonly opts: NodeNetworkOptions) {
    this.plane = new DataPlane({
      nodeId: opts.nodeId,
      host: opts.host,
      dataPort: opts.dataPort,
      clock: opts.clock,
      local: { endpoint: (taskId, port) => this.endpoint(taskId, port), server: (taskId, port) => this.server(taskId, port) },
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  start(): Promise<string> {
    return this.plane.start();
  }

  /** Where local tasks serve their ports (the executor's endpoints), and their in-process servers. */
  bindEndpoints(endpoint: (taskId: string, port: number) => ListenedAddress | undefined, server?: (taskId: string, port: number) => Server | undefined): void {
    this.endpoint = endpoint;
    if (server) this.server = server;
  }

  apply(extras: AssignmentExtras): void {
    if (extras.secrets) this.mounts.setSecrets(extras.secrets);
    if (extras.configs) this.mounts.setConfigs(extras.configs);
    if (extras.network) this.plane.setMap(extras.network);
  }

  executorNetworking(): ExecutorNetworking {
    return {
      network: (task) => this.plane.taskNetwork(task),
      files: (task) => this.mounts.files(task),
      beforeStop: (taskId) => this.plane.drain(taskId),
      onRemove: (taskId) => this.plane.forget(taskId),
    };
  }

  close(): Promise<void> {
    return this.plane.close();
  }
}
