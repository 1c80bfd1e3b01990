// A pretend swarm for the demo mode, the screenshots and the UI benchmark: it keeps a LabView and
// emits the same events the lab controller does (snapshot, deltas, timeline), with plausible
// behaviour — leader elections, rescheduling off dead nodes, rolling updates — but no real Raft.
// Time goes through an injected scheduler and randomness through a seeded PRNG, so a seed replays.

import type {
  LabEvent, LabPhase, MachineView, NetworkView, NodeView, QuorumView, ServiceCreateRequest, ServiceUpdatePolicy, ServiceView,
  TaskState, TaskView, TimelineEntry, ViewDelta, Warning,
} from '../../main/lab/protocol.ts';
import { place } from './placement.ts';
import type { Random } from './prng.ts';

export interface Clock {
  now(): number;
  after(ms: number, fn: () => void): void;
}

interface Spec {
  image: string;
  previousImage?: string;
  constraints: string[];
  update: Required<Pick<ServiceUpdatePolicy, 'parallelism' | 'failureAction'>> & { delayMs: number };
  /** Bumped on every image change: tasks remember which one they run. */
  version: number;
}

const GERUND: Record<string, string> = { kill: 'Killing', stop: 'Stopping', pause: 'Pausing', remove: 'Removing', restart: 'Restarting', partition: 'Partitioning' };

/** Images whose tasks fail to start (the catalog's rollback demo). */
const FAILING_IMAGES = new Set(['swarmlab/web:red', 'swarmlab/crash']);

/** How long the lab profile takes to notice a dead node (heartbeat failure) and elect a leader. */
const NODE_DOWN_MS = 900;
const ELECTION_MS = 700;
const TASK_START_MS = 350;

class Tx {
  readonly delta: ViewDelta = {};
  node(n: NodeView): void { ((this.delta.nodes ??= {}).upsert ??= []).push(n); }
  removeNode(id: string): void { ((this.delta.nodes ??= {}).remove ??= []).push(id); }
  machine(m: MachineView): void { ((this.delta.machines ??= {}).upsert ??= []).push(m); }
  removeMachine(name: string): void { ((this.delta.machines ??= {}).remove ??= []).push(name); }
  service(s: ServiceView): void { ((this.delta.services ??= {}).upsert ??= []).push(s); }
  removeService(id: string): void { ((this.delta.services ??= {}).remove ??= []).push(id); }
  task(t: TaskView): void { ((this.delta.tasks ??= {}).upsert ??= []).push(t); }
  removeTask(id: string): void { ((this.delta.tasks ??= {}).remove ??= []).push(id); }
  network(n: NetworkView): void { ((this.delta.networks ??= {}).upsert ??= []).push(n); }
  removeNetwork(id: string): void { ((this.delta.networks ??= {}).remove ??= []).push(id); }
  get empty(): boolean { return Object.keys(this.delta).length === 0; }
}

export class FakeCluster {
  phase: LabPhase = 'none';
  name?: string;
  leaderId?: string;
  readonly machines = new Map<string, MachineView>();
  readonly nodes = new Map<string, NodeView>();
  readonly services = new Map<string, ServiceView>();
  readonly tasks = new Map<string, TaskView>();
  readonly networks = new Map<string, NetworkView>();
  readonly specs = new Map<string, Spec>();
  readonly timeline: TimelineEntry[] = [];
  private ids = 0;
  private seq = 0;
  private colors = 0;
  private pendingTx?: Tx;

  constructor(
    readonly rng: Random,
    readonly clock: Clock,
    private readonly emit: (e: LabEvent) => void,
  ) {}

  snapshot(): LabEvent {
    return {
      type: 'snapshot',
      timeline: [...this.timeline],
      view: {
        phase: this.phase, stale: false, quorum: this.quorum(),
        ...(this.name ? { name: this.name, via: this.viaMachine() } : {}),
        ...(this.leaderId ? { leaderId: this.leaderId } : {}),
        machines: [...this.machines.values()], nodes: [...this.nodes.values()],
        services: [...this.services.values()], tasks: [...this.tasks.values()],
        networks: [...this.networks.values()].sort((a, b) => a.name.localeCompare(b.name)),
      },
    };
  }

  // ------------------------------------------------------------------------------------------
  // Transactions: every change inside one call of `change` goes out as one delta.

  change(fn: (tx: Tx) => void): void {
    if (this.pendingTx) { fn(this.pendingTx); return; }
    const tx = new Tx();
    this.pendingTx = tx;
    const quorumBefore = JSON.stringify(this.quorum());
    const leaderBefore = this.leaderId;
    try {
      fn(tx);
    } finally {
      this.pendingTx = undefined;
    }
    const quorum = this.quorum();
    if (JSON.stringify(quorum) !== quorumBefore) tx.delta.quorum = quorum;
    if (this.leaderId !== leaderBefore) tx.delta.leaderId = this.leaderId ?? null;
    if (!tx.empty) this.emit({ type: 'delta', delta: tx.delta });
  }

  note(kind: TimelineEntry['kind'], severity: TimelineEntry['severity'], text: string, ids: { nodeId?: string; serviceId?: string } = {}): void {
    const entry: TimelineEntry = { seq: ++this.seq, time: this.iso(), kind, severity, text, ...ids };
    this.timeline.push(entry);
    if (this.timeline.length > 500) this.timeline.shift();
    this.emit({ type: 'timeline', entry });
  }

  iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  id(prefix: string): string {
    // Docker-like IDs: 25 base-36 characters, deterministic for a seed.
    let s = prefix;
    while (s.length < 25) s += Math.floor(this.rng() * 36).toString(36);
    return `${s}${(++this.ids).toString(36)}`.slice(-25);
  }

  // ------------------------------------------------------------------------------------------
  // Nodes

  quorum(): QuorumView {
    const managers = [...this.nodes.values()].filter((n) => n.role === 'manager');
    const reachable = managers.filter((n) => n.reachability === 'reachable').length;
    const quorum = Math.floor(managers.length / 2) + 1;
    return { managers: managers.length, reachable, quorum: managers.length ? quorum : 0, canLose: managers.length ? reachable - quorum : 0 };
  }

  private viaMachine(): string | undefined {
    const leader = this.leaderId ? this.nodes.get(this.leaderId) : undefined;
    return leader?.machine;
  }

  addNode(role: 'manager' | 'worker', hostname?: string, tx?: Tx): NodeView {
    const count = [...this.machines.values()].filter((m) => m.role === role).length;
    const name = hostname ?? this.freeName(role === 'manager' ? 'manager' : 'worker', count + 1);
    const address = `127.0.0.${10 + this.machines.size}`;
    const node: NodeView = {
      id: this.id('n'), hostname: name, machine: name, role, leader: false,
      ...(role === 'manager' ? { reachability: 'reachable' as const } : {}),
      state: 'ready', availability: 'active', addr: address, labels: {},
    };
    const machine: MachineView = { name, role, state: 'Running', address, nodeId: node.id };
    const apply = (t: Tx) => {
      this.machines.set(name, machine);
      this.nodes.set(node.id, node);
      t.machine(machine);
      t.node(node);
      if (role === 'manager' && !this.leaderId) this.setLeader(node.id, t);
    };
    if (tx) apply(tx); else this.change(apply);
    return node;
  }

  private freeName(base: string, from: number): string {
    for (let i = from; ; i++) if (!this.machines.has(`${base}${i}`)) return `${base}${i}`;
  }

  updateNode(id: string, patch: Partial<NodeView>, tx: Tx): NodeView | undefined {
    const cur = this.nodes.get(id);
    if (!cur) return undefined;
    const next = { ...cur, ...patch };
    this.nodes.set(id, next);
    tx.node(next);
    return next;
  }

  updateMachine(name: string, patch: Partial<MachineView>, tx: Tx): void {
    const cur = this.machines.get(name);
    if (!cur) return;
    const next = { ...cur, ...patch };
    this.machines.set(name, next);
    tx.machine(next);
  }

  setLeader(id: string | undefined, tx: Tx): void {
    if (this.leaderId && this.leaderId !== id) this.updateNode(this.leaderId, { leader: false }, tx);
    this.leaderId = id;
    if (id) this.updateNode(id, { leader: true }, tx);
  }

  nodeByMachine(machine: string): NodeView | undefined {
    const id = this.machines.get(machine)?.nodeId;
    return id ? this.nodes.get(id) : undefined;
  }

  /** The node stops answering: the swarm notices after a heartbeat timeout. */
  nodeLost(id: string, message: string): void {
    const node = this.nodes.get(id);
    if (!node) return;
    this.clock.after(NODE_DOWN_MS, () => {
      const cur = this.nodes.get(id);
      if (!cur || this.machineHealthy(cur)) return;
      this.change((tx) => {
        this.updateNode(id, { state: 'down', message, ...(cur.role === 'manager' ? { reachability: 'unreachable' as const } : {}) }, tx);
        if (this.leaderId === id) this.setLeader(undefined, tx);
      });
      this.note('node', 'error', `${cur.hostname} is down (${message})`, { nodeId: id });
      if (!this.leaderId) this.scheduleElection();
      this.rescheduleAll();
    });
  }

  machineHealthy(n: NodeView): boolean {
    const m = n.machine ? this.machines.get(n.machine) : undefined;
    return !m || (m.state === 'Running' && !m.faults?.partition);
  }

  scheduleElection(): void {
    this.clock.after(ELECTION_MS, () => {
      if (this.leaderId) return;
      const q = this.quorum();
      if (q.canLose < 0) {
        this.note('leader', 'error', `no leader: ${q.reachable} of ${q.managers} managers reachable, quorum is ${q.quorum}`);
        return;
      }
      const candidates = [...this.nodes.values()].filter((n) => n.role === 'manager' && n.reachability === 'reachable');
      const winner = candidates[Math.floor(this.rng() * candidates.length)];
      if (!winner) return;
      this.change((tx) => this.setLeader(winner.id, tx));
      this.note('leader', 'warning', `${winner.hostname} elected leader`, { nodeId: winner.id });
      this.rescheduleAll();
    });
  }

  /** The node answers again. */
  nodeBack(id: string): void {
    this.clock.after(NODE_DOWN_MS / 2, () => {
      const cur = this.nodes.get(id);
      if (!cur || !this.machineHealthy(cur) || cur.state === 'ready') return;
      this.change((tx) => {
        this.updateNode(id, { state: 'ready', message: undefined, ...(cur.role === 'manager' ? { reachability: 'reachable' as const } : {}) }, tx);
        // Its old tasks are reported shut down once it is back.
        for (const t of this.tasks.values()) if (t.nodeId === id && t.desiredState !== 'running') this.setTask(t, { state: 'shutdown', message: 'shutdown' }, tx);
      });
      this.note('node', 'info', `${cur.hostname} is ready`, { nodeId: id });
      if (!this.leaderId) this.scheduleElection();
      this.rescheduleAll();
    });
  }

  checkNodeChange(nodeId: string, role?: 'manager' | 'worker', availability?: string, action?: string): Warning | undefined {
    const node = this.nodes.get(nodeId);
    if (!node) return undefined;
    const q = this.quorum();
    const stops = action && ['kill', 'stop', 'pause', 'remove', 'partition', 'restart'].includes(action);
    if (stops && node.role === 'manager' && node.reachability === 'reachable' && q.reachable - 1 < q.quorum) {
      return {
        message: `${GERUND[action] ?? action} ${node.hostname} would lose quorum`,
        reason: `${q.reachable - 1} of ${q.managers} managers would be reachable; a majority needs ${q.quorum}. The swarm would stop accepting changes until one comes back.`,
      };
    }
    if (role === 'worker' && node.role === 'manager') {
      const managers = q.managers - 1;
      const reachable = q.reachable - (node.reachability === 'reachable' ? 1 : 0);
      const quorum = Math.floor(managers / 2) + 1;
      if (managers === 0) return { message: `Demoting ${node.hostname} leaves the swarm without a manager`, reason: 'it is the last manager' };
      if (reachable < quorum) {
        return {
          message: `Demoting ${node.hostname} would lose quorum`,
          reason: `${managers} managers would need ${quorum} reachable for a quorum, and only ${reachable} are`,
        };
      }
    }
    if (availability === 'drain' && node.availability !== 'drain') {
      const others = [...this.nodes.values()].filter((n) => n.id !== nodeId && n.state === 'ready' && n.availability === 'active');
      if (others.length === 0) return { message: `Draining ${node.hostname} leaves no node to run tasks`, reason: 'every other node is down, paused or drained' };
    }
    return undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Services and tasks

  /** Tasks per node (of this service, of all), for spreading; `placed` counts one more as it goes. */
  load(serviceId: string): { of: (nodeId: string) => [number, number]; placed: (nodeId: string) => void } {
    const perService = new Map<string, number>();
    const total = new Map<string, number>();
    const add = (id: string, own: boolean) => {
      total.set(id, (total.get(id) ?? 0) + 1);
      if (own) perService.set(id, (perService.get(id) ?? 0) + 1);
    };
    for (const t of this.tasks.values()) if (t.nodeId && t.desiredState === 'running') add(t.nodeId, t.serviceId === serviceId);
    return { of: (id) => [perService.get(id) ?? 0, total.get(id) ?? 0], placed: (id) => add(id, true) };
  }

  // ------------------------------------------------------------------------------------------
  // Networks: the routing mesh's ingress, and overlays services attach to.

  private subnets = 0;

  addNetwork(name: string, o: { ingress?: boolean; attachable?: boolean; stack?: string } = {}, tx?: Tx): NetworkView {
    const existing = [...this.networks.values()].find((n) => n.name === name);
    if (existing) return existing;
    const k = this.subnets++;
    const net: NetworkView = {
      id: this.id('w'), name, driver: 'overlay', subnet: `10.0.${k}.0/24`, gateway: `10.0.${k}.1`,
      ingress: o.ingress === true, attachable: o.attachable === true, ...(o.stack ? { stack: o.stack } : {}), services: [],
    };
    this.networks.set(net.id, net);
    if (tx) tx.network(net); else this.change((t) => t.network(net));
    return net;
  }

  networkByName(name: string): NetworkView | undefined {
    return [...this.networks.values()].find((n) => n.name === name);
  }

  private attach(svc: ServiceView, tx: Tx): void {
    for (const n of this.networks.values()) {
      const on = svc.networks?.includes(n.id) === true;
      const listed = n.services.includes(svc.id);
      if (on === listed) continue;
      const next = { ...n, services: on ? [...n.services, svc.id].sort() : n.services.filter((x) => x !== svc.id) };
      this.networks.set(n.id, next);
      tx.network(next);
    }
  }

  /** The next free address on a network (CIDR form, as tasks and VIPs carry them). */
  private hosts = new Map<string, number>();
  private address(networkId: string): string {
    const n = this.networks.get(networkId);
    const used = (this.hosts.get(networkId) ?? 1) + 1;
    this.hosts.set(networkId, used);
    const base = (n?.subnet ?? '10.0.0.0/24').replace(/\.0\/24$/, '');
    return `${base}.${used % 254 || 254}/24`;
  }

  createService(req: ServiceCreateRequest, extra: { networks?: string[]; stack?: string } = {}): ServiceView {
    const now = this.iso();
    const publishes = (req.ports ?? []).some((p) => p.published !== undefined && (p.mode ?? 'ingress') === 'ingress');
    const ingress = publishes ? [...this.networks.values()].find((n) => n.ingress) ?? this.addNetwork('ingress', { ingress: true }) : undefined;
    const networks = [...(extra.networks ?? []).map((name) => (this.networkByName(name) ?? this.addNetwork(name, extra.stack ? { stack: extra.stack } : {})).id), ...(ingress ? [ingress.id] : [])];
    const svc: ServiceView = {
      id: this.id('s'), name: req.name, image: req.image, mode: req.mode,
      desired: req.mode === 'replicated' ? (req.replicas ?? 1) : 0, running: 0,
      ports: (req.ports ?? []).map((p) => ({
        protocol: p.protocol ?? 'tcp', targetPort: p.target, publishMode: p.mode ?? 'ingress',
        ...(p.published !== undefined ? { publishedPort: p.published } : {}),
      })),
      constraints: req.constraints ?? [], colorIndex: this.colors++, createdAt: now, updatedAt: now,
      ...(networks.length ? { networks, vips: networks.map((id) => ({ networkId: id, addr: this.address(id) })) } : {}),
      ...(extra.stack ? { stack: extra.stack } : {}),
    };
    this.services.set(svc.id, svc);
    this.specs.set(svc.id, {
      image: req.image, constraints: svc.constraints, version: 1,
      update: { parallelism: req.update?.parallelism ?? 1, failureAction: req.update?.failureAction ?? 'pause', delayMs: durationMs(req.update?.delay) },
    });
    this.change((tx) => {
      tx.service(svc);
      this.attach(svc, tx);
      this.reconcile(svc.id, tx);
    });
    this.note('service', 'info', `service ${svc.name} created (${req.image})`, { serviceId: svc.id });
    return svc;
  }

  updateService(id: string, patch: Partial<ServiceView>, tx: Tx): ServiceView | undefined {
    const cur = this.services.get(id);
    if (!cur) return undefined;
    const next = { ...cur, ...patch, updatedAt: this.iso() };
    this.services.set(id, next);
    tx.service(next);
    return next;
  }

  newTask(svc: ServiceView, slot: number | undefined, nodeId: string | undefined, reason: string | undefined, tx: Tx): TaskView {
    const spec = this.specs.get(svc.id)!;
    const task: TaskView = {
      id: this.id('t'), serviceId: svc.id, ...(slot !== undefined ? { slot } : {}),
      ...(nodeId ? { nodeId } : {}),
      state: nodeId ? 'assigned' : 'pending', desiredState: 'running',
      message: nodeId ? 'assigned' : 'pending task scheduling', timestamp: this.iso(),
      ...(reason ? { pendingReason: reason } : {}),
      ...(svc.networks?.length ? { addresses: svc.networks.map((id) => ({ networkId: id, addr: this.address(id) })) } : {}),
    };
    this.tasks.set(task.id, task);
    this.taskVersion.set(task.id, spec.version);
    tx.task(task);
    if (nodeId) this.startTask(task.id);
    return task;
  }

  /** The spec version each task runs (rolling updates replace the older ones). */
  readonly taskVersion = new Map<string, number>();

  setTask(t: TaskView, patch: Partial<TaskView>, tx: Tx): TaskView {
    const next: TaskView = { ...t, ...patch, timestamp: this.iso() };
    if (patch.nodeId !== undefined || patch.state !== undefined) delete next.pendingReason;
    if (patch.pendingReason) next.pendingReason = patch.pendingReason;
    this.tasks.set(t.id, next);
    tx.task(next);
    return next;
  }

  /** 0 starts tasks at once (the benchmark's big cluster is built running). */
  startDelayMs = TASK_START_MS;

  private startTask(id: string): void {
    if (this.startDelayMs === 0) {
      const t = this.tasks.get(id)!;
      this.change((tx) => this.setTask(t, { state: 'running', message: 'started' }, tx));
      return;
    }
    this.clock.after(this.startDelayMs * (0.5 + this.rng()), () => {
      const t = this.tasks.get(id);
      if (!t || t.desiredState !== 'running' || t.state !== 'assigned') return;
      const spec = this.specs.get(t.serviceId);
      const fails = spec && FAILING_IMAGES.has(spec.image) && this.taskVersion.get(id) === spec.version;
      this.change((tx) => {
        if (fails) {
          this.setTask(t, { state: 'failed', desiredState: 'shutdown', message: 'started', error: 'task: non-zero exit (1)' }, tx);
        } else {
          this.setTask(t, { state: 'running', message: 'started' }, tx);
        }
        this.countRunning(t.serviceId, tx);
      });
      if (fails) {
        const svc = this.services.get(t.serviceId);
        this.note('task', 'error', `task ${svc?.name}.${t.slot ?? ''} failed: non-zero exit (1)`, { serviceId: t.serviceId, ...(t.nodeId ? { nodeId: t.nodeId } : {}) });
        this.onTaskFailed?.(t);
      }
      // A failed task is restarted after the restart delay (shortened, as in the lab profile).
      this.clock.after(fails ? 2500 : 10, () => this.change((tx) => this.reconcile(t.serviceId, tx)));
    });
  }

  /** Set by the rolling update driver: a new task failed. */
  onTaskFailed?: (t: TaskView) => void;

  countRunning(serviceId: string, tx: Tx): void {
    const svc = this.services.get(serviceId);
    if (!svc) return;
    let running = 0;
    for (const t of this.tasks.values()) if (t.serviceId === serviceId && t.state === 'running' && t.desiredState === 'running') running++;
    const desired = svc.mode === 'global' ? this.eligible(serviceId).length : svc.desired;
    if (running !== svc.running || desired !== svc.desired) this.updateService(serviceId, { running, desired }, tx);
  }

  eligible(serviceId: string): NodeView[] {
    const spec = this.specs.get(serviceId);
    return [...this.nodes.values()].filter((n) => n.state === 'ready' && n.availability === 'active' && place([n], spec?.constraints ?? [], () => [0, 0]).nodeId);
  }

  /** Makes the service's tasks match its spec: the orchestrator and scheduler in one. */
  reconcile(serviceId: string, tx: Tx): void {
    const svc = this.services.get(serviceId);
    const spec = this.specs.get(serviceId);
    if (!svc || !spec) return;
    if (!this.leaderId) return; // no leader, no orchestration
    const live = [...this.tasks.values()].filter((t) => t.serviceId === serviceId && t.desiredState === 'running');
    // Tasks on nodes that are gone or unavailable are shut down and replaced.
    for (const t of live) {
      const node = t.nodeId ? this.nodes.get(t.nodeId) : undefined;
      const lost = t.nodeId && (!node || node.state !== 'ready' || node.availability === 'drain');
      if (lost || (t.state === 'pending' && !t.nodeId)) {
        if (lost) this.setTask(t, { desiredState: 'shutdown', ...(node?.availability === 'drain' ? { state: 'shutdown' as TaskState } : {}) }, tx);
        else { this.tasks.delete(t.id); tx.removeTask(t.id); }
      }
    }
    const current = [...this.tasks.values()].filter((t) => t.serviceId === serviceId && t.desiredState === 'running');
    if (svc.mode === 'replicated') {
      const bySlot = new Map(current.map((t) => [t.slot!, t]));
      const load = this.load(serviceId);
      for (let slot = 1; slot <= svc.desired; slot++) {
        if (bySlot.has(slot)) continue;
        const p = place(this.nodes.values(), spec.constraints, load.of);
        if (p.nodeId) load.placed(p.nodeId);
        this.newTask(svc, slot, p.nodeId, p.reason, tx);
      }
      for (const t of current) if (t.slot! > svc.desired) this.setTask(t, { desiredState: 'shutdown', state: 'shutdown', message: 'shutdown' }, tx);
    } else {
      const onNode = new Set(current.map((t) => t.nodeId));
      for (const n of this.eligible(serviceId)) if (!onNode.has(n.id)) this.newTask(svc, undefined, n.id, undefined, tx);
    }
    this.countRunning(serviceId, tx);
  }

  rescheduleAll(): void {
    this.change((tx) => { for (const id of this.services.keys()) this.reconcile(id, tx); });
    this.clock.after(3000, () => this.reap());
  }

  /** Drops finished tasks (SwarmKit keeps a short history; the demo keeps none after a while). */
  reap(): void {
    this.change((tx) => {
      for (const t of [...this.tasks.values()]) {
        if (t.state !== 'running' && t.desiredState !== 'running' && ['shutdown', 'failed', 'complete', 'rejected', 'orphaned'].includes(t.state)) {
          this.tasks.delete(t.id);
          this.taskVersion.delete(t.id);
          tx.removeTask(t.id);
        }
      }
    });
  }

  removeService(id: string): void {
    const svc = this.services.get(id);
    if (!svc) return;
    this.services.delete(id);
    this.specs.delete(id);
    this.change((tx) => {
      tx.removeService(id);
      this.attach({ ...svc, networks: [] }, tx);
      for (const t of [...this.tasks.values()]) if (t.serviceId === id) { this.tasks.delete(t.id); tx.removeTask(t.id); }
    });
    this.note('service', 'info', `service ${svc.name} removed`, { serviceId: id });
  }

  setPhase(phase: LabPhase, name?: string): void {
    this.phase = phase;
    if (name !== undefined) this.name = name;
    this.change((tx) => {
      tx.delta.phase = phase;
      if (name !== undefined) tx.delta.name = name;
    });
  }

  clear(): void {
    this.change((tx) => {
      for (const id of this.tasks.keys()) tx.removeTask(id);
      for (const id of this.services.keys()) tx.removeService(id);
      for (const id of this.nodes.keys()) tx.removeNode(id);
      for (const name of this.machines.keys()) tx.removeMachine(name);
      for (const id of this.networks.keys()) tx.removeNetwork(id);
      this.networks.clear();
      this.tasks.clear();
      this.services.clear();
      this.specs.clear();
      this.nodes.clear();
      this.machines.clear();
      this.leaderId = undefined;
    });
  }
}

export function durationMs(d: string | undefined): number {
  if (!d) return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(d.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export type { Tx };
