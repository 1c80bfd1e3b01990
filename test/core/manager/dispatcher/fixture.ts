// Dispatchers and agents on one store, on virtual time, over the in-process transport. Every
// manager address has an endpoint; the leader's runs the Dispatcher, the others send agents on.

import type { NodeDescription, TaskObject, TaskState } from '../../../../core/api/objects.ts';
import { Agent, type AgentEvent, type AgentOptions } from '../../../../core/agent/agent.ts';
import { TestExecutor, type TestTaskBehaviour } from '../../../../core/agent/test-executor.ts';
import { InProcessDispatcherNetwork } from '../../../../core/dispatcher/in-process.ts';
import type { AssignmentsMessage, DispatcherClient } from '../../../../core/dispatcher/protocol.ts';
import { Dispatcher, type DispatcherOptions } from '../../../../core/manager/dispatcher/dispatcher.ts';
import { DispatcherEndpoint } from '../../../../core/manager/dispatcher/endpoint.ts';
import type { ManagerContext } from '../../../../core/manager/component.ts';
import { seededRandom } from '../../../../core/random.ts';
import { LocalProposer, Store } from '../../../../core/store/store.ts';
import { VirtualClock } from '../../../sim/virtual-clock.ts';

export const description = (hostname: string): NodeDescription => ({
  Hostname: hostname,
  Platform: { OS: 'linux', Architecture: 'x86_64' },
  Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 31 },
  Engine: { EngineVersion: 'swarmlab', Labels: { zone: 'a' } },
});

export interface FixtureAgent {
  agent: Agent;
  executor: TestExecutor;
  events: AgentEvent[];
}

export class DispatchFixture {
  readonly clock = new VirtualClock({ start: Date.UTC(2026, 10, 23) });
  readonly random = seededRandom(11);
  readonly store = new Store({ clock: this.clock, random: this.random });
  readonly logs: string[] = [];
  readonly ctx: ManagerContext = {
    store: this.store,
    clock: this.clock,
    random: this.random,
    logger: (c, line) => this.logs.push(`${c}: ${line}`),
  };
  readonly net = new InProcessDispatcherNetwork({ clock: this.clock, latencyMs: 1 });
  readonly endpoints = new Map<string, DispatcherEndpoint>();
  leader: string | undefined;
  readonly dispatchers: Dispatcher[] = [];
  readonly agents: Agent[] = [];
  /** Transactions applied, with how many task objects each changed. */
  readonly txs: { index: number; tasks: number; nodes: number }[] = [];
  private taskSeq = 0;

  constructor(readonly managers: string[] = ['m1']) {
    this.store.setProposer(new LocalProposer(this.store));
    this.store.watch((e) =>
      this.txs.push({
        index: e.index,
        tasks: e.changes.filter((c) => c.table === 'tasks').length,
        nodes: e.changes.filter((c) => c.table === 'nodes').length,
      }),
    );
    for (const m of managers) {
      const ep = new DispatcherEndpoint({ self: m, leader: () => (this.leader ? { nodeId: this.leader, addr: this.leader } : undefined) });
      this.endpoints.set(m, ep);
      this.net.serve(m, ep);
    }
  }

  /** Starts a dispatcher on manager `on`, which becomes the leader. */
  startDispatcher(on = this.managers[0]!, opts: DispatcherOptions = {}): Dispatcher {
    const d = new Dispatcher(this.ctx, {
      endpoint: this.endpoints.get(on),
      managers: () => this.managers.map((m) => ({ nodeId: m, addr: m })),
      ...opts,
    });
    this.leader = on;
    d.start();
    this.dispatchers.push(d);
    return d;
  }

  stopAll(): void {
    for (const a of this.agents) a.stop();
    for (const d of this.dispatchers) d.stop();
  }

  agent(
    nodeId: string,
    opts: Partial<AgentOptions> & { behaviour?: (t: TaskObject) => TestTaskBehaviour } = {},
  ): FixtureAgent {
    const executor = new TestExecutor({ clock: this.clock, behaviour: opts.behaviour, idPrefix: `${nodeId}-c` });
    const events: AgentEvent[] = [];
    const agent = new Agent({
      nodeId,
      description: description(`host-${nodeId}`),
      addr: `10.0.0.${this.agents.length + 10}`,
      clock: this.clock,
      random: this.random,
      executor,
      connect: (addr) => this.net.connect(addr),
      managers: this.managers,
      logger: (line) => this.logs.push(line),
      onEvent: (e) => events.push(e),
      ...opts,
    });
    this.agents.push(agent);
    agent.start();
    return { agent, executor, events };
  }

  /** A raw client, for protocol-level tests. */
  client(addr = this.leader ?? this.managers[0]!): DispatcherClient {
    return this.net.connect(addr);
  }

  async addNode(id: string, state: 'ready' | 'down' | 'unknown' = 'ready'): Promise<void> {
    await this.store.update((tx) =>
      tx.create('nodes', {
        ID: id,
        Spec: { Role: 'worker', Availability: 'active' },
        Description: description(`host-${id}`),
        Status: { State: state },
      }),
    );
  }

  /** A task as the scheduler leaves it: assigned to `nodeId`. */
  async addTask(nodeId: string | undefined, opts: { state?: TaskState; desired?: TaskState; id?: string; image?: string } = {}): Promise<string> {
    const id = opts.id ?? `task${++this.taskSeq}`;
    await this.store.update((tx) =>
      tx.create('tasks', {
        ID: id,
        ServiceID: 'svc1',
        Slot: this.taskSeq,
        Spec: { ContainerSpec: { Image: opts.image ?? 'swarmlab/whoami:1' } },
        ...(nodeId ? { NodeID: nodeId } : {}),
        Status: { State: opts.state ?? 'assigned', Message: 'scheduler assigned task to node', Timestamp: new Date(this.clock.now()).toISOString() },
        DesiredState: opts.desired ?? 'running',
      }),
    );
    return id;
  }

  async updateTask(id: string, fn: (t: TaskObject) => TaskObject): Promise<void> {
    await this.store.update((tx) => tx.update('tasks', fn(tx.get('tasks', id)!)));
  }

  async setDesired(id: string, desired: TaskState): Promise<void> {
    await this.updateTask(id, (t) => ({ ...t, DesiredState: desired }));
  }

  task(id: string): TaskObject {
    const t = this.store.view((tx) => tx.get('tasks', id));
    if (!t) throw new Error(`no task ${id}`);
    return t;
  }

  node(id: string) {
    return this.store.view((tx) => tx.get('nodes', id));
  }

  /** Runs virtual time until `p` settles (a deadline guards against a promise that never does). */
  async settle<T>(p: Promise<T>, ms = 30_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    if (!(await this.clock.runUntilCondition(() => done, this.clock.now() + ms))) {
      throw new Error(`still pending after ${ms} ms of virtual time`);
    }
    return p;
  }

  async until(pred: () => boolean, ms = 30_000): Promise<boolean> {
    await this.clock.runFor(0); // continuations first: they may schedule what pred waits for
    return this.clock.runUntilCondition(pred, this.clock.now() + ms);
  }

  async run(ms: number): Promise<void> {
    await this.clock.runFor(ms);
  }
}

/** Records an assignments stream. */
export class StreamRecorder {
  readonly messages: AssignmentsMessage[] = [];
  ended: Error | undefined;
  done = false;
  readonly observer = {
    message: (m: AssignmentsMessage) => this.messages.push(m),
    end: (err?: Error) => {
      this.done = true;
      this.ended = err;
    },
  };

  last(): AssignmentsMessage | undefined {
    return this.messages[this.messages.length - 1];
  }

  /** Task IDs the agent would hold after all messages so far. */
  holds(): string[] {
    const set = new Set<string>();
    for (const m of this.messages) {
      if (m.type === 'complete') {
        set.clear();
        m.tasks.forEach((t) => set.add(t.ID));
      } else {
        m.update.forEach((t) => set.add(t.ID));
        m.remove.forEach((id) => set.delete(id));
      }
    }
    return [...set].sort();
  }
}
