// A manager's leader components on a store without Raft, on virtual time, with stand-ins for what
// lies beyond the store: `place` assigns pending tasks as a scheduler would, `agents` drive
// assigned tasks through their states as nodes would (and fail or complete them on request).

import type { NodeObject, ServiceSpec, TaskObject, TaskState } from '../../../core/api/objects.ts';
import { matchConstraints, parseConstraints } from '../../../core/api/constraints.ts';
import { isForward, isTerminal, stateRank } from '../../../core/api/task-state.ts';
import type { LeaderComponent, ManagerContext } from '../../../core/manager/component.ts';
import { seededRandom } from '../../../core/random.ts';
import { LocalProposer, Store } from '../../../core/store/store.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

export class ManagerHarness {
  readonly clock = new VirtualClock({ start: Date.UTC(2026, 10, 23) });
  readonly random = seededRandom(7);
  readonly store = new Store({ clock: this.clock, random: this.random });
  readonly ctx: ManagerContext;
  private components: LeaderComponent[] = [];
  private nodeSeq = 0;
  private serviceSeq = 0;
  /** Automatic stand-ins for the scheduler and the agents; turn off to drive them by hand. */
  autoPlace = true;
  autoRun = true;

  constructor() {
    this.store.setProposer(new LocalProposer(this.store));
    this.ctx = { store: this.store, clock: this.clock, random: this.random };
    this.store.watch(() => this.scheduleTick());
  }

  use(...cs: LeaderComponent[]): void {
    for (const c of cs) {
      this.components.push(c);
      c.start();
    }
  }

  stop(): void {
    for (const c of this.components) c.stop();
  }

  async addNode(opts: Partial<NodeObject['Spec']> & { state?: NodeObject['Status']['State']; hostname?: string } = {}): Promise<string> {
    const id = `node${++this.nodeSeq}`;
    await this.store.update((tx) =>
      tx.create('nodes', {
        ID: id,
        Spec: { Role: opts.Role ?? 'worker', Availability: opts.Availability ?? 'active', Labels: opts.Labels ?? {} },
        Description: {
          Hostname: opts.hostname ?? id,
          Platform: { OS: 'linux', Architecture: 'x86_64' },
          Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 2 ** 30 },
          Engine: {},
        },
        Status: { State: opts.state ?? 'ready' },
      }),
    );
    return id;
  }

  async updateNode(id: string, fn: (n: NodeObject) => NodeObject): Promise<void> {
    await this.store.update((tx) => tx.update('nodes', fn(tx.get('nodes', id)!)));
  }

  async createService(spec: Partial<ServiceSpec> & { image?: string }): Promise<string> {
    const id = `svc${++this.serviceSeq}`;
    const { image, ...rest } = spec;
    await this.store.update((tx) =>
      tx.create('services', {
        ID: id,
        Spec: {
          Name: id,
          TaskTemplate: { ContainerSpec: { Image: image ?? 'swarmlab/whoami:1' } },
          Mode: { Replicated: { Replicas: 1 } },
          ...rest,
        },
      }),
    );
    return id;
  }

  async updateService(id: string, fn: (s: ServiceSpec) => ServiceSpec): Promise<void> {
    await this.store.update((tx) => {
      const s = tx.get('services', id)!;
      tx.update('services', { ...s, PreviousSpec: s.Spec, Spec: fn(s.Spec) });
    });
  }

  async removeService(id: string): Promise<void> {
    await this.store.update((tx) => tx.delete('services', id));
  }

  tasks(serviceId?: string): TaskObject[] {
    return this.store.view((tx) => tx.find('tasks', (t) => !serviceId || t.ServiceID === serviceId));
  }

  /** Tasks meant to run and running. */
  running(serviceId?: string): TaskObject[] {
    return this.tasks(serviceId).filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');
  }

  /** Sets a task's observed state, as its agent would report it. */
  async report(taskId: string, state: TaskState, message: string = state, exitCode?: number): Promise<void> {
    await this.store.update((tx) => {
      const t = tx.get('tasks', taskId)!;
      if (!isForward(t.Status.State, state)) return;
      tx.update('tasks', {
        ...t,
        Status: {
          ...t.Status,
          State: state,
          Message: message,
          Timestamp: new Date(this.clock.now()).toISOString(),
          ...(exitCode === undefined ? {} : { ContainerStatus: { ExitCode: exitCode } }),
          ...(state === 'failed' ? { Err: message } : {}),
        },
      });
    });
  }

  private tickPending = false;

  /** The stand-in for starting a task: images with `red` in their name fail, like swarmlab/web:red. */
  private start(t: TaskObject): Pick<TaskObject['Status'], 'State' | 'Message' | 'Err'> {
    if (t.Spec.ContainerSpec.Image.includes('red')) return { State: 'failed', Message: 'started', Err: 'task: non-zero exit (1)' };
    return { State: 'running', Message: 'started' };
  }

  private scheduleTick(): void {
    if (this.tickPending || !(this.autoPlace || this.autoRun)) return;
    this.tickPending = true;
    this.clock.setTimeout(() => {
      this.tickPending = false;
      void this.tickAgents();
    }, 5);
  }

  /**
   * One round of the stand-ins: place pending tasks on the least loaded ready, active node that
   * meets their constraints (or their preassigned node); start tasks whose desired state is running; stop tasks told to stop.
   */
  private async tickAgents(): Promise<void> {
    const now = new Date(this.clock.now()).toISOString();
    try {
      await this.store.update((tx) => {
        const nodes = tx.find('nodes', (n) => n.Status.State === 'ready' && n.Spec.Availability === 'active');
        const load = new Map(nodes.map((n) => [n.ID, 0]));
        for (const t of tx.find('tasks', (t) => !!t.NodeID && !isTerminal(t.Status.State))) load.set(t.NodeID!, (load.get(t.NodeID!) ?? 0) + 1);
        for (const t of tx.find('tasks')) {
          const down = t.NodeID ? tx.get('nodes', t.NodeID)?.Status.State === 'down' : false;
          if (this.autoPlace && t.Status.State === 'pending' && stateRank(t.DesiredState) <= stateRank('running')) {
            const cs = parseConstraints(t.Spec.Placement?.Constraints);
            const candidates = (t.NodeID ? nodes.filter((n) => n.ID === t.NodeID) : nodes).filter((n) => matchConstraints(cs, n));
            const node = [...candidates].sort((a, b) => load.get(a.ID)! - load.get(b.ID)! || a.ID.localeCompare(b.ID))[0];
            if (!node) continue;
            load.set(node.ID, load.get(node.ID)! + 1);
            tx.update('tasks', { ...t, NodeID: node.ID, Status: { ...t.Status, State: 'assigned', Timestamp: now, Message: 'assigned' } });
          } else if (this.autoRun && !down && t.Status.State === 'assigned' && t.DesiredState === 'running') {
            tx.update('tasks', { ...t, Status: { ...t.Status, ...this.start(t), Timestamp: now } });
          } else if (this.autoRun && !down && t.Status.State === 'assigned' && t.DesiredState === 'ready') {
            tx.update('tasks', { ...t, Status: { ...t.Status, State: 'ready', Timestamp: now, Message: 'prepared' } });
          } else if (this.autoRun && !down && t.Status.State === 'ready' && t.DesiredState === 'running') {
            tx.update('tasks', { ...t, Status: { ...t.Status, ...this.start(t), Timestamp: now } });
          } else if (this.autoRun && !down && stateRank(t.DesiredState) > stateRank('running') && !isTerminal(t.Status.State) && stateRank(t.Status.State) >= stateRank('assigned')) {
            tx.update('tasks', { ...t, Status: { ...t.Status, State: 'shutdown', Timestamp: now, Message: 'shutdown' } });
          }
        }
      });
    } catch {
      this.scheduleTick();
    }
  }

  /** Runs virtual time until pred holds; false if the deadline passes first. */
  async until(pred: () => boolean, ms = 30_000): Promise<boolean> {
    return this.clock.runUntilCondition(pred, this.clock.now() + ms);
  }

  async run(ms: number): Promise<void> {
    await this.clock.runFor(ms);
  }
}
