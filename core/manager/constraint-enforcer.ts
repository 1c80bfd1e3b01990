// The constraint enforcer: when a node changes (labels, role, resources, availability), tasks on it
// that no longer fit are rejected — their desired state becomes `rejected`, the node stops them,
// and the orchestrator gives their slot a new task, which the scheduler places elsewhere.

import type { NodeObject, TaskObject } from '../api/objects.ts';
import { matchConstraints, parseConstraints } from '../api/constraints.ts';
import { isTerminal, meantToRun } from '../api/task-state.ts';
import type { LeaderComponent, ManagerContext } from './component.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

function fits(t: TaskObject, node: NodeObject): boolean {
  try {
    if (!matchConstraints(parseConstraints(t.Spec.Placement?.Constraints), node)) return false;
  } catch {
    return true; // an unparseable constraint was refused at the boundary; do not act on it here
  }
  return true;
}

export class ConstraintEnforcer implements LeaderComponent {
  readonly name = 'constraint-enforcer';
  private readonly loop: ReconcileLoop;
  private nodes = new Set<string>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly ctx: ManagerContext) {
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message));
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      for (const c of e.changes) if (c.table === 'nodes' && c.type !== 'delete') this.nodes.add(c.object.ID);
      if (this.nodes.size > 0) this.loop.trigger();
    });
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  private async pass(): Promise<void> {
    const ids = [...this.nodes];
    this.nodes.clear();
    await this.ctx.store.update((tx) => {
      for (const id of ids) {
        const node = tx.get('nodes', id);
        if (!node) continue;
        const tasks = tx.find('tasks', (t) => t.NodeID === id && meantToRun(t) && !isTerminal(t.Status.State));
        // Global tasks are the global orchestrator's to shut down; replicated ones are rejected.
        const misfits = tasks.filter((t) => t.Slot !== undefined && !fits(t, node));
        // Reservations: when the node shrank below what its tasks reserve, reject the newest.
        const mem = node.Description?.Resources.MemoryBytes ?? Infinity;
        const cpu = node.Description?.Resources.NanoCPUs ?? Infinity;
        let usedMem = 0;
        let usedCpu = 0;
        const keep = tasks.filter((t) => !misfits.includes(t)).sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt));
        for (const t of keep) {
          const r = t.Spec.Resources?.Reservations;
          usedMem += r?.MemoryBytes ?? 0;
          usedCpu += r?.NanoCPUs ?? 0;
          if ((usedMem > mem || usedCpu > cpu) && t.Slot !== undefined) misfits.push(t);
        }
        for (const t of misfits) {
          tx.update('tasks', {
            ...t,
            DesiredState: 'rejected',
            Status: { ...t.Status, Err: `task no longer fits node ${node.Description?.Hostname ?? node.ID}: constraints or resources changed` },
          });
        }
      }
    });
  }
}
