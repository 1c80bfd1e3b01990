// Every action of the UI, in one place for the context menu, the panels and the keyboard: each
// calls the LabApi, reports failures as toasts, and asks first where the controller warns (role
// and availability changes) or where the step cannot be undone (remove, destroy).

import type { LabApi, MachineAction, MachineView, NodeView, ServiceCreateRequest, ServiceUpdatePolicy, StackDeployRequest, StackDeployResult } from '../../main/lab/protocol.ts';
import type { LabStore } from '../store/lab-store.ts';
import { TrafficLog } from '../store/traffic.ts';
import type { Ui } from './ui.svelte.ts';

export interface ActionItem {
  id: string;
  label: string;
  /** The keyboard shortcut, when the node is selected. */
  key?: string;
  danger?: boolean;
  run: () => void;
}

export class LabActions {
  constructor(
    readonly api: LabApi,
    private readonly ui: Ui,
    private readonly store: LabStore,
    readonly traffic: TrafficLog = new TrafficLog(),
  ) {}

  /** Runs a request; a failure becomes a toast (the message is meant for a person). */
  async attempt<T>(what: string, fn: () => Promise<T>, done?: string): Promise<T | undefined> {
    try {
      const result = await fn();
      if (done) this.ui.toast(done);
      return result;
    } catch (err) {
      this.ui.toast(`${what}: ${(err as Error).message}`, 'error');
      return undefined;
    }
  }

  /**
   * A machine action, or a partition: the controller is asked first whether it deserves a warning
   * (a kill that loses quorum); if so, or if it cannot be undone, the user confirms.
   */
  async machine(machine: string, action: MachineAction | 'partition'): Promise<void> {
    const run = () => void this.attempt(`${action} ${machine}`, () =>
      action === 'partition' ? this.api.partition({ machine }) : this.api.machineAction({ machine, action }));
    const nodeId = this.store.machines.get(machine)?.nodeId;
    const risky = action === 'kill' || action === 'stop' || action === 'pause' || action === 'remove' || action === 'partition' || action === 'restart';
    const warning = nodeId && risky ? await this.attempt(`${action} ${machine}`, () => this.api.checkNodeChange({ nodeId, action })) : undefined;
    if (warning) {
      this.ui.dialog = { kind: 'confirm', title: warning.message, reason: warning.reason, message: `${verbed(action)} ${machine} anyway?`, confirm: `${verbed(action)} anyway`, danger: true, run };
    } else if (action === 'remove') {
      this.ui.dialog = {
        kind: 'confirm', title: `Remove ${machine}?`, confirm: 'Remove machine', danger: true,
        message: 'The machine and its state are deleted; the swarm sees the node go down.', run,
      };
    } else run();
  }

  heal(machine: string): void {
    void this.attempt(`heal ${machine}`, () => this.api.heal({ machine }));
  }

  addNode(role: 'manager' | 'worker'): void {
    void this.attempt(`add a ${role}`, () => this.api.addMachine({ role }));
  }

  async setRole(node: NodeView, role: 'manager' | 'worker'): Promise<void> {
    const verb = role === 'manager' ? 'promote' : 'demote';
    const warning = await this.attempt(`${verb} ${node.hostname}`, () => this.api.checkNodeChange({ nodeId: node.id, role }));
    const run = () => void this.attempt(`${verb} ${node.hostname}`, () => this.api.setNodeRole({ nodeId: node.id, role }));
    if (!warning) return run();
    this.ui.dialog = { kind: 'confirm', title: warning.message, reason: warning.reason, message: `${verb[0]!.toUpperCase()}${verb.slice(1)} ${node.hostname} anyway?`, confirm: `${verb[0]!.toUpperCase()}${verb.slice(1)} anyway`, danger: true, run };
  }

  async setAvailability(node: NodeView, availability: 'active' | 'pause' | 'drain'): Promise<void> {
    const warning = await this.attempt(`${availability} ${node.hostname}`, () => this.api.checkNodeChange({ nodeId: node.id, availability }));
    const run = () => void this.attempt(`${availability} ${node.hostname}`, () => this.api.setNodeAvailability({ nodeId: node.id, availability }));
    if (!warning) return run();
    this.ui.dialog = { kind: 'confirm', title: warning.message, reason: warning.reason, message: `Set ${node.hostname} to ${availability} anyway?`, confirm: `Set to ${availability}`, danger: true, run };
  }

  async createService(req: ServiceCreateRequest): Promise<boolean> {
    return (await this.attempt(`create ${req.name}`, () => this.api.createService(req))) !== undefined;
  }

  scale(serviceId: string, replicas: number): void {
    void this.attempt('scale', () => this.api.scaleService({ serviceId, replicas }));
  }

  async update(serviceId: string, image: string | undefined, policy: ServiceUpdatePolicy): Promise<boolean> {
    return (await this.attempt('update', async () => { await this.api.updateService({ serviceId, ...(image ? { image } : {}), policy }); return true; })) === true;
  }

  rollback(serviceId: string): void {
    void this.attempt('rollback', () => this.api.rollbackService({ serviceId }));
  }

  removeService(serviceId: string): void {
    const name = this.store.services.get(serviceId)?.name ?? serviceId;
    this.ui.dialog = {
      kind: 'confirm', title: `Remove service ${name}?`, confirm: 'Remove service', danger: true,
      message: 'Its tasks are stopped on every node.',
      run: () => void this.attempt(`remove ${name}`, () => this.api.removeService({ serviceId })),
    };
  }

  /** Sends requests to a service's published port through a node (default: the controller picks one without a task). */
  async sendTraffic(serviceId: string, opts: { viaNodeId?: string; port?: number; count?: number } = {}): Promise<string | undefined> {
    const name = this.store.services.get(serviceId)?.name ?? serviceId;
    this.ui.selectedServiceId = serviceId;
    this.ui.panel = 'services';
    const r = await this.attempt(`send traffic to ${name}`, () => this.api.sendTraffic({ serviceId, ...opts }));
    if (!r) return undefined;
    this.traffic.started(r.trafficId, { serviceId, url: r.url, viaHost: r.viaHost, count: r.count });
    return r.trafficId;
  }

  stopTraffic(trafficId: string): void {
    void this.attempt('stop the traffic', () => this.api.stopTraffic({ trafficId }));
  }

  /** Deploys a stack; the dialog shows the report, or the error (file:line:column lines) — no toast. */
  deployStack(req: StackDeployRequest): Promise<StackDeployResult> {
    return this.api.deployStack(req);
  }

  removeStack(name: string): void {
    const services = [...this.store.services.values()].filter((s) => s.stack === name).length;
    this.ui.dialog = {
      kind: 'confirm', title: `Remove stack ${name}?`, confirm: 'Remove stack', danger: true,
      message: `Its ${services} service${services === 1 ? '' : 's'}, networks, secrets and configs are removed.`,
      run: () => void this.attempt(`remove stack ${name}`, () => this.api.removeStack({ name }), `Stack ${name} removed`),
    };
  }

  createLab(template: string): void {
    void this.attempt('create the lab', () => this.api.createLab({ template }));
  }

  createLabFromFile(file: string): void {
    void this.attempt(`create the lab of ${file}`, () => this.api.createLab({ file }));
  }

  destroyLab(): void {
    this.ui.dialog = {
      kind: 'confirm', title: `Destroy the lab${this.store.name ? ` ${this.store.name}` : ''}?`, confirm: 'Destroy lab', danger: true,
      message: 'Every machine of the lab is stopped and removed, with its services.',
      run: () => void this.attempt('destroy the lab', () => this.api.destroyLab()),
    };
  }

  /** What can be done to a node, for its context menu and the inspector. */
  nodeActions(node: NodeView, machine: MachineView | undefined): ActionItem[] {
    const items: ActionItem[] = [];
    const m = machine?.name;
    if (m) {
      const act = (a: MachineAction | 'partition') => () => void this.machine(m, a);
      items.push({ id: 'console', label: 'Open console', key: 't', run: () => this.ui.openConsole(m) });
      if (machine.state === 'Running') {
        items.push({ id: 'kill', label: 'Kill', key: 'k', danger: true, run: act('kill') });
        items.push({ id: 'stop', label: 'Stop', run: act('stop') });
        items.push({ id: 'pause-machine', label: 'Pause machine (freeze)', run: act('pause') });
        items.push({ id: 'restart', label: 'Restart', key: 'r', run: act('restart') });
      } else if (machine.state === 'Paused') {
        items.push({ id: 'resume', label: 'Resume machine', run: act('resume') });
      } else {
        items.push({ id: 'start', label: 'Start', key: 's', run: act('start') });
      }
      if (machine.faults?.partition) items.push({ id: 'heal', label: 'Heal partition', key: 'h', run: () => this.heal(m) });
      else items.push({ id: 'partition', label: 'Partition from the network', key: 'p', danger: true, run: act('partition') });
    }
    if (node.role === 'worker') items.push({ id: 'promote', label: 'Promote to manager', run: () => void this.setRole(node, 'manager') });
    else items.push({ id: 'demote', label: 'Demote to worker', run: () => void this.setRole(node, 'worker') });
    for (const a of ['active', 'pause', 'drain'] as const) {
      if (node.availability !== a) items.push({ id: `avail-${a}`, label: a === 'active' ? 'Activate' : a === 'pause' ? 'Pause scheduling' : 'Drain', ...(a === 'drain' ? { key: 'd' } : a === 'active' ? { key: 'a' } : {}), run: () => void this.setAvailability(node, a) });
    }
    if (m) items.push({ id: 'remove', label: 'Remove machine', danger: true, run: () => void this.machine(m, 'remove') });
    return items;
  }
}

function verbed(action: MachineAction | 'partition'): string {
  return action.charAt(0).toUpperCase() + action.slice(1);
}
