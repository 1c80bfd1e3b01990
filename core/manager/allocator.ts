// The allocator moves new tasks to `pending`, where the scheduler picks them up. Network and port
// allocation (virtual IPs, published ports) will happen here, with the networking work: this is
// the seam for it.

import type { TaskObject } from '../api/objects.ts';
import type { LeaderComponent, ManagerContext } from './component.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

/** Tasks per transaction: large batches keep the log short when thousands of tasks arrive. */
const BATCH = 500;

export class Allocator implements LeaderComponent {
  readonly name = 'allocator';
  private readonly loop: ReconcileLoop;
  private pending = new Set<string>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly ctx: ManagerContext) {
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message));
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      for (const c of e.changes) if (c.table === 'tasks' && c.type !== 'delete' && isNew(c.object)) this.pending.add(c.object.ID);
      if (e.restored) this.scan();
      if (this.pending.size > 0) this.loop.trigger();
    });
    this.scan();
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  private scan(): void {
    this.ctx.store.view((tx) => tx.find('tasks', isNew).forEach((t) => this.pending.add(t.ID)));
    this.loop.trigger();
  }

  private async pass(): Promise<void> {
    const ids = [...this.pending].slice(0, BATCH);
    for (const id of ids) this.pending.delete(id);
    const now = new Date(this.ctx.clock.now()).toISOString();
    try {
      await this.ctx.store.update((tx) => {
        for (const id of ids) {
          const t = tx.get('tasks', id);
          if (!t || !isNew(t)) continue;
          tx.update('tasks', { ...t, Status: { ...t.Status, State: 'pending', Message: 'pending task scheduling', Timestamp: now } });
        }
      });
    } catch (err) {
      for (const id of ids) this.pending.add(id);
      throw err;
    }
    if (this.pending.size > 0) this.loop.trigger();
  }
}

function isNew(t: TaskObject): boolean {
  return t.Status.State === 'new' && (t.DesiredState === 'running' || t.DesiredState === 'ready');
}
