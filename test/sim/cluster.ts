// A cluster of managers (RaftNode + Store) on the simulator: virtual clock, simulated network and
// disks that survive crashes. Orchestrators and agents will join the same harness later.

import { NodeStoppedError, RaftNode, type StateMachine } from '../../core/raft/node.ts';
import type { Raft } from '../../core/raft/raft.ts';
import type { Message, NodeId } from '../../core/raft/types.ts';
import { seededRandom, type Random } from '../../core/random.ts';
import { Store } from '../../core/store/store.ts';
import type { ManagerContext } from '../../core/manager/component.ts';
import { leaderComponents } from '../../core/manager/leader-components.ts';
import { Manager } from '../../core/manager/manager.ts';
import { raftMembership } from '../../core/manager/membership.ts';
import { Agent } from '../../core/agent/agent.ts';
import { TestExecutor } from '../../core/agent/test-executor.ts';
import { Dispatcher } from '../../core/manager/dispatcher/dispatcher.ts';
import { DispatcherEndpoint } from '../../core/manager/dispatcher/endpoint.ts';
import { isDispatcherWire, SimDispatcherTransport, type DispatcherWire } from './dispatcher-transport.ts';
import { RaftInvariants } from './invariants.ts';
import { SimNetwork, type LinkFaults } from './network.ts';
import { SimDisk, SimStorage } from './sim-storage.ts';
import { Trace } from './trace.ts';
import { TIMING_PROFILES, type TimingProfile as CoreTimingProfile } from '../../core/api/defaults.ts';
import { VirtualClock } from './virtual-clock.ts';

export type TimingProfile = Pick<CoreTimingProfile, 'tickMs' | 'electionTick' | 'heartbeatTick'>;

/** The `lab` profile's Raft timing, as swarmd runs it. */
export const LAB_TIMING: TimingProfile = TIMING_PROFILES.lab;

export interface SimClusterOptions {
  seed: number;
  managers: number;
  timing?: TimingProfile;
  faults?: Partial<LinkFaults>;
  /** Simulated fsync latency (ms); 0 makes storage synchronous. */
  fsyncLatencyMs?: number;
  /** A crash keeps a random prefix of unsynced writes, as a torn WAL tail would. */
  tornWrites?: boolean;
  snapshotInterval?: number;
  keepEntries?: number;
  requestTimeoutMs?: number;
  verbose?: boolean;
  /** Run the leader components (orchestrators, scheduler, ...) on every manager. */
  orchestration?: boolean;
}

export class SimManager {
  node!: RaftNode;
  store!: Store;
  /** The leader components' host, when the cluster runs with orchestration. */
  manager: Manager | undefined;
  storage!: SimStorage;
  alive = false;
  retired = false;
  incarnation = 0;
  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
  ) {}
}

export class SimWorker {
  alive = false;
  constructor(readonly id: NodeId) {}
}

export class SimCluster {
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly net: SimNetwork<Message | DispatcherWire>;
  /** The agent<->dispatcher protocol over the same network. */
  readonly dispatch: SimDispatcherTransport;
  readonly workers = new Map<NodeId, SimWorker>();
  readonly trace: Trace;
  readonly invariants = new RaftInvariants();
  readonly managers = new Map<NodeId, SimManager>();
  /** Every manager ever created; the first `opts.managers` bootstrapped the cluster. */
  readonly ids: NodeId[];
  private readonly bootstrapIds: NodeId[];
  private readonly timing: TimingProfile;
  /** A node that failed (a bug): the run stops with this error. */
  fatal: Error | undefined;

  constructor(readonly opts: SimClusterOptions) {
    this.random = seededRandom(opts.seed);
    this.clock = new VirtualClock({ maxEventsAtOneInstant: 200_000 });
    this.trace = new Trace({ now: () => this.clock.now(), verbose: opts.verbose });
    // Raft's messages may be lost like datagrams; the dispatcher protocol runs over connections
    // (gRPC on TCP in SwarmKit), which lose messages only when a partition or a crash cuts them.
    this.net = new SimNetwork<Message | DispatcherWire>({
      clock: this.clock,
      random: this.random,
      faults: opts.faults,
      reliable: isDispatcherWire,
    });
    this.dispatch = new SimDispatcherTransport({ clock: this.clock, send: (f, t, m) => this.net.send(f, t, m) });
    this.timing = opts.timing ?? LAB_TIMING;
    this.ids = [];
    for (let i = 0; i < opts.managers; i++) this.newManager();
    this.bootstrapIds = [...this.ids];
  }

  private newManager(): SimManager {
    const id = `m${this.ids.length + 1}`;
    const disk = new SimDisk({
      clock: this.clock,
      fsyncLatencyMs: this.opts.fsyncLatencyMs ? () => 1 + this.random.int(this.opts.fsyncLatencyMs!) : 0,
      tornWrites: this.opts.tornWrites ? this.random : undefined,
    });
    const m = new SimManager(id, disk);
    this.ids.push(id);
    this.managers.set(id, m);
    return m;
  }

  /**
   * Starts a brand-new manager with an empty state and no peers; it becomes a member when the
   * leader commits its addition (as SwarmKit gives every joining manager a fresh Raft ID).
   */
  async addManager(): Promise<SimManager> {
    const m = this.newManager();
    await this.boot(m.id, false);
    return m;
  }

  /**
   * A promoted worker becomes a manager: it starts a Raft node with an empty state (keeping its
   * agent and its tasks), and the leader adds it to the configuration — what swarmd does when its
   * node's role changes to manager.
   */
  async joinAsManager(id: NodeId, leader: SimManager): Promise<SimManager> {
    const disk = new SimDisk({ clock: this.clock });
    const m = new SimManager(id, disk);
    this.managers.set(id, m);
    if (!this.ids.includes(id)) this.ids.push(id);
    this.net.detach(id);
    this.workers.delete(id);
    await this.boot(id, false);
    void leader.node.proposeConfChange({ type: 'addNode', nodeId: id }).catch((err: Error) => this.trace.log(leader.id, `adding ${id} failed: ${err.message}`));
    return m;
  }

  /** Stops a manager for good (after its removal from the cluster): it is never restarted. */
  retire(id: NodeId): void {
    const m = this.managers.get(id)!;
    this.crash(id);
    m.retired = true;
    this.trace.log(id, 'retired');
  }

  async start(): Promise<void> {
    for (const id of this.bootstrapIds) await this.boot(id, true);
  }

  private async boot(id: NodeId, bootstrap: boolean): Promise<void> {
    const m = this.managers.get(id)!;
    m.incarnation++;
    m.storage = new SimStorage(m.disk);
    m.store = new Store({ clock: this.clock, random: this.random });
    const store = m.store;
    const inv = this.invariants;
    const sm: StateMachine = {
      apply: (e) => {
        inv.onApply(id, e);
        store.apply(e);
      },
      snapshot: () => store.snapshot(),
      restore: (data, index) => store.restore(data, index),
    };
    m.node = new RaftNode({
      id,
      storage: m.storage,
      transport: { send: (msgs) => msgs.forEach((msg) => this.net.send(msg.from, msg.to, msg as Message | DispatcherWire)) },
      stateMachine: sm,
      clock: this.clock,
      random: this.random,
      bootstrap: bootstrap ? this.bootstrapIds : undefined,
      tickMs: this.timing.tickMs,
      electionTick: this.timing.electionTick,
      heartbeatTick: this.timing.heartbeatTick,
      snapshotInterval: this.opts.snapshotInterval ?? 64,
      keepEntries: this.opts.keepEntries ?? 16,
      requestTimeoutMs: this.opts.requestTimeoutMs ?? 3_000,
      onFatal: (err) => {
        this.fatal ??= err;
      },
    });
    m.store.setProposer(m.node);
    const node = m.node;
    node.onStateChange((s) => this.trace.log(id, `${s.state} term=${s.term} lead=${s.lead || '-'}`));
    await node.start();
    if (this.opts.orchestration) {
      const ctx: ManagerContext = {
        store: m.store,
        clock: this.clock,
        random: this.random,
        logger: (component, line) => this.trace.log(id, `${component}: ${line}`),
      };
      const endpoint = new DispatcherEndpoint({
        self: id,
        leader: () => (node.leader() ? { nodeId: node.leader(), addr: node.leader() } : undefined),
      });
      this.dispatch.serve(id, endpoint);
      const managers = () => node.voters().map((v) => ({ nodeId: v, addr: v }));
      m.manager = new Manager({
        node,
        ctx,
        components: (c) => leaderComponents(c, raftMembership(node), [new Dispatcher(c, { endpoint, managers })]),
      });
      m.manager.start();
    }
    this.invariants.watchLog(id, node.core);
    this.net.attach(id, (from, msg) => (isDispatcherWire(msg) ? this.dispatch.deliver(from, id, msg) : node.step(msg as Message)));
    if (this.opts.orchestration && !this.agents.has(id)) this.startAgent(id, 'manager');
    m.alive = true;
    this.trace.log(id, `started (incarnation ${m.incarnation})`);
  }

  crash(id: NodeId): void {
    const m = this.managers.get(id)!;
    if (!m.alive) return;
    m.alive = false;
    this.net.detach(id);
    m.manager?.stop();
    m.node.stop();
    m.disk.crash();
    this.stopAgent(id);
    this.trace.log(id, 'crashed');
  }

  async restart(id: NodeId): Promise<void> {
    const m = this.managers.get(id)!;
    if (m.alive || m.retired) return;
    await this.boot(id, false);
  }

  alive(): SimManager[] {
    return [...this.managers.values()].filter((m) => m.alive);
  }

  leader(): SimManager | undefined {
    let best: SimManager | undefined;
    for (const m of this.alive()) {
      if (m.node.isLeader() && (!best || m.node.term() > best.node.term())) best = m;
    }
    return best;
  }

  cores(): [NodeId, Raft][] {
    return this.alive().map((m) => [m.id, m.node.core]);
  }

  /** Runs events until `until` (virtual ms), checking the invariants after every event. */
  async runUntil(until: number, stop?: () => boolean): Promise<boolean> {
    while (true) {
      if (stop?.()) return true;
      const next = this.clock.nextEventTime();
      if (next === undefined || next > until) {
        await this.clock.runUntil(until);
        return stop?.() ?? false;
      }
      await this.clock.step();
      if (this.fatal) throw this.fatal;
      this.invariants.afterEvent(this.cores());
    }
  }

  stopAll(): void {
    for (const m of this.alive()) {
      m.alive = false;
      this.net.detach(m.id);
      m.manager?.stop();
      m.node.stop();
      this.stopAgent(m.id);
    }
    for (const w of this.workers.values()) this.crashWorker(w.id);
  }

  /** A worker node: an agent with an executor, no manager. */
  addWorker(): SimWorker {
    const id = `w${this.workers.size + 1}`;
    const w = new SimWorker(id);
    this.workers.set(id, w);
    this.net.attach(id, (from, msg) => {
      if (isDispatcherWire(msg)) this.dispatch.deliver(from, id, msg);
    });
    this.startAgent(id, 'worker');
    return w;
  }

  crashWorker(id: NodeId): void {
    const w = this.workers.get(id)!;
    if (!w.alive) return;
    this.stopAgent(id);
    this.net.detach(id);
    this.trace.log(id, 'crashed');
  }

  restartWorker(id: NodeId): void {
    const w = this.workers.get(id)!;
    if (w.alive) return;
    this.net.attach(id, (from, msg) => {
      if (isDispatcherWire(msg)) this.dispatch.deliver(from, id, msg);
    });
    this.startAgent(id, 'worker');
  }

  /** Every node's agent (managers run tasks too, as in Docker Swarm), by node ID. */
  readonly agents = new Map<NodeId, { agent: Agent; executor: TestExecutor }>();

  private startAgent(id: NodeId, role: 'manager' | 'worker'): void {
    // A node's processes die with it: a restarted node starts with a fresh executor.
    const executor = new TestExecutor({ clock: this.clock, idPrefix: `${id}-` });
    const agent = new Agent({
      nodeId: id,
      description: {
        Hostname: id,
        Platform: { OS: 'linux', Architecture: 'x86_64' },
        Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 2 ** 30 },
        Engine: {},
      },
      addr: id,
      role,
      clock: this.clock,
      random: this.random,
      executor,
      connect: this.dispatch.connector(id),
      managers: [...this.bootstrapIds],
      logger: (line) => this.trace.log(id, `agent: ${line}`),
    });
    this.agents.set(id, { agent, executor });
    const w = this.workers.get(id);
    if (w) w.alive = true;
    agent.start();
  }

  private stopAgent(id: NodeId): void {
    const a = this.agents.get(id);
    if (!a) return;
    a.agent.stop();
    a.executor.crash();
    this.agents.delete(id);
    this.dispatch.unserve(id);
    this.dispatch.dropClients(id);
    const w = this.workers.get(id);
    if (w) w.alive = false;
  }
}

/** Errors after which a write may or may not have taken effect. */
export function outcomeUnknown(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'LeadershipLostError' || name === 'RequestTimeoutError' || err instanceof NodeStoppedError;
}
