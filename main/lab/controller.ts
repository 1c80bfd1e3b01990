// The lab controller: the LabApi in plain Node. It owns the lab's machines (through the vm drivers),
// keeps a view of the swarm through the cluster watcher, turns every change into events for the
// windows that subscribed, and carries out the renderer's requests: lab lifecycle (lab-up and
// lab-down), machine actions and network faults, node and service changes (through dockerode to
// whichever manager answers), logs and consoles. A controller started where a lab is already up
// takes it over as it is (the window was closed and opened again).

import type { NodeSpec, ServiceSpec } from '../../core/api/objects.ts';
import { systemClock, type Clock, type Timer } from '../../core/clock.ts';
import { ImageCatalog } from '../../core/executor/catalog.ts';
import { defaultCatalogPath } from '../../core/swarmd/catalog-path.ts';
import type { MachineState as DriverState } from '../../vm/driver.ts';
import type { Machine, Machines } from '../../vm/machines.ts';
import { ClusterWatcher, type ClusterWatcherOptions, type Endpoint } from './cluster-watcher.ts';
import { Consoles, type ConsolesOptions } from './consoles.ts';
import { downLab } from './down.ts';
import { LabError } from './errors.ts';
import type { LabDefinition } from './lab-file.ts';
import { LabRecords } from './lab-records.ts';
import { LogStreams } from './log-streams.ts';
import { checkNodeChange, type NodeChange } from './node-change.ts';
import type {
  LabApi,
  LabEvent,
  LabTemplate,
  MachineAction,
  MachineView,
  NodeAvailability,
  NodeRole,
  ServiceCreateRequest,
  ServiceUpdatePolicy,
  StackDeployRequest,
  StackDeployResult,
  TrafficRequest,
  Warning,
} from './protocol.ts';
import { isNodeLink } from './node-links.ts';
import { planTraffic, TrafficRunner } from './traffic.ts';
import { createSpec, updatedSpec } from './service-request.ts';
import { DockerodeStackEngine } from '../stack/engine.ts';
import { deployCompose, removeComposeStack } from '../stack/stack.ts';
import { SwarmClient } from './swarm-client.ts';
import { loadLab, templateNames, templatesDir } from './templates.ts';
import { upLab, type UpOptions } from './up.ts';
import { ViewPublisher } from './view-publisher.ts';

export interface LabControllerOptions {
  machines: Machines;
  clock?: Clock;
  /** The image catalog (default: resources/images/catalog.json). */
  catalog?: ImageCatalog;
  /** Where the lab templates are (default: resources/labs). */
  templates?: string;
  /** The watcher's timings (tests make them short). */
  watch?: Pick<ClusterWatcherOptions, 'pollMs' | 'retryMs' | 'throttleMs'>;
  /** How often the machines' states are read from their drivers (default 1 s). */
  machinePollMs?: number;
  consoles?: ConsolesOptions;
  /** Deadlines of lab-up. */
  up?: Pick<UpOptions, 'readyTimeoutMs' | 'convergeTimeoutMs'>;
}

interface Lab {
  /** The lab record's name (undefined for machines made by hand, without a lab file). */
  name?: string;
  machines: string[];
  /** Roles the machines were made for (a machine not yet in the swarm shows this one). */
  roles: Map<string, NodeRole>;
}

const DONE_TEXT: Record<MachineAction, string> = {
  start: 'started',
  stop: 'stopped',
  kill: 'killed (power cut)',
  restart: 'restarted',
  pause: 'paused (frozen: it misses its heartbeats)',
  resume: 'resumed',
  remove: 'removed',
};

export class LabController implements LabApi {
  private readonly machines: Machines;
  private readonly clock: Clock;
  private readonly publisher: ViewPublisher;
  private readonly consoles: Consoles;
  private readonly logs: LogStreams;
  private readonly records: LabRecords;
  private readonly traffic: TrafficRunner;
  private catalog: ImageCatalog | undefined;
  private lab: Lab | undefined;
  private watcher: ClusterWatcher | undefined;
  private machineTimer: Timer | undefined;
  private readingMachines: Promise<void> | undefined;
  private busy: string | undefined;
  private closed = false;

  constructor(private readonly opts: LabControllerOptions) {
    this.machines = opts.machines;
    this.clock = opts.clock ?? systemClock;
    this.catalog = opts.catalog;
    this.publisher = new ViewPublisher(this.clock);
    const emit = (e: LabEvent) => this.publisher.emit(e);
    this.consoles = new Consoles(emit, opts.consoles);
    this.logs = new LogStreams(emit, (ids) => this.lineLabel(ids));
    this.records = new LabRecords(this.machines.store.home);
    this.traffic = new TrafficRunner({ emit, view: () => this.publisher.view() });
  }

  /** Takes over the lab already up (its record, or else the machines in the store), if any. */
  async start(): Promise<void> {
    const lab = await this.existingLab();
    if (lab) {
      this.lab = lab;
      this.publisher.set({ phase: 'running', ...(lab.name !== undefined ? { name: lab.name } : {}) });
      this.publisher.note({ kind: 'lab', severity: 'info', text: `Reconnected to ${lab.name ? `lab ${lab.name}` : 'the machines'} (${lab.machines.length} machine${lab.machines.length === 1 ? '' : 's'})` });
      await this.readMachines();
      this.watch();
    }
    this.pollMachines();
  }

  /** Stops watching and ends consoles and log streams; the machines keep running. */
  async close(): Promise<void> {
    this.closed = true;
    this.machineTimer?.cancel();
    this.watcher?.stop();
    this.consoles.closeAll();
    this.logs.closeAll();
    this.traffic.stopAll();
    await this.readingMachines;
  }

  subscribe(listener: (e: LabEvent) => void): () => void {
    return this.publisher.subscribe(listener);
  }

  // ---- the lab ----------------------------------------------------------------------------------

  async templates(): Promise<LabTemplate[]> {
    const dir = this.opts.templates ?? templatesDir();
    const catalog = await this.imageCatalog();
    const out: LabTemplate[] = [];
    for (const id of await templateNames(dir)) {
      let def: LabDefinition;
      try {
        def = await loadLab(id, { templates: dir, catalog });
      } catch {
        continue; // A broken template is reported when someone picks it, not here.
      }
      const managers = def.machines.filter((m) => m.role === 'manager').length;
      out.push({ id, title: def.description ?? id, managers, workers: def.machines.length - managers });
    }
    return out;
  }

  async images(): Promise<{ name: string; description: string }[]> {
    return (await this.imageCatalog()).references();
  }

  async createLab(req: { template: string } | { file: string }): Promise<void> {
    this.claim('create a lab');
    try {
      if (this.lab) throw new LabError(`${this.lab.name ? `lab ${this.lab.name}` : 'a lab'} is up already: destroy it first`);
      const def = await loadLab('template' in req ? req.template : req.file, { ...(this.opts.templates ? { templates: this.opts.templates } : {}), catalog: await this.imageCatalog() });
      const managers = def.machines.filter((m) => m.role === 'manager').length;
      this.lab = { name: def.name, machines: def.machines.map((m) => m.name), roles: new Map(def.machines.map((m) => [m.name, m.role])) };
      this.publisher.set({ phase: 'creating', name: def.name, stale: false });
      this.publisher.note({ kind: 'lab', severity: 'info', text: `Creating lab ${def.name}: ${managers} manager${managers === 1 ? '' : 's'} + ${def.machines.length - managers} worker${def.machines.length - managers === 1 ? '' : 's'}` });
      await this.readMachines();
      this.watch();
      const progress = (step: string, extra: { done?: boolean; error?: string } = {}) => this.publisher.emit({ type: 'progress', operation: 'createLab', step, ...extra });
      try {
        const summary = await upLab({
          machines: this.machines,
          lab: def,
          ...this.opts.up,
          progress: (e) => {
            if (e.detail) return;
            progress(e.machine ? `(${e.machine}) ${e.message}` : e.message);
            if (e.phase === 'create' || e.phase === 'init' || e.phase === 'join') void this.readMachines().then(() => this.watcher?.refresh());
          },
        });
        this.publisher.set({ phase: 'running' });
        for (const u of summary.unconverged) this.publisher.note({ kind: 'service', severity: 'warning', text: u });
        this.publisher.note({ kind: 'lab', severity: 'info', text: `Lab ${def.name} is up (${summary.leader} leads)` });
        progress(`Lab ${def.name} is up`, { done: true });
      } catch (err) {
        this.stopWatching();
        this.lab = undefined;
        this.publisher.set({ phase: 'none', name: undefined, via: undefined, stale: false, cluster: undefined, error: undefined, machines: [] });
        this.publisher.note({ kind: 'lab', severity: 'error', text: (err as Error).message });
        progress('Lab creation failed', { done: true, error: (err as Error).message });
        throw err;
      } finally {
        await this.readMachines();
        void this.watcher?.refresh();
      }
    } finally {
      this.busy = undefined;
    }
  }

  async destroyLab(): Promise<void> {
    this.claim('destroy the lab');
    try {
      const lab = this.lab;
      if (!lab) throw new LabError('there is no lab to destroy');
      const progress = (step: string, extra: { done?: boolean; error?: string } = {}) => this.publisher.emit({ type: 'progress', operation: 'destroyLab', step, ...extra });
      this.publisher.set({ phase: 'destroying', machines: this.publisher.lab().machines.map((m) => ({ ...m, state: 'Removing' })) });
      this.consoles.closeAll();
      this.logs.closeAll();
      this.stopWatching();
      try {
        if (lab.name !== undefined && (await this.records.names()).includes(lab.name)) {
          await downLab({ machines: this.machines, name: lab.name, progress });
        } else {
          for (const m of lab.machines) if (await this.machines.store.exists(m)) await this.machines.remove(m, true);
        }
      } catch (err) {
        progress('Destroying the lab failed', { done: true, error: (err as Error).message });
        this.publisher.set({ phase: 'running' });
        await this.readMachines();
        this.watch();
        throw err;
      }
      this.lab = undefined;
      this.publisher.set({ phase: 'none', name: undefined, via: undefined, stale: false, cluster: undefined, error: undefined, machines: [] });
      this.publisher.note({ kind: 'lab', severity: 'info', text: lab.name ? `Lab ${lab.name} destroyed` : 'The lab was destroyed' });
      progress('Lab destroyed', { done: true });
    } finally {
      this.busy = undefined;
    }
  }

  // ---- machines and faults ----------------------------------------------------------------------

  async addMachine(req: { role: NodeRole }): Promise<{ name: string }> {
    const lab = this.requireLab();
    const client = this.manager();
    const cluster = this.watcher?.cluster();
    const name = await this.freeName(lab, req.role);
    const like = lab.machines.length > 0 ? await this.machines.get(lab.machines[0]!).then((m) => m.config).catch(() => undefined) : undefined;
    const progress = (step: string, extra: { done?: boolean; error?: string } = {}) => this.publisher.emit({ type: 'progress', operation: 'addMachine', step: `(${name}) ${step}`, ...extra });
    lab.machines.push(name);
    lab.roles.set(name, req.role);
    await this.readMachines();
    let made: Machine | undefined;
    try {
      made = await this.machines.create(name, { driver: like?.driver ?? 'local', isolation: like?.isolation ?? 'process' }, (line) => progress(line.replace(/^\([^)]*\) /, '')));
      const tokens = await client.joinTokens();
      const leader = cluster?.nodes.find((n) => n.ManagerStatus?.Leader)?.ManagerStatus?.Addr;
      const viaMachine = await this.machines.get(client.machine);
      const remote = leader ?? `${viaMachine.config.ip}:${viaMachine.config.swarmPort}`;
      const addr = `${made.config.ip}:${made.config.swarmPort}`;
      progress(`Joining the swarm as a ${req.role} through ${remote}...`);
      const joiner = new SwarmClient(name, made.paths.socket);
      await this.join(joiner, { ListenAddr: addr, AdvertiseAddr: addr, RemoteAddrs: [remote], JoinToken: req.role === 'manager' ? tokens.Manager : tokens.Worker });
      await this.recordMachines(lab);
      this.publisher.note({ kind: 'machine', severity: 'info', text: `${name} added, joined as a ${req.role}` });
      progress(`joined as a ${req.role}`, { done: true });
      return { name };
    } catch (err) {
      lab.machines = lab.machines.filter((m) => m !== name);
      lab.roles.delete(name);
      if (made) await this.machines.remove(name, true).catch(() => {});
      progress('adding the machine failed', { done: true, error: (err as Error).message });
      throw new LabError(`cannot add ${name}: ${(err as Error).message}${made ? ' (the machine was removed again)' : ''}`);
    } finally {
      await this.readMachines();
      void this.watcher?.refresh();
    }
  }

  async machineAction(req: { machine: string; action: MachineAction }): Promise<void> {
    const lab = this.requireLab();
    const m = await this.labMachine(req.machine);
    try {
      switch (req.action) {
        case 'start':
          await m.driver.start();
          break;
        case 'stop':
          await m.driver.stop();
          break;
        case 'kill':
          await m.driver.kill();
          break;
        case 'restart':
          await m.driver.stop();
          await m.driver.start();
          break;
        case 'pause':
          await m.driver.pause();
          break;
        case 'resume':
          await m.driver.resume();
          break;
        case 'remove':
          await this.removeMachine(lab, m);
          break;
      }
    } catch (err) {
      throw err instanceof LabError ? err : new LabError(`cannot ${req.action} ${req.machine}: ${(err as Error).message}`);
    } finally {
      await this.readMachines();
      void this.watcher?.refresh();
    }
    if (['stop', 'kill', 'restart', 'remove'].includes(req.action)) this.consoles.closeAll(req.machine);
    const severity = req.action === 'kill' || req.action === 'pause' || req.action === 'stop' ? 'warning' : 'info';
    this.publisher.note({ kind: 'machine', severity, text: `${req.machine} ${DONE_TEXT[req.action]}` });
  }

  async partition(req: { machine: string; from?: string[] }): Promise<void> {
    const m = await this.labMachine(req.machine);
    const peers = req.from ? await Promise.all(req.from.map((n) => this.labMachine(n))) : 'all';
    if (!m.driver.partition) throw this.cannot(m, 'partition machines');
    await m.driver.partition(peers === 'all' ? 'all' : peers.map((p) => p.driver.address()));
    await this.readMachines();
    this.publisher.note({ kind: 'fault', severity: 'warning', text: `${req.machine} cut off from ${peers === 'all' ? 'every other machine' : peers.map((p) => p.config.name).join(', ')}` });
  }

  async heal(req: { machine: string }): Promise<void> {
    const m = await this.labMachine(req.machine);
    if (!m.driver.heal) throw this.cannot(m, 'heal network faults');
    await m.driver.heal();
    await this.readMachines();
    this.publisher.note({ kind: 'fault', severity: 'info', text: `${req.machine} healed: its network is whole again` });
  }

  async delay(req: { machine: string; ms: number; lossPercent?: number }): Promise<void> {
    const m = await this.labMachine(req.machine);
    if (!m.driver.delay) throw this.cannot(m, 'delay network traffic');
    await m.driver.delay(req.ms, req.lossPercent);
    await this.readMachines();
    const loss = req.lossPercent ? ` and ${req.lossPercent}% loss` : '';
    this.publisher.note({ kind: 'fault', severity: req.ms || req.lossPercent ? 'warning' : 'info', text: req.ms || req.lossPercent ? `${req.machine} sends with ${req.ms} ms delay${loss}` : `${req.machine} sends without delay` });
  }

  // ---- nodes ------------------------------------------------------------------------------------

  async checkNodeChange(req: NodeChange): Promise<Warning | undefined> {
    return checkNodeChange(this.publisher.view(), req);
  }

  async setNodeRole(req: { nodeId: string; role: NodeRole }): Promise<void> {
    await this.updateNode(req.nodeId, (spec) => ({ ...spec, Role: req.role }));
  }

  async setNodeAvailability(req: { nodeId: string; availability: NodeAvailability }): Promise<void> {
    await this.updateNode(req.nodeId, (spec) => ({ ...spec, Availability: req.availability }));
  }

  // ---- services ---------------------------------------------------------------------------------

  async createService(req: ServiceCreateRequest): Promise<{ id: string }> {
    const spec = createSpec(req, await this.imageCatalog());
    const id = await this.manager().createService(spec);
    void this.watcher?.refresh();
    return { id };
  }

  async scaleService(req: { serviceId: string; replicas: number }): Promise<void> {
    await this.updateService_(req.serviceId, (s, name) => {
      if (!('Replicated' in s.Mode)) throw new LabError(`${name} is a global service: it runs one task on every node and cannot be scaled`);
      return { ...s, Mode: { Replicated: { Replicas: req.replicas } } };
    });
  }

  async updateService(req: { serviceId: string; image?: string; policy?: ServiceUpdatePolicy }): Promise<void> {
    if (req.image === undefined && req.policy === undefined) throw new LabError('updateService: nothing to change: give an image, an update policy, or both');
    const catalog = await this.imageCatalog();
    await this.updateService_(req.serviceId, (s) => updatedSpec(s, req, catalog));
  }

  async rollbackService(req: { serviceId: string }): Promise<void> {
    const client = this.manager();
    await retryOutOfSequence(async () => {
      const s = await client.service(req.serviceId);
      if (!s.PreviousSpec) throw new LabError(`${s.Spec.Name ?? req.serviceId} has no previous version to roll back to (it was never updated)`);
      await client.updateService(s.ID, s.Version.Index, s.Spec, true);
    });
    void this.watcher?.refresh();
  }

  async removeService(req: { serviceId: string }): Promise<void> {
    await this.manager().removeService(req.serviceId);
    void this.watcher?.refresh();
  }

  // ---- stacks -----------------------------------------------------------------------------------

  async deployStack(req: StackDeployRequest): Promise<StackDeployResult> {
    const client = this.manager();
    const r = await deployCompose(new DockerodeStackEngine(client.machine, client.socketPath), {
      name: req.name,
      compose: req.compose,
      source: 'compose file',
      env: req.env ?? {},
      ...(req.files ? givenFiles(req.files) : req.dir !== undefined ? { dir: req.dir } : {}),
      prune: req.prune ?? false,
    });
    for (const w of r.warnings) this.publisher.note({ kind: 'service', severity: 'warning', text: `Stack ${req.name}: ${w.replace(/\n+/g, ' ')}` });
    this.publisher.note({ kind: 'service', severity: 'info', text: `Stack ${req.name} deployed (${r.lines.length} step${r.lines.length === 1 ? '' : 's'})` });
    void this.watcher?.refresh();
    return r;
  }

  async removeStack(req: { name: string }): Promise<{ lines: string[] }> {
    const client = this.manager();
    const lines = await removeComposeStack(new DockerodeStackEngine(client.machine, client.socketPath), req.name);
    this.publisher.note({ kind: 'service', severity: 'info', text: `Stack ${req.name}: ${lines.at(-1)?.startsWith('Nothing found') ? 'nothing to remove' : 'removed'}` });
    void this.watcher?.refresh();
    return { lines };
  }

  // ---- traffic ----------------------------------------------------------------------------------

  async sendTraffic(req: TrafficRequest): Promise<{ trafficId: string; url: string; viaHost: string; count: number }> {
    this.requireLab();
    const plan = planTraffic(this.publisher.view(), req);
    if (this.traffic.active >= 4) throw new LabError('four traffic runs are under way already: wait for one to end, or stop one');
    const { trafficId } = this.traffic.start(plan);
    this.publisher.note({ kind: 'service', severity: 'info', text: `Sending ${plan.count} requests to ${plan.serviceName} through ${plan.viaHost} (${plan.url})`, serviceId: plan.serviceId });
    return { trafficId, url: plan.url, viaHost: plan.viaHost, count: plan.count };
  }

  async stopTraffic(req: { trafficId: string }): Promise<void> {
    this.traffic.stop(req.trafficId);
  }

  /** Whether a URL is a plain http link to one of the lab's nodes (what a window may open outside). */
  isNodeLink(url: string): boolean {
    return isNodeLink(url, this.publisher.view());
  }

  async openLogs(req: { serviceId: string; tail?: number }): Promise<{ streamId: string }> {
    const client = this.manager();
    const s = await client.service(req.serviceId);
    const streamId = await this.logs.open(s.Spec.Name ?? s.ID, {
      open: (signal) => client.serviceLogs(s.ID, { ...(req.tail !== undefined ? { tail: req.tail } : {}), signal }),
      demux: (stream, out, err) => client.demux(stream, out, err),
    });
    return { streamId };
  }

  async closeLogs(req: { streamId: string }): Promise<void> {
    this.logs.close(req.streamId);
  }

  // ---- consoles ---------------------------------------------------------------------------------

  async openConsole(req: { machine: string; cols: number; rows: number }): Promise<{ consoleId: string }> {
    const m = await this.labMachine(req.machine);
    const state = await m.driver.status();
    if (state !== 'Running') throw new LabError(`cannot open a console on ${req.machine}: it is ${state.toLowerCase()} (start${state === 'Paused' ? ' or resume' : ''} it first)`);
    const consoleId = await this.consoles.open(req.machine, m.driver.ssh(), { cols: req.cols, rows: req.rows });
    return { consoleId };
  }

  async consoleInput(req: { consoleId: string; data: string }): Promise<void> {
    this.consoles.input(req.consoleId, req.data);
  }

  async consoleResize(req: { consoleId: string; cols: number; rows: number }): Promise<void> {
    this.consoles.resize(req.consoleId, req.cols, req.rows);
  }

  async consoleAck(req: { consoleId: string; bytes: number }): Promise<void> {
    this.consoles.ack(req.consoleId, req.bytes);
  }

  async closeConsole(req: { consoleId: string }): Promise<void> {
    this.consoles.close(req.consoleId);
  }

  // ---- inside -----------------------------------------------------------------------------------

  private claim(what: string): void {
    if (this.busy) throw new LabError(`cannot ${what}: ${this.busy} is under way`);
    this.busy = what === 'create a lab' ? 'creating a lab' : 'destroying the lab';
  }

  private requireLab(): Lab {
    if (!this.lab) throw new LabError('there is no lab: create one from a template first');
    return this.lab;
  }

  private async labMachine(name: string): Promise<Machine> {
    const lab = this.requireLab();
    if (!lab.machines.includes(name)) throw new LabError(`no machine ${name} in this lab (its machines are ${lab.machines.join(', ') || 'none yet'})`);
    return this.machines.get(name);
  }

  /** The client of the manager the watcher reads through, for a write. */
  private manager(): SwarmClient {
    this.requireLab();
    const via = this.watcher?.current();
    if (!via) {
      const why = this.publisher.lab().error;
      throw new LabError(`no manager of the swarm answers now${why ? ` (${why})` : ''}: wait for one to come back, or start a stopped manager`);
    }
    return new SwarmClient(via, this.machines.store.paths(via).socket);
  }

  private cannot(m: Machine, what: string): LabError {
    return new LabError(`the ${m.driver.driverName} driver of ${m.config.name} cannot ${what}`);
  }

  private async imageCatalog(): Promise<ImageCatalog> {
    this.catalog ??= await ImageCatalog.load(defaultCatalogPath());
    return this.catalog;
  }

  private async existingLab(): Promise<Lab | undefined> {
    const names = await this.records.names();
    for (const name of names) {
      const record = await this.records.load(name).catch(() => undefined);
      if (!record) continue;
      const present = [];
      for (const m of record.machines) if (await this.machines.store.exists(m)) present.push(m);
      return { name, machines: present, roles: new Map() };
    }
    const loose = await this.machines.store.names();
    return loose.length > 0 ? { machines: loose, roles: new Map() } : undefined;
  }

  private async freeName(lab: Lab, role: NodeRole): Promise<string> {
    const prefix = lab.name && lab.machines.length > 0 && lab.machines.every((m) => m.startsWith(`${lab.name}-`)) ? `${lab.name}-` : '';
    const taken = new Set(await this.machines.store.names());
    for (let i = 1; ; i++) {
      const name = `${prefix}${role}${i}`;
      if (!taken.has(name) && !lab.machines.includes(name)) return name;
    }
  }

  private async recordMachines(lab: Lab): Promise<void> {
    if (lab.name === undefined) return;
    const record = await this.records.load(lab.name).catch(() => undefined);
    if (record) await this.records.save({ ...record, machines: [...lab.machines] });
  }

  private async removeMachine(lab: Lab, m: Machine): Promise<void> {
    const name = m.config.name;
    const node = this.publisher.view().nodes.find((n) => n.machine === name);
    const client = this.watcher?.current() ? this.manager() : undefined;
    // A manager leaves Raft first when it can, so that the swarm does not keep counting it.
    if (node?.reachability !== undefined && client) {
      await retryOutOfSequence(async () => {
        const n = await client.node(node.id);
        await client.updateNode(node.id, n.Version.Index, { ...n.Spec, Role: 'worker' });
      }).catch(() => {});
    }
    this.consoles.closeAll(name);
    await this.machines.remove(name, true);
    lab.machines = lab.machines.filter((x) => x !== name);
    lab.roles.delete(name);
    await this.recordMachines(lab);
    if (node && client) {
      await client.removeNode(node.id, true).catch((err: Error) => this.publisher.note({ kind: 'node', severity: 'warning', text: `${name} stays in the node list: ${err.message}` }));
    }
  }

  /**
   * Joins, again while the swarm refuses (a manager's admission waits for another Raft change to
   * end); a join that went through although its answer was lost counts.
   */
  private async join(joiner: SwarmClient, req: Parameters<SwarmClient['join']>[0]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await joiner.join(req);
      } catch (err) {
        if (attempt > 1 && /already part of a swarm/i.test((err as Error).message)) return;
        if (attempt >= 10) throw err;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 500));
      }
    }
  }

  private async updateNode(nodeId: string, change: (spec: NodeSpec) => NodeSpec): Promise<void> {
    const client = this.manager();
    await retryOutOfSequence(async () => {
      const n = await client.node(nodeId);
      await client.updateNode(n.ID, n.Version.Index, change(n.Spec));
    });
    void this.watcher?.refresh();
  }

  private async updateService_(serviceId: string, change: (spec: ServiceSpec, name: string) => ServiceSpec): Promise<void> {
    const client = this.manager();
    await retryOutOfSequence(async () => {
      const s = await client.service(serviceId);
      await client.updateService(s.ID, s.Version.Index, change(s.Spec, s.Spec.Name ?? s.ID));
    });
    void this.watcher?.refresh();
  }

  /** `web.2@worker1` for a log line, from the last read of the swarm. */
  private lineLabel(ids: { taskId?: string; nodeId?: string; serviceId?: string }): string {
    const cluster = this.watcher?.cluster();
    const task = cluster?.tasks.find((t) => t.ID === ids.taskId);
    const service = task?.ServiceName ?? cluster?.services.find((s) => s.ID === ids.serviceId)?.Spec.Name ?? ids.serviceId ?? '?';
    const node = cluster?.nodes.find((n) => n.ID === ids.nodeId)?.Description?.Hostname ?? ids.nodeId ?? '?';
    const which = task?.Slot !== undefined ? String(task.Slot) : (ids.taskId ?? '').slice(0, 12);
    return `${service}.${which}@${node}`;
  }

  // ---- watching ---------------------------------------------------------------------------------

  private watch(): void {
    if (this.watcher || this.closed) return;
    this.watcher = new ClusterWatcher({
      ...this.opts.watch,
      clock: this.clock,
      endpoints: () => this.endpoints(),
      // The watcher keeps its read before it calls: the machines' roles come from the new one.
      // Before any manager ever answered (a lab being made) there is nothing to be stale.
      onUpdate: (u) =>
        this.publisher.set({ cluster: u.cluster, via: u.via, stale: u.stale && u.cluster !== undefined, error: u.error, machines: this.machineViews(this.publisher.lab().machines) }),
    });
    this.watcher.start();
  }

  private stopWatching(): void {
    this.watcher?.stop();
    this.watcher = undefined;
  }

  /** The lab's machines that run now: a frozen one would only make the watcher wait. */
  private endpoints(): Endpoint[] {
    const views = this.publisher.lab().machines;
    return (this.lab?.machines ?? []).filter((name) => views.find((v) => v.name === name)?.state === 'Running').map((name) => ({ name, socket: this.machines.store.paths(name).socket }));
  }

  private pollMachines(): void {
    if (this.closed) return;
    this.machineTimer = this.clock.setTimeout(() => {
      void this.readMachines().finally(() => this.pollMachines());
    }, this.opts.machinePollMs ?? 1_000);
  }

  /** Reads every lab machine's state and faults from its driver (one read at a time). */
  private readMachines(): Promise<void> {
    if (this.readingMachines) return this.readingMachines.then(() => this.readMachines());
    const lab = this.lab;
    // While the lab is destroyed its machines show as Removing, not as each one stops.
    if (!lab || this.busy === 'destroying the lab') return Promise.resolve();
    this.readingMachines = (async () => {
      const creating = this.busy === 'creating a lab';
      const views = await Promise.all(lab.machines.map((name) => this.machineView(name, creating)));
      // The lab may have gone meanwhile (destroyed); its machines are not shown again.
      if (this.lab === lab) this.publisher.set({ machines: this.machineViews(views) });
    })().finally(() => (this.readingMachines = undefined));
    return this.readingMachines;
  }

  private async machineView(name: string, creating: boolean): Promise<MachineView> {
    const role = this.lab?.roles.get(name) ?? 'worker';
    let m: Machine;
    try {
      m = await this.machines.get(name);
    } catch {
      return { name, role, state: creating ? 'Creating' : 'Error', address: '' };
    }
    let state: DriverState;
    try {
      state = await m.driver.status();
    } catch {
      state = 'Error';
    }
    const faults = await m.driver.faults?.().catch(() => undefined);
    const view: MachineView = { name, role, state, address: m.driver.address() };
    if (faults && (faults.partition !== undefined || faults.delayMs || faults.lossPercent)) {
      const byIp = new Map<string, string>();
      for (const other of this.lab?.machines ?? []) {
        const c = await this.machines.store.load(other).catch(() => undefined);
        if (c) byIp.set(c.ip, other);
      }
      view.faults = {
        ...(faults.partition !== undefined ? { partition: faults.partition === 'all' ? 'all' : faults.partition.map((ip) => byIp.get(ip) ?? ip) } : {}),
        ...(faults.delayMs ? { delayMs: faults.delayMs } : {}),
        ...(faults.lossPercent ? { lossPercent: faults.lossPercent } : {}),
      };
    }
    return view;
  }

  /** The machines with the role their node has now (the planned one until it joins). */
  private machineViews(views: MachineView[]): MachineView[] {
    const nodes = this.watcher?.cluster()?.nodes ?? [];
    return views.map((v) => {
      const node = nodes.find((n) => n.Description?.Hostname === v.name && n.Status.State !== 'down') ?? nodes.find((n) => n.Description?.Hostname === v.name);
      const role = node ? (node.Role ?? node.Spec.Role) : v.role;
      return role === v.role ? v : { ...v, role };
    });
  }
}

/** An update based on a version someone else changed meanwhile is read again and made again. */
async function retryOutOfSequence<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 5 || !/out of sequence/i.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Reads a compose file's relative paths from files the page sent along (picked with it), by their
 * path as written or by file name; nothing is read from this machine's disk for such a deploy.
 */
function givenFiles(files: Record<string, string>): { dir: string; read: (full: string) => Promise<Buffer> } {
  const dir = '/compose';
  return {
    dir,
    read: async (full) => {
      const rel = full.startsWith(`${dir}/`) ? full.slice(dir.length + 1) : full;
      const base = rel.split('/').at(-1)!;
      const text = files[rel] ?? files[`./${rel}`] ?? files[base];
      if (text === undefined) {
        throw Object.assign(new Error(`${rel} was not sent with the compose file: pick it together with the compose file`), { code: 'EGIVEN' });
      }
      return Buffer.from(text);
    },
  };
}
