// The global orchestrator: one task of each global service on every eligible node. A node is
// eligible when it is ready, active and matches the service's constraints. Joining nodes get a
// task; drained nodes, and nodes that stop matching, have theirs shut down; a paused node keeps
// what it runs; a down node's tasks wait for it (they cannot run anywhere else).

import type { ClusterObject, NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { matchConstraints, parseConstraints } from '../../api/constraints.ts';
import { isTerminal, meantToRun } from '../../api/task-state.ts';
import type { Tx } from '../../store/store.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import { ReconcileLoop } from '../reconcile-loop.ts';
import type { Updater } from './replicated.ts';
import type { RestartSupervisor } from './restart.ts';
import type { Slot } from './slots.ts';
import { isGlobal, newTask } from './tasks.ts';

function placementAllows(service: ServiceObject, node: NodeObject): boolean {
  try {
    return matchConstraints(parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints), node);
  } catch {
    return false; // specs are validated on the way in; a bad one places nothing
  }
}

export class GlobalOrchestrator implements LeaderComponent {
  readonly name = 'global-orchestrator';
  private readonly loop: ReconcileLoop;
  private dirty = false;
  private stoppedTasks = new Set<string>();
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
      let relevant = e.restored === true;
      for (const c of e.changes) {
        if (c.table === 'services' || c.table === 'nodes') relevant = true;
        else if (c.table === 'tasks' && c.type !== 'create') {
          const t = c.object;
          if (c.type === 'update' && meantToRun(t) && isTerminal(t.Status.State)) this.stoppedTasks.add(t.ID);
          if (c.type === 'delete' || !meantToRun(t)) relevant = true;
        }
      }
      if (relevant) this.dirty = true;
      if (relevant || this.stoppedTasks.size > 0) this.loop.trigger();
    });
    this.dirty = true;
    this.loop.trigger();
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  private async pass(): Promise<void> {
    const stopped = [...this.stoppedTasks];
    const full = this.dirty;
    this.stoppedTasks.clear();
    this.dirty = false;
    let toUpdate: { service: ServiceObject; slots: Slot[] }[] = [];
    try {
      await this.ctx.store.update((tx) => {
        const cluster = tx.find('clusters')[0];
        for (const id of stopped) this.restartStopped(tx, cluster, id);
        if (full) toUpdate = this.reconcileAll(tx);
      });
    } catch (err) {
      for (const id of stopped) this.stoppedTasks.add(id);
      this.dirty ||= full;
      throw err;
    }
    if (this.updater) for (const u of toUpdate) this.updater.update(u.service, u.slots);
  }

  private restartStopped(tx: Tx, cluster: ClusterObject | undefined, id: string): void {
    const t = tx.get('tasks', id);
    if (!t || !meantToRun(t) || !isTerminal(t.Status.State)) return;
    const service = tx.get('services', t.ServiceID);
    const node = t.NodeID ? tx.get('nodes', t.NodeID) : undefined;
    if (!service || !isGlobal(service)) return;
    if (!node || node.Spec.Availability === 'drain' || !placementAllows(service, node)) {
      tx.update('tasks', { ...t, DesiredState: 'shutdown' });
      return;
    }
    this.restarts.restart(tx, cluster, service, t);
  }

  /** Returns each service's per-node tasks, for the update supervisor. */
  private reconcileAll(tx: Tx): { service: ServiceObject; slots: Slot[] }[] {
    const out: { service: ServiceObject; slots: Slot[] }[] = [];
    // Stopped tasks still meant to run are restarted first (a new leader learns of them only from
    // the state, not from an event), so that what follows counts their replacements.
    const cluster = tx.find('clusters')[0];
    for (const t of tx.find('tasks', (t) => t.Slot === undefined && meantToRun(t) && isTerminal(t.Status.State))) {
      this.restartStopped(tx, cluster, t.ID);
    }
    const services = tx.find('services', isGlobal);
    const serviceIds = new Set(services.map((s) => s.ID));
    const nodes = tx.find('nodes');
    const tasksByService = new Map<string, TaskObject[]>();
    for (const t of tx.find('tasks', (t) => t.Slot === undefined && t.DesiredState !== 'remove')) {
      if (!tasksByService.has(t.ServiceID)) tasksByService.set(t.ServiceID, []);
      tasksByService.get(t.ServiceID)!.push(t);
    }
    // Tasks of removed global services go.
    for (const [sid, tasks] of tasksByService) {
      if (serviceIds.has(sid) || tx.get('services', sid)) continue;
      for (const t of tasks) tx.update('tasks', { ...t, DesiredState: 'remove' });
    }
    for (const service of services) {
      const byNode = new Map<string, TaskObject[]>();
      for (const t of tasksByService.get(service.ID) ?? []) {
        if (!meantToRun(t) || !t.NodeID) continue;
        byNode.set(t.NodeID, [...(byNode.get(t.NodeID) ?? []), t]);
      }
      for (const node of nodes) {
        const running = byNode.get(node.ID) ?? [];
        const allowed = placementAllows(service, node);
        if (node.Spec.Availability === 'drain' || !allowed) {
          for (const t of running) tx.update('tasks', { ...t, DesiredState: 'shutdown' });
          continue;
        }
        // One task per node: extras (a race, an old leader's leftovers) are shut down.
        for (const t of running.slice(1)) tx.update('tasks', { ...t, DesiredState: 'shutdown' });
        const eligible = node.Status.State === 'ready' && node.Spec.Availability === 'active';
        if (running.length === 0 && eligible) tx.create('tasks', newTask(service, { nodeId: node.ID }, this.ctx.clock, this.ctx.random));
      }
      // Nodes that left the cluster: their tasks are removed.
      for (const [nodeId, tasks] of byNode) {
        if (!nodes.some((n) => n.ID === nodeId)) for (const t of tasks) tx.update('tasks', { ...t, DesiredState: 'remove' });
      }
      const slots = nodes
        .filter((n) => n.Spec.Availability !== 'drain' && placementAllows(service, n))
        .map((n) => (byNode.get(n.ID) ?? []).slice(0, 1))
        .filter((s) => s.length > 0);
      out.push({ service, slots });
    }
    return out;
  }
}
