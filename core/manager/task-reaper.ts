// The task reaper keeps the task table from growing without bound: it deletes tasks marked for
// removal once they have stopped (or never reached a node), and keeps at most the cluster's task
// history limit of tasks per slot (default 5, the running one included), oldest first.

import type { TaskObject } from '../api/objects.ts';
import { isStopped, isTerminal, meantToRun, stateRank } from '../api/task-state.ts';
import type { LeaderComponent, ManagerContext } from './component.ts';
import { historyLimit, slotKey } from './orchestrator/tasks.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

const isDead = (t: TaskObject) => !meantToRun(t) && isStopped(t);

export class TaskReaper implements LeaderComponent {
  readonly name = 'task-reaper';
  private readonly loop: ReconcileLoop;
  private dirtySlots = new Set<string>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly ctx: ManagerContext) {
    // A short debounce gathers the deletions of a burst (a scale-down, a drain) into one transaction.
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message), 250);
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      for (const c of e.changes) {
        if (c.table === 'tasks' && c.type !== 'delete') this.dirtySlots.add(slotKey(c.object));
        if (c.table === 'clusters') this.scan();
      }
      if (e.restored) this.scan();
      if (this.dirtySlots.size > 0) this.loop.trigger();
    });
    this.scan();
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  private scan(): void {
    this.ctx.store.view((tx) => tx.find('tasks').forEach((t) => this.dirtySlots.add(slotKey(t))));
    this.loop.trigger();
  }

  private async pass(): Promise<void> {
    const slots = new Set(this.dirtySlots);
    this.dirtySlots.clear();
    try {
      await this.ctx.store.update((tx) => {
        const limit = historyLimit(tx.find('clusters')[0]);
        const bySlot = new Map<string, TaskObject[]>();
        for (const t of tx.find('tasks', (t) => slots.has(slotKey(t)))) {
          const k = slotKey(t);
          bySlot.set(k, [...(bySlot.get(k) ?? []), t]);
        }
        for (const tasks of bySlot.values()) {
          const keep: TaskObject[] = [];
          for (const t of tasks) {
            // Marked for removal: gone once it stopped, or if it never reached a node.
            if (t.DesiredState === 'remove' && (isTerminal(t.Status.State) || stateRank(t.Status.State) < stateRank('assigned'))) {
              tx.delete('tasks', t.ID);
            } else keep.push(t);
          }
          const dead = keep.filter(isDead).sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt) || a.Version.Index - b.Version.Index);
          for (let i = 0; keep.length - i > limit && i < dead.length; i++) tx.delete('tasks', dead[i]!.ID);
        }
      });
    } catch (err) {
      for (const s of slots) this.dirtySlots.add(s);
      throw err;
    }
  }
}
