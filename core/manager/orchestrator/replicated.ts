// The replicated orchestrator: keeps each replicated service at its replica count. It fills
// missing slots, removes extra ones (from the most loaded nodes first), replaces tasks that stop
// (through the restart supervisor) or whose node goes down or is drained, and hands tasks made
// from an older spec to the update supervisor.

import type { ClusterObject, ServiceObject } from '../../api/objects.ts';
import { isTerminal, meantToRun } from '../../api/task-state.ts';
import type { Tx } from '../../store/store.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import { ReconcileLoop } from '../reconcile-loop.ts';
import type { RestartSupervisor } from './restart.ts';
import { liveAndDeadSlots, groupBySlot, type Slot } from './slots.ts';
import { isReplicated, newTask, replicas } from './tasks.ts';

/** What the orchestrator asks of the update supervisor (rolling updates). */
export interface Updater {
  /** The service's live slots; the updater replaces the ones made from an older spec. */
  update(service: ServiceObject, slots: Slot[]): void;
}

export class ReplicatedOrchestrator implements LeaderComponent {
  readonly name = 'replicated-orchestrator';
  private readonly loop: ReconcileLoop;
  private services = new Set<string>();
  private stoppedTasks = new Set<string>();
  private nodes = new Set<string>();
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly restarts: RestartSupervisor,
    private readonly updater?: Updater,
  ) {
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message));
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      if (e.restored) {
        this.everything();
        return;
      }
      for (const c of e.changes) {
        if (c.table === 'services') this.services.add(c.object.ID);
        else if (c.table === 'tasks') {
          const t = c.object;
          if (c.type === 'delete') this.services.add(t.ServiceID);
          else if (meantToRun(t) && isTerminal(t.Status.State)) this.stoppedTasks.add(t.ID);
          else if (!meantToRun(t)) this.services.add(t.ServiceID);
        } else if (c.table === 'nodes') {
          const n = c.object;
          if (c.type === 'delete' || n.Status.State === 'down' || n.Spec.Availability === 'drain') this.nodes.add(n.ID);
        }
      }
      this.loop.trigger();
    });
    this.everything();
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  /** On start (and after a snapshot restore): look at everything once. */
  private everything(): void {
    this.ctx.store.view((tx) => {
      for (const s of tx.find('services')) this.services.add(s.ID);
      for (const t of tx.find('tasks', (t) => meantToRun(t) && isTerminal(t.Status.State))) this.stoppedTasks.add(t.ID);
      for (const n of tx.find('nodes', (n) => n.Status.State === 'down' || n.Spec.Availability === 'drain')) this.nodes.add(n.ID);
    });
    this.loop.trigger();
  }

  private async pass(): Promise<void> {
    const nodes = [...this.nodes];
    const tasks = [...this.stoppedTasks];
    const services = [...this.services];
    this.nodes.clear();
    this.stoppedTasks.clear();
    this.services.clear();
    const toUpdate: { service: ServiceObject; slots: Slot[] }[] = [];
    try {
      await this.ctx.store.update((tx) => {
        const cluster = tx.find('clusters')[0];
        for (const id of nodes) this.restartTasksOnNode(tx, cluster, id);
        for (const id of tasks) this.restartStoppedTask(tx, cluster, id);
        for (const id of services) {
          const r = this.reconcile(tx, id);
          if (r) toUpdate.push(r);
        }
      });
    } catch (err) {
      // Nothing of the pass was applied: do all of it again.
      for (const id of nodes) this.nodes.add(id);
      for (const id of tasks) this.stoppedTasks.add(id);
      for (const id of services) this.services.add(id);
      throw err;
    }
    if (this.updater) for (const u of toUpdate) this.updater.update(u.service, u.slots);
  }

  /** A node went down, was drained or removed: its tasks get replacements elsewhere. */
  private restartTasksOnNode(tx: Tx, cluster: ClusterObject | undefined, nodeId: string): void {
    const node = tx.get('nodes', nodeId);
    if (node && node.Status.State !== 'down' && node.Spec.Availability !== 'drain') return;
    for (const t of tx.find('tasks', (t) => t.NodeID === nodeId && meantToRun(t))) {
      const service = tx.get('services', t.ServiceID);
      if (service && isReplicated(service)) this.restarts.restart(tx, cluster, service, t);
    }
  }

  private restartStoppedTask(tx: Tx, cluster: ClusterObject | undefined, taskId: string): void {
    const t = tx.get('tasks', taskId);
    if (!t || !meantToRun(t) || !isTerminal(t.Status.State)) return;
    const service = tx.get('services', t.ServiceID);
    if (service && isReplicated(service)) this.restarts.restart(tx, cluster, service, t);
  }

  private reconcile(tx: Tx, serviceId: string): { service: ServiceObject; slots: Slot[] } | undefined {
    const service = tx.get('services', serviceId);
    const tasks = tx.find('tasks', (t) => t.ServiceID === serviceId);
    if (!service) {
      // The service was removed: every task goes, and the reaper deletes them once stopped.
      for (const t of tasks) if (t.DesiredState !== 'remove') tx.update('tasks', { ...t, DesiredState: 'remove' });
      return undefined;
    }
    if (!isReplicated(service)) return undefined;
    const { live, dead } = liveAndDeadSlots(service, groupBySlot(tasks), (t, s) => this.restarts.shouldRestart(t, s));
    const want = replicas(service);
    if (live.size < want) {
      // Dead slots are refilled first, so a slot's history stays together (`docker service ps`).
      const reuse = [...dead.keys()].sort((a, b) => a - b);
      let fresh = 1;
      for (let added = live.size; added < want; added++) {
        let slot = reuse.shift();
        if (slot === undefined) {
          while (live.has(fresh) || dead.has(fresh)) fresh++;
          slot = fresh;
        }
        tx.create('tasks', newTask(service, { slot }, this.ctx.clock, this.ctx.random));
        live.set(slot, []);
        dead.delete(slot);
      }
    }
    // Dead slots not refilled are gone for good: their tasks are removed.
    for (const slot of dead.values()) {
      for (const t of slot) if (t.DesiredState !== 'remove') tx.update('tasks', { ...t, DesiredState: 'remove' });
    }
    if (live.size > want) {
      for (const n of this.slotsToRemove(live, live.size - want)) {
        for (const t of live.get(n)!) {
          if (meantToRun(t)) tx.update('tasks', { ...t, DesiredState: 'remove' });
        }
        live.delete(n);
      }
    }
    const slots = [...live.values()].filter((s) => s.length > 0);
    return { service, slots };
  }

  /**
   * Which slots to remove when scaling down: first those whose task is not running, then from the
   * nodes running the most tasks of the service, so what stays is spread out.
   */
  private slotsToRemove(live: Map<number, Slot>, count: number): number[] {
    const perNode = new Map<string, number>();
    const nodeOf = (slot: Slot) => slot.find((t) => t.NodeID)?.NodeID ?? '';
    for (const slot of live.values()) perNode.set(nodeOf(slot), (perNode.get(nodeOf(slot)) ?? 0) + 1);
    const remaining = new Map(live);
    const out: number[] = [];
    while (out.length < count) {
      let best: number | undefined;
      let bestKey: [number, number, number] | undefined;
      for (const [n, slot] of remaining) {
        const running = slot.some((t) => t.Status.State === 'running') ? 1 : 0;
        const key: [number, number, number] = [running, -(perNode.get(nodeOf(slot)) ?? 0), -n];
        if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
          best = n;
          bestKey = key;
        }
      }
      const slot = remaining.get(best!)!;
      perNode.set(nodeOf(slot), (perNode.get(nodeOf(slot)) ?? 1) - 1);
      remaining.delete(best!);
      out.push(best!);
    }
    return out;
  }
}
