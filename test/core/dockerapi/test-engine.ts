// A one-manager swarm in this process, as an EngineBackend, for testing the Docker API with real
// clients until swarmd takes its place: a Raft node with its WAL in a temporary directory, the
// store, the leader components with the dispatcher, and agents with test executors (the manager's
// own and `workers` more) on the real clock with the `lab` timing. Before `docker swarm init` the
// node is inactive; `docker swarm leave --force` takes it all down again.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent } from '../../../core/agent/agent.ts';
import { TestExecutor } from '../../../core/agent/test-executor.ts';
import { TIMING_PROFILES } from '../../../core/api/defaults.ts';
import { newId } from '../../../core/api/ids.ts';
import { systemClock } from '../../../core/clock.ts';
import type {
  EngineBackend,
  EngineInfo,
  LogOptions,
  LogSelector,
  ServiceLogLine,
  SwarmInitRequest,
  SwarmJoinRequest,
} from '../../../core/dockerapi/backend.ts';
import { ApiError } from '../../../core/dockerapi/errors.ts';
import { EventLog, type EngineEvent, type EventQuery } from '../../../core/dockerapi/events.ts';
import { leaveRefusal } from '../../../core/dockerapi/messages.ts';
import { publishStoreEvents } from '../../../core/dockerapi/store-events.ts';
import { InProcessDispatcherNetwork } from '../../../core/dispatcher/in-process.ts';
import type { ControlApi } from '../../../core/manager/control/api.ts';
import { clusterSpecFromClient, createCluster } from '../../../core/manager/control/cluster.ts';
import { clusterDefaults, localControl } from '../../../core/manager/control/local.ts';
import { Dispatcher } from '../../../core/manager/dispatcher/dispatcher.ts';
import { DispatcherEndpoint } from '../../../core/manager/dispatcher/endpoint.ts';
import { leaderComponents } from '../../../core/manager/leader-components.ts';
import { Manager } from '../../../core/manager/manager.ts';
import { raftMembership } from '../../../core/manager/membership.ts';
import { RaftNode } from '../../../core/raft/node.ts';
import { DiskStorage } from '../../../core/raft/wal/disk-storage.ts';
import { systemRandom } from '../../../core/random.ts';
import { Store } from '../../../core/store/store.ts';
import { TaskOutput } from './task-output.ts';
import { until } from './until.ts';

const LAB = TIMING_PROFILES.lab;
export const ENGINE_VERSION = '0.1.0-test';

export interface TestEngineOptions {
  /** Worker nodes besides the manager (default 2). */
  workers?: number;
  hostname?: string;
  logger?: (line: string) => void;
}

interface Running {
  nodeId: string;
  advertiseAddr: string;
  dir: string;
  storage: DiskStorage;
  node: RaftNode;
  store: Store;
  manager: Manager;
  net: InProcessDispatcherNetwork;
  agents: { nodeId: string; agent: Agent; executor: TestExecutor }[];
  control: ControlApi;
  unwatch: () => void;
}

/** The port Docker's swarm listens on when the address given has none. */
const withPort = (addr: string, port = 2377) => (/:\d+$/.test(addr) ? addr : `${addr}:${port}`);

export class TestEngine implements EngineBackend {
  private running: Running | undefined;
  private starting = false;
  readonly eventLog = new EventLog({ clock: systemClock });
  readonly output = new TaskOutput();
  readonly hostname: string;

  constructor(private readonly opts: TestEngineOptions = {}) {
    this.hostname = opts.hostname ?? 'swarmlab-test';
  }

  /** The running swarm's parts, for tests that look behind the API. */
  get swarm(): Running | undefined {
    return this.running;
  }

  info(): EngineInfo {
    const r = this.running;
    return {
      ID: r?.nodeId ?? 'swarmlab-test-engine',
      Name: this.hostname,
      ServerVersion: ENGINE_VERSION,
      OperatingSystem: 'swarmlab (test engine)',
      Swarm: {
        NodeID: r?.nodeId ?? '',
        NodeAddr: r ? r.advertiseAddr.replace(/:\d+$/, '') : '',
        LocalNodeState: r ? 'active' : this.starting ? 'pending' : 'inactive',
        ControlAvailable: !!r,
        Error: '',
        RemoteManagers: r ? [{ NodeID: r.nodeId, Addr: r.advertiseAddr }] : [],
      },
    };
  }

  version() {
    return { Version: ENGINE_VERSION, GitCommit: 'test' };
  }

  control(): ControlApi | undefined {
    return this.running?.control;
  }

  async swarmInit(req: SwarmInitRequest): Promise<string> {
    if (this.running || this.starting) throw ApiError.unavailable('This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
    const spec = clusterSpecFromClient(req.Spec, clusterDefaults(LAB));
    this.starting = true;
    try {
      this.running = await this.boot(withPort(req.AdvertiseAddr || req.ListenAddr.replace(/^0\.0\.0\.0/, '127.0.0.1') || '127.0.0.1'), spec);
      return this.running.nodeId;
    } finally {
      this.starting = false;
    }
  }

  async swarmJoin(_req: SwarmJoinRequest): Promise<void> {
    throw ApiError.notImplemented('the test engine runs a swarm of its own and cannot join another one');
  }

  async swarmLeave(force: boolean): Promise<void> {
    const r = this.running;
    if (!r) throw ApiError.unavailable('This node is not part of a swarm');
    if (!force) throw ApiError.forbidden(leaveRefusal(1, 0));
    this.running = undefined;
    await this.shutdown(r);
  }

  serviceLogs(selector: LogSelector, opts: LogOptions, signal: AbortSignal): AsyncIterable<ServiceLogLine> {
    return this.output.read(selector, opts, signal);
  }

  events(query: EventQuery, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return this.eventLog.stream(query, signal);
  }

  /** A task "prints" a line (what the test executor cannot do by itself). */
  print(taskId: string, line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const t = this.running?.store.view((tx) => tx.get('tasks', taskId));
    if (!t) throw new Error(`test engine: no task ${taskId}`);
    this.output.write({ stream, time: new Date(), line, taskId: t.ID, nodeId: t.NodeID ?? '', serviceId: t.ServiceID, slot: t.Slot });
  }

  /** Stops everything (the end of a test). */
  async close(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (r) await this.shutdown(r);
  }

  private async boot(advertiseAddr: string, spec: ReturnType<typeof clusterSpecFromClient>): Promise<Running> {
    const random = systemRandom;
    const clock = systemClock;
    const nodeId = newId(random);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'swarmlab-dockerapi-'));
    const storage = new DiskStorage({ dir });
    const store = new Store({ clock, random });
    const node = new RaftNode({
      id: nodeId,
      storage,
      transport: { send: () => {} },
      stateMachine: { apply: (e) => store.apply(e), snapshot: () => store.snapshot(), restore: (d, i) => store.restore(d, i) },
      clock,
      random,
      bootstrap: [nodeId],
      tickMs: LAB.tickMs,
      electionTick: LAB.electionTick,
      heartbeatTick: LAB.heartbeatTick,
      onFatal: (err) => this.opts.logger?.(`raft: ${err.message}`),
    });
    store.setProposer(node);
    await node.start();
    const net = new InProcessDispatcherNetwork({ clock });
    const endpoint = new DispatcherEndpoint({ self: nodeId, leader: () => (node.leader() ? { nodeId: node.leader(), addr: node.leader() } : undefined) });
    net.serve(nodeId, endpoint);
    const membership = raftMembership(node);
    const manager = new Manager({
      node,
      ctx: { store, clock, random, logger: this.opts.logger && ((c, line) => this.opts.logger!(`${c}: ${line}`)) },
      components: (c) => leaderComponents(c, membership, [new Dispatcher(c, { endpoint, managers: () => [{ nodeId, addr: nodeId }] })]),
    });
    manager.start();
    await until(() => manager.leading, { what: 'the manager to lead', timeoutMs: 10_000 });
    const token = (kind: string) => `SWMTKN-1-${newId(random, 50)}-${kind === 'manager' ? 'm' : 'w'}${newId(random, 24)}`;
    await createCluster(store, { id: newId(random), spec, joinTokens: { Worker: token('worker'), Manager: token('manager') } });
    const unwatch = publishStoreEvents(store, this.eventLog, clock);

    const agents: Running['agents'] = [];
    const addAgent = (id: string, hostname: string, role: 'manager' | 'worker') => {
      const executor = new TestExecutor({ clock, idPrefix: `${hostname}-` });
      const agent = new Agent({
        nodeId: id,
        description: {
          Hostname: hostname,
          Platform: { OS: 'linux', Architecture: 'x86_64' },
          Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 2 ** 30 },
          Engine: { EngineVersion: ENGINE_VERSION },
        },
        addr: advertiseAddr.replace(/:\d+$/, ''),
        role,
        clock,
        random,
        executor,
        connect: (addr) => net.connect(addr),
        managers: [nodeId],
        logger: this.opts.logger,
      });
      agents.push({ nodeId: id, agent, executor });
      agent.start();
    };
    addAgent(nodeId, this.hostname, 'manager');
    for (let i = 1; i <= (this.opts.workers ?? 2); i++) addAgent(newId(random), `worker-${i}`, 'worker');
    await until(() => store.view((tx) => tx.find('nodes', (n) => n.Status.State === 'ready').length) === agents.length, {
      what: 'every node to be ready',
      timeoutMs: 10_000,
    });
    const control = localControl({
      store,
      membership,
      random,
      leader: () => node.leader(),
      managerAddr: (id) => (id === nodeId ? advertiseAddr : undefined),
      clusterDefaults: () => clusterDefaults(LAB),
      rotateToken: (kind) => token(kind),
    });
    return { nodeId, advertiseAddr, dir, storage, node, store, manager, net, agents, control, unwatch };
  }

  private async shutdown(r: Running): Promise<void> {
    r.unwatch();
    for (const a of r.agents) {
      a.agent.stop();
      a.executor.crash();
    }
    r.net.unserve(r.nodeId);
    r.manager.stop();
    r.node.stop();
    await r.storage.close();
    await rm(r.dir, { recursive: true, force: true });
  }
}
