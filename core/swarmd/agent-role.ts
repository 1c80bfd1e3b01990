// The worker side every node runs (managers run tasks too, as in Docker Swarm): the agent's session
// with the leader's dispatcher over the cluster port, and the executor that runs the tasks.

import os from 'node:os';
import type { NodeDescription } from '../api/objects.ts';
import { Agent, type AgentEvent } from '../agent/agent.ts';
import type { Executor } from '../agent/executor.ts';
import type { Clock } from '../clock.ts';
import { rpcDispatcherClient } from '../dispatcher/rpc-transport.ts';
import type { AssignmentExtras } from '../dispatcher/protocol.ts';
import type { Random } from '../random.ts';
import { splitHostPort } from '../rpc/listener.ts';
import type { Dialer } from './dialer.ts';

export const ENGINE_VERSION = '28.2.2-swarmlab';

export function describeNode(hostname: string, clusterAddr?: string, dataPathAddr?: string): NodeDescription {
  return {
    Hostname: hostname,
    ...(clusterAddr ? { ClusterAddr: clusterAddr } : {}),
    ...(dataPathAddr ? { DataPathAddr: dataPathAddr } : {}),
    Platform: { OS: 'linux', Architecture: os.arch() === 'x64' ? 'x86_64' : os.arch() === 'arm64' ? 'aarch64' : os.arch() },
    Resources: { NanoCPUs: os.cpus().length * 1e9, MemoryBytes: os.totalmem() },
    Engine: { EngineVersion: ENGINE_VERSION, Plugins: [{ Type: 'Log', Name: 'json-file' }, { Type: 'Network', Name: 'overlay' }] },
  };
}

export interface AgentRoleOptions {
  nodeId: string;
  hostname: string;
  advertiseAddr: string;
  /** Where managers reach this node for its tasks' logs. */
  clusterAddr: string;
  managers: string[];
  clock: Clock;
  random: Random;
  dialer: Dialer;
  executor: Executor;
  onEvent: (e: AgentEvent) => void;
  logger: (line: string) => void;
  /** The node's data plane tunnel (HOST:PORT), when it runs one. */
  dataPathAddr?: string;
  onExtras?: (extras: AssignmentExtras) => void;
}

export function startAgent(o: AgentRoleOptions): Agent {
  const agent = new Agent({
    nodeId: o.nodeId,
    description: describeNode(o.hostname, o.clusterAddr, o.dataPathAddr),
    // Docker shows a node's address without the port (the cluster port is the manager's business).
    addr: splitHostPort(o.advertiseAddr).host,
    clock: o.clock,
    random: o.random,
    executor: o.executor,
    // Its own connection per session: a broken session must not break the node's other traffic.
    connect: (addr) => rpcDispatcherClient(addr, o.dialer.fresh(addr)),
    managers: o.managers,
    logger: o.logger,
    onEvent: o.onEvent,
    ...(o.onExtras ? { onExtras: o.onExtras } : {}),
  });
  agent.start();
  return agent;
}
