// A LabApi backed by the pretend cluster: the renderer's demo mode (?demo), its screenshots and
// its benchmark (?demo=bench). It answers like the controller would, errors included.

import type { LabApi, LabEvent, LabTemplate, MachineAction, ServiceCreateRequest, StackDeployRequest, StackDeployResult, TrafficAnswer, TrafficRequest } from '../../main/lab/protocol.ts';
import { nodeAddress } from '../store/ports.ts';
import { FakeCluster, type Clock } from './fake-cluster.ts';
import { FakeShell } from './fake-shell.ts';
import { mulberry32 } from './prng.ts';
import { RollingUpdates } from './rolling-update.ts';
import { big, buildNodes, TEMPLATES, workshop, type BigOptions } from './scenarios.ts';

const IMAGES = [
  { name: 'swarmlab/whoami:1', description: 'HTTP server that says which task answered' },
  { name: 'swarmlab/whoami:2', description: 'the same, version 2' },
  { name: 'swarmlab/web:blue', description: 'web page, blue' },
  { name: 'swarmlab/web:green', description: 'web page, green' },
  { name: 'swarmlab/web:red', description: 'fails to start (for rollback demos)' },
  { name: 'swarmlab/crash', description: 'exits with an error after a while' },
  { name: 'alpine', description: 'ping, sleep, echo' },
  { name: 'busybox', description: 'ping, sleep, echo' },
  { name: 'nginx', description: 'stand-in web server' },
  { name: 'redis', description: 'stand-in key-value store' },
];

export interface DemoOptions {
  seed?: number;
  /** 'workshop' (default), 'empty' (no lab yet), or a big cluster for the benchmark. */
  scenario?: 'workshop' | 'empty' | ({ kind: 'big' } & BigOptions);
  clock?: Clock;
}

const realClock: Clock = { now: () => Date.now(), after: (ms, fn) => void setTimeout(fn, ms) };

export class DemoLabApi implements LabApi {
  readonly cluster: FakeCluster;
  private readonly updates: RollingUpdates;
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly shells = new Map<string, FakeShell>();
  private readonly logTimers = new Map<string, () => void>();
  private nextId = 0;

  constructor(opts: DemoOptions = {}) {
    const clock = opts.clock ?? realClock;
    this.cluster = new FakeCluster(mulberry32(opts.seed ?? 1), clock, (e) => this.send(e));
    this.updates = new RollingUpdates(this.cluster);
    const scenario = opts.scenario ?? 'workshop';
    if (scenario === 'workshop') workshop(this.cluster);
    else if (typeof scenario === 'object') big(this.cluster, scenario);
  }

  private send(e: LabEvent): void {
    for (const l of this.listeners) l(e);
  }

  subscribe(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    queueMicrotask(() => listener(this.cluster.snapshot()));
    return () => this.listeners.delete(listener);
  }

  async templates(): Promise<LabTemplate[]> {
    return TEMPLATES;
  }

  async images(): Promise<{ name: string; description: string }[]> {
    return IMAGES;
  }

  async createLab(req: { template: string } | { file: string }): Promise<void> {
    if (this.cluster.phase !== 'none') throw new Error('a lab is already running: destroy it first');
    const t = 'template' in req ? TEMPLATES.find((x) => x.id === req.template) : undefined;
    if (!t) throw new Error('template' in req ? `no template ${req.template}` : 'lab files need the real controller');
    this.cluster.setPhase('creating', t.id);
    const op = `create lab ${t.id}`;
    let step = 0;
    const steps = [`creating ${t.managers + t.workers} machines`, 'initialising the swarm', 'joining managers', 'joining workers'];
    const next = () => {
      if (step < steps.length) {
        this.send({ type: 'progress', operation: op, step: steps[step++]! });
        this.cluster.clock.after(250, next);
        return;
      }
      buildNodes(this.cluster, t.managers, t.workers);
      this.cluster.setPhase('running');
      this.send({ type: 'progress', operation: op, step: 'lab ready', done: true });
      this.cluster.note('lab', 'info', `lab ${t.id} is up: ${t.managers} managers, ${t.workers} workers`);
    };
    next();
  }

  async destroyLab(): Promise<void> {
    if (this.cluster.phase === 'none') throw new Error('no lab to destroy');
    this.cluster.setPhase('destroying');
    this.cluster.clock.after(300, () => {
      this.cluster.clear();
      this.cluster.setPhase('none');
      this.cluster.note('lab', 'info', 'lab destroyed');
    });
  }

  async addMachine(req: { role: 'manager' | 'worker' }): Promise<{ name: string }> {
    this.needLab();
    const node = this.cluster.addNode(req.role);
    this.cluster.note('machine', 'info', `${node.hostname} joined as a ${req.role}`, { nodeId: node.id });
    this.cluster.rescheduleAll();
    return { name: node.hostname };
  }

  async machineAction(req: { machine: string; action: MachineAction }): Promise<void> {
    const c = this.cluster;
    const node = c.nodeByMachine(req.machine);
    if (!c.machines.has(req.machine)) throw new Error(`no machine ${req.machine}`);
    const state = { start: 'Running', stop: 'Stopped', kill: 'Stopped', restart: 'Running', pause: 'Paused', resume: 'Running', remove: 'Removing' } as const;
    c.change((tx) => c.updateMachine(req.machine, { state: state[req.action] }, tx));
    c.note('machine', req.action === 'kill' ? 'warning' : 'info', `${req.machine}: ${req.action}`, node ? { nodeId: node.id } : {});
    if (req.action === 'remove') {
      c.clock.after(200, () => {
        c.change((tx) => {
          if (node) {
            c.nodes.delete(node.id);
            tx.removeNode(node.id);
            if (c.leaderId === node.id) c.setLeader(undefined, tx);
          }
          c.machines.delete(req.machine);
          tx.removeMachine(req.machine);
        });
        if (!c.leaderId) c.scheduleElection();
        c.rescheduleAll();
      });
      return;
    }
    if (!node) return;
    if (req.action === 'restart') {
      c.change((tx) => c.updateMachine(req.machine, { state: 'Stopped' }, tx));
      c.nodeLost(node.id, 'heartbeat failure');
      c.clock.after(1500, () => {
        c.change((tx) => c.updateMachine(req.machine, { state: 'Running' }, tx));
        c.nodeBack(node.id);
      });
    } else if (state[req.action] === 'Running') c.nodeBack(node.id);
    else c.nodeLost(node.id, 'heartbeat failure');
  }

  async partition(req: { machine: string; from?: string[] }): Promise<void> {
    const node = this.cluster.nodeByMachine(req.machine);
    this.cluster.change((tx) => this.cluster.updateMachine(req.machine, { faults: { partition: req.from ?? 'all' } }, tx));
    this.cluster.note('fault', 'warning', `${req.machine} partitioned from ${req.from?.join(', ') ?? 'everyone'}`, node ? { nodeId: node.id } : {});
    if (node) this.cluster.nodeLost(node.id, 'heartbeat failure');
  }

  async heal(req: { machine: string }): Promise<void> {
    const node = this.cluster.nodeByMachine(req.machine);
    this.cluster.change((tx) => this.cluster.updateMachine(req.machine, { faults: {} }, tx));
    this.cluster.note('fault', 'info', `${req.machine} healed`, node ? { nodeId: node.id } : {});
    if (node) this.cluster.nodeBack(node.id);
  }

  async delay(req: { machine: string; ms: number; lossPercent?: number }): Promise<void> {
    this.cluster.change((tx) => this.cluster.updateMachine(req.machine, { faults: { delayMs: req.ms, ...(req.lossPercent ? { lossPercent: req.lossPercent } : {}) } }, tx));
  }

  async checkNodeChange(req: { nodeId: string; role?: 'manager' | 'worker'; availability?: 'active' | 'pause' | 'drain'; action?: MachineAction | 'partition' }) {
    return this.cluster.checkNodeChange(req.nodeId, req.role, req.availability, req.action);
  }

  async setNodeRole(req: { nodeId: string; role: 'manager' | 'worker' }): Promise<void> {
    const c = this.cluster;
    const node = c.nodes.get(req.nodeId);
    if (!node) throw new Error('no such node');
    if (node.role === req.role) return;
    c.change((tx) => {
      c.updateNode(node.id, { role: req.role, reachability: req.role === 'manager' ? 'reachable' : undefined }, tx);
      if (req.role === 'worker' && c.leaderId === node.id) c.setLeader(undefined, tx);
    });
    c.note('node', 'info', `${node.hostname} ${req.role === 'manager' ? 'promoted to manager' : 'demoted to worker'}`, { nodeId: node.id });
    if (!c.leaderId) c.scheduleElection();
  }

  async setNodeAvailability(req: { nodeId: string; availability: 'active' | 'pause' | 'drain' }): Promise<void> {
    const c = this.cluster;
    const node = c.nodes.get(req.nodeId);
    if (!node) throw new Error('no such node');
    c.change((tx) => c.updateNode(node.id, { availability: req.availability }, tx));
    c.note('node', 'info', `${node.hostname} availability: ${req.availability}`, { nodeId: node.id });
    c.rescheduleAll();
  }

  async createService(req: ServiceCreateRequest): Promise<{ id: string }> {
    this.needLab();
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(req.name)) throw new Error(`invalid service name "${req.name}"`);
    if ([...this.cluster.services.values()].some((s) => s.name === req.name)) throw new Error(`service ${req.name} already exists`);
    if (!IMAGES.some((i) => i.name === req.image)) throw new Error(`image ${req.image} not found in the catalog`);
    return { id: this.cluster.createService(req).id };
  }

  async scaleService(req: { serviceId: string; replicas: number }): Promise<void> {
    const c = this.cluster;
    const svc = c.services.get(req.serviceId);
    if (!svc) throw new Error('no such service');
    if (svc.mode === 'global') throw new Error(`${svc.name} is a global service: it cannot be scaled`);
    c.change((tx) => {
      c.updateService(svc.id, { desired: req.replicas }, tx);
      c.reconcile(svc.id, tx);
    });
    c.note('service', 'info', `service ${svc.name} scaled to ${req.replicas}`, { serviceId: svc.id });
  }

  async updateService(req: { serviceId: string; image?: string; policy?: { parallelism?: number; delay?: string; failureAction?: 'pause' | 'continue' | 'rollback' } }): Promise<void> {
    this.updates.update(req.serviceId, req.image, req.policy);
  }

  async rollbackService(req: { serviceId: string }): Promise<void> {
    this.updates.rollback(req.serviceId);
  }

  async removeService(req: { serviceId: string }): Promise<void> {
    this.cluster.removeService(req.serviceId);
  }

  // Stacks: a small part of the real loader's checks (YAML, services, images, ports), with its
  // file:line:column errors; the real one is the controller's (main/stack).
  async deployStack(req: StackDeployRequest): Promise<StackDeployResult> {
    this.needLab();
    const { deployDemoStack } = await import('./demo-stack.ts');
    return deployDemoStack(this.cluster, req, IMAGES.map((i) => i.name));
  }

  async removeStack(req: { name: string }): Promise<{ lines: string[] }> {
    this.needLab();
    const c = this.cluster;
    const lines: string[] = [];
    for (const s of [...c.services.values()].filter((x) => x.stack === req.name).sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`Removing service ${s.name}`);
      c.removeService(s.id);
    }
    for (const n of [...c.networks.values()].filter((x) => x.stack === req.name)) {
      lines.push(`Removing network ${n.name}`);
      c.networks.delete(n.id);
      c.change((tx) => tx.removeNetwork(n.id));
    }
    if (lines.length === 0) lines.push(`Nothing found in stack: ${req.name}`);
    return { lines };
  }

  // Traffic: the routing mesh's round robin over the service's running tasks, answered at the
  // rate asked, as whoami would answer.
  private readonly traffic = new Map<string, () => void>();
  private rr = new Map<string, number>();

  async sendTraffic(req: TrafficRequest): Promise<{ trafficId: string; url: string; viaHost: string; count: number }> {
    this.needLab();
    const c = this.cluster;
    const plan = this.planTraffic(req);
    const trafficId = `traffic-${++this.nextId}`;
    const svc = c.services.get(plan.serviceId)!;
    let seq = 0;
    let ok = 0;
    let failed = 0;
    let stopped = false;
    const viaNode = plan.viaNodeId ? c.nodes.get(plan.viaNodeId) : undefined;
    const tick = () => {
      if (stopped) return;
      seq++;
      const running = [...c.tasks.values()].filter((t) => t.serviceId === svc.id && t.state === 'running' && t.desiredState === 'running' && t.nodeId).sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || a.id.localeCompare(b.id));
      const port = svc.ports.find((p) => p.publishedPort !== undefined);
      const pool = port?.publishMode === 'host' ? running.filter((t) => t.nodeId === plan.viaNodeId) : running;
      const base: TrafficAnswer = { seq, count: plan.count, url: plan.url, viaHost: plan.viaHost, ...(plan.viaNodeId ? { viaNodeId: plan.viaNodeId } : {}), time: c.iso(), latencyMs: 0 };
      let answer: TrafficAnswer;
      if (!viaNode || viaNode.state !== 'ready' || pool.length === 0) {
        failed++;
        answer = { ...base, latencyMs: 3000, error: pool.length === 0 ? 'connection refused (no task runs to answer)' : 'no answer within 3 s' };
      } else {
        const i = (this.rr.get(svc.id) ?? 0) % pool.length;
        this.rr.set(svc.id, i + 1);
        const t = pool[i]!;
        const node = c.nodes.get(t.nodeId!)!;
        const whoami = /whoami/.test(svc.image);
        ok++;
        answer = {
          ...base, status: 200, latencyMs: Math.round((1 + c.rng() * 3 + (t.nodeId === plan.viaNodeId ? 0 : 1.5)) * 10) / 10,
          ...(whoami ? { taskId: t.id, taskName: `${svc.name}.${t.slot ?? ''}.${t.id}`, nodeId: node.id, node: node.hostname, ip: (t.addresses ?? []).map((a) => a.addr.replace(/\/\d+$/, '')), ...(t.slot !== undefined ? { slot: t.slot } : {}), version: svc.image.split(':')[1] ?? '' } : {}),
        };
      }
      this.send({ type: 'traffic', trafficId, answer });
      if (seq >= plan.count) {
        this.traffic.delete(trafficId);
        this.send({ type: 'traffic-end', trafficId, ok, failed });
      } else c.clock.after(plan.intervalMs, tick);
    };
    this.traffic.set(trafficId, () => {
      stopped = true;
      this.traffic.delete(trafficId);
      this.send({ type: 'traffic-end', trafficId, ok, failed, error: 'stopped' });
    });
    c.clock.after(5, tick);
    c.note('service', 'info', `Sending ${plan.count} requests to ${svc.name} through ${plan.viaHost} (${plan.url})`, { serviceId: svc.id });
    return { trafficId, url: plan.url, viaHost: plan.viaHost, count: plan.count };
  }

  /** As the controller plans it (main/lab/traffic-plan.ts): the published port, through a node without a task. */
  private planTraffic(req: TrafficRequest): { serviceId: string; url: string; viaHost: string; viaNodeId?: string; count: number; intervalMs: number } {
    const c = this.cluster;
    const s = [...c.services.values()].find((x) => x.id === req.serviceId || x.name === req.serviceId);
    if (!s) throw new Error(`no service ${req.serviceId}`);
    const published = s.ports.filter((p) => p.protocol === 'tcp' && p.publishedPort !== undefined);
    const port = req.port === undefined ? published[0] : published.find((p) => p.publishedPort === req.port);
    if (!port) throw new Error(req.port === undefined ? `${s.name} publishes no TCP port: update it with a published port (e.g. 8080:80) to send it traffic` : `${s.name} does not publish port ${req.port}`);
    const running = new Set([...c.tasks.values()].filter((t) => t.serviceId === s.id && t.state === 'running' && t.nodeId).map((t) => t.nodeId!));
    const nodes = [...c.nodes.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
    const up = nodes.filter((n) => n.state === 'ready');
    const via = req.viaNodeId !== undefined
      ? nodes.find((n) => n.id === req.viaNodeId || n.hostname === req.viaNodeId)
      : port.publishMode === 'host' ? up.find((n) => running.has(n.id)) : (up.find((n) => !running.has(n.id)) ?? up[0]);
    if (!via) throw new Error(req.viaNodeId !== undefined ? `no node ${req.viaNodeId}` : 'no node answers now');
    if (port.publishMode === 'host' && !running.has(via.id)) throw new Error(`port ${port.publishedPort} of ${s.name} is published in host mode: ${via.hostname} runs no task of it`);
    const path = req.path ?? (/whoami/.test(s.image) ? '/api' : '/');
    return { serviceId: s.id, url: `http://${nodeAddress(via, c.machines)}:${port.publishedPort}${path}`, viaHost: via.hostname, viaNodeId: via.id, count: req.count ?? 20, intervalMs: Math.round(1000 / (req.rate ?? 5)) };
  }

  async stopTraffic(req: { trafficId: string }): Promise<void> {
    this.traffic.get(req.trafficId)?.();
  }

  async openLogs(req: { serviceId: string; tail?: number }): Promise<{ streamId: string }> {
    const svc = this.cluster.services.get(req.serviceId);
    if (!svc) throw new Error('no such service');
    const streamId = `logs-${++this.nextId}`;
    let n = 0;
    const tick = () => {
      const tasks = [...this.cluster.tasks.values()].filter((t) => t.serviceId === svc.id && t.state === 'running');
      const lines = tasks.slice(0, 3).map((t) => {
        const host = t.nodeId ? this.cluster.nodes.get(t.nodeId)?.hostname : '?';
        return `${svc.name}.${t.slot ?? 1}.${t.id.slice(0, 12)}@${host}    | ${new Date(this.cluster.clock.now()).toISOString()} GET / 200 ${(++n % 97) + 3}ms`;
      });
      if (lines.length) this.send({ type: 'logs', streamId, lines });
    };
    tick();
    const timer = setInterval(tick, 1200);
    this.logTimers.set(streamId, () => clearInterval(timer));
    return { streamId };
  }

  async closeLogs(req: { streamId: string }): Promise<void> {
    this.logTimers.get(req.streamId)?.();
    this.logTimers.delete(req.streamId);
  }

  async openConsole(req: { machine: string; cols: number; rows: number }): Promise<{ consoleId: string }> {
    if (!this.cluster.machines.has(req.machine)) throw new Error(`no machine ${req.machine}`);
    const consoleId = `console-${++this.nextId}`;
    // The greeting waits a tick, as SSH output would: the terminal subscribes first.
    queueMicrotask(() => this.shells.set(consoleId, new FakeShell(this.cluster, req.machine, (data) => this.send({ type: 'console-data', consoleId, data }))));
    return { consoleId };
  }

  async consoleInput(req: { consoleId: string; data: string }): Promise<void> {
    this.shells.get(req.consoleId)?.input(req.data);
  }

  async consoleResize(): Promise<void> {}

  async consoleAck(): Promise<void> {}

  async closeConsole(req: { consoleId: string }): Promise<void> {
    this.shells.delete(req.consoleId);
  }

  private needLab(): void {
    if (this.cluster.phase !== 'running') throw new Error('no lab is running');
  }
}
