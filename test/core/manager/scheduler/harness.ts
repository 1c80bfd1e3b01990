// A store without Raft on virtual time, with the scheduler on it, and helpers to make nodes,
// services and tasks the way the orchestrator and the allocator would leave them.

import type { NodeObject, ServiceObject, TaskObject, TaskSpec, TaskState } from '../../../../core/api/objects.ts';
import { Scheduler, type SchedulerOptions } from '../../../../core/manager/scheduler/scheduler.ts';
import { seededRandom } from '../../../../core/random.ts';
import { LocalProposer, Store, type Proposer, type StoreEvent } from '../../../../core/store/store.ts';
import { VirtualClock } from '../../../sim/virtual-clock.ts';

export const GiB = 2 ** 30;
export const CPU = 1e9;

/** LocalProposer with a one-shot hook that runs before a proposal is applied. */
export class HookProposer implements Proposer {
  private readonly inner: LocalProposer;
  hook: ((data: Uint8Array) => void) | undefined;

  constructor(store: Store) {
    this.inner = new LocalProposer(store);
  }

  async propose(data: Uint8Array): Promise<number> {
    const h = this.hook;
    if (h) {
      this.hook = undefined;
      h(data);
    }
    return this.inner.propose(data);
  }

  async readBarrier(): Promise<void> {}
}

export interface NodeOpts {
  state?: NodeObject['Status']['State'];
  availability?: NodeObject['Spec']['Availability'];
  role?: NodeObject['Spec']['Role'];
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  hostname?: string;
  os?: string;
  arch?: string;
  cpus?: number;
  memoryGiB?: number;
}

export interface TaskOpts {
  spec?: Partial<TaskSpec>;
  state?: TaskState;
  desired?: TaskState;
  nodeId?: string;
  specVersion?: number;
}

export class SchedHarness {
  readonly clock = new VirtualClock({ start: Date.UTC(2026, 0, 5, 9, 0, 0) });
  readonly store: Store;
  readonly proposer: HookProposer;
  scheduler: Scheduler;
  /** Every applied transaction, in order. */
  readonly events: StoreEvent[] = [];
  private taskSeq = 0;

  constructor(opts: SchedulerOptions & { seed?: number } = {}) {
    const random = seededRandom(opts.seed ?? 1);
    this.store = new Store({ clock: this.clock, random });
    this.proposer = new HookProposer(this.store);
    this.store.setProposer(this.proposer);
    this.store.watch((e) => this.events.push(e));
    this.scheduler = new Scheduler({ store: this.store, clock: this.clock, random }, opts);
  }

  start(): this {
    this.scheduler.start();
    return this;
  }

  /** Runs virtual time until the scheduler has nothing left to do (with a deadline). */
  async settle(deadlineMs = 60_000): Promise<void> {
    const ok = await this.clock.runUntilCondition(() => this.scheduler.idle, this.clock.now() + deadlineMs);
    if (!ok) throw new Error(`scheduler still busy after ${deadlineMs} ms of virtual time`);
  }

  async addNode(id: string, o: NodeOpts = {}): Promise<void> {
    await this.store.update((tx) => tx.create('nodes', makeNode(id, o)));
  }

  async updateNode(id: string, fn: (n: NodeObject) => NodeObject): Promise<void> {
    await this.store.update((tx) => tx.update('nodes', fn(tx.get('nodes', id)!)));
  }

  async setNodeState(id: string, state: NodeObject['Status']['State']): Promise<void> {
    await this.updateNode(id, (n) => ({ ...n, Status: { ...n.Status, State: state } }));
  }

  async addService(id: string, s: Partial<ServiceObject['Spec']> = {}): Promise<void> {
    await this.store.update((tx) =>
      tx.create('services', {
        ID: id,
        Spec: {
          Name: id,
          TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
          Mode: { Replicated: { Replicas: 1 } },
          ...s,
        },
      }),
    );
  }

  /** Creates `count` tasks of a service in one transaction; returns their IDs. */
  async addTasks(serviceId: string, count: number, o: TaskOpts = {}): Promise<string[]> {
    const tasks = Array.from({ length: count }, () => this.makeTask(serviceId, o));
    await this.store.update((tx) => {
      for (const t of tasks) tx.create('tasks', t);
    });
    return tasks.map((t) => t.ID);
  }

  makeTask(serviceId: string, o: TaskOpts = {}): TaskObject {
    const n = ++this.taskSeq;
    return {
      ID: `task${String(n).padStart(5, '0')}`,
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      ServiceID: serviceId,
      ServiceName: serviceId,
      Slot: n,
      Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, ...o.spec },
      SpecVersion: { Index: o.specVersion ?? 1 },
      Status: { State: o.state ?? 'pending', Timestamp: new Date(this.clock.now()).toISOString(), Message: 'pending task scheduling' },
      DesiredState: o.desired ?? 'running',
      ...(o.nodeId ? { NodeID: o.nodeId } : {}),
    };
  }

  /** Moves a task's observed state (as its agent would report). */
  async report(taskId: string, state: TaskState): Promise<void> {
    await this.store.update((tx) => {
      const t = tx.get('tasks', taskId)!;
      tx.update('tasks', { ...t, Status: { ...t.Status, State: state, Message: state } });
    });
  }

  task(id: string): TaskObject {
    const t = this.store.view((tx) => tx.get('tasks', id));
    if (!t) throw new Error(`no task ${id}`);
    return t;
  }

  tasks(serviceId?: string): TaskObject[] {
    return this.store.view((tx) => tx.find('tasks', (t) => !serviceId || t.ServiceID === serviceId));
  }

  /** Assigned (or further) tasks per node, for a service or all. */
  perNode(serviceId?: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.tasks(serviceId)) {
      if (t.NodeID && t.Status.State !== 'pending' && t.Status.State !== 'new') out[t.NodeID] = (out[t.NodeID] ?? 0) + 1;
    }
    return out;
  }

  /** How many applied transactions changed this task (after its creation). */
  writesTo(taskId: string): number {
    return this.events.filter((e) => e.changes.some((c) => c.type === 'update' && c.table === 'tasks' && c.object.ID === taskId)).length;
  }
}

export function makeNode(id: string, o: NodeOpts = {}): NodeObject {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Role: o.role ?? 'worker', Availability: o.availability ?? 'active', Labels: o.labels ?? {} },
    Description: {
      Hostname: o.hostname ?? id,
      Platform: { OS: o.os ?? 'linux', Architecture: o.arch ?? 'x86_64' },
      Resources: { NanoCPUs: (o.cpus ?? 4) * CPU, MemoryBytes: (o.memoryGiB ?? 8) * GiB },
      Engine: { Labels: o.engineLabels ?? {} },
    },
    Status: { State: o.state ?? 'ready' },
  };
}
