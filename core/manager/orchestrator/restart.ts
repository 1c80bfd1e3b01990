// The restart supervisor, as in SwarmKit: when a task stops (or its node dies) it decides, by the
// service's restart policy, whether the slot gets a replacement; the replacement is created at
// once with DesiredState `ready` (so it can be scheduled and prepared) and is started after the
// restart delay, and only once the old task has stopped — two copies of a slot never run.

import type { ClusterObject, NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { DEFAULT_RESTART_POLICY, nsToMs } from '../../api/defaults.ts';
import { isStopped, isTerminal, stateRank } from '../../api/task-state.ts';
import type { Timer } from '../../clock.ts';
import { ReconcileLoop } from '../reconcile-loop.ts';
import type { Tx } from '../../store/store.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import { isReplicated, newTask, slotKey } from './tasks.ts';

export class RestartSupervisor implements LeaderComponent {
  readonly name = 'restart-supervisor';
  /** Restart times per slot (service/slot or service/node), for MaxAttempts within Window. */
  private history = new Map<string, number[]>();
  /** When each replacement made here may start (its restart delay); others use their CreatedAt. */
  private due = new Map<string, number>();
  private readonly starter: ReconcileLoop;
  private wakeup: Timer | undefined;
  private unwatch: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly ctx: ManagerContext) {
    this.starter = new ReconcileLoop(ctx.clock, () => this.startReady(), (err) => ctx.logger?.(this.name, err.message), 20);
  }

  start(): void {
    // Starting a replacement depends on its slot's other tasks and on their nodes: look again
    // whenever either changes, and when a restart delay runs out.
    this.unwatch = this.ctx.store.watch((e) => {
      if (e.restored || e.changes.some((c) => c.table === 'tasks' || c.table === 'nodes')) this.starter.trigger();
    });
    this.starter.trigger();
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.wakeup?.cancel();
    this.starter.stop();
  }

  private delayMs(service: ServiceObject, cluster: ClusterObject | undefined): number {
    const policy = service.Spec.TaskTemplate.RestartPolicy;
    const ns = policy?.Delay ?? cluster?.Spec.Orchestration?.DefaultRestartDelay ?? DEFAULT_RESTART_POLICY.Delay;
    return nsToMs(ns);
  }

  /** By the restart policy: condition, then MaxAttempts within Window. */
  shouldRestart(task: TaskObject, service: ServiceObject): boolean {
    const policy = { ...DEFAULT_RESTART_POLICY, ...service.Spec.TaskTemplate.RestartPolicy };
    if (policy.Condition === 'none') return false;
    if (policy.Condition === 'on-failure' && task.Status.State === 'complete') return false;
    if (policy.MaxAttempts === 0) return true;
    const now = this.ctx.clock.now();
    const windowMs = nsToMs(policy.Window);
    const times = (this.history.get(slotKey(task)) ?? []).filter((t) => windowMs === 0 || now - t < windowMs);
    return times.length < policy.MaxAttempts;
  }

  /**
   * In the caller's transaction: shuts `task` down and, when the policy allows, creates its
   * replacement. A task on a drained node is replaced without delay; one on a down node, or one
   * that already stopped, does not have to be waited for.
   */
  restart(tx: Tx, cluster: ClusterObject | undefined, service: ServiceObject, task: TaskObject): TaskObject | undefined {
    if (this.stopped) return undefined;
    if (stateRank(task.DesiredState) > stateRank('running')) return undefined;
    tx.update('tasks', { ...task, DesiredState: 'shutdown' });
    if (!this.shouldRestart(task, service)) return undefined;

    const node: NodeObject | undefined = task.NodeID ? tx.get('nodes', task.NodeID) : undefined;
    const where = isReplicated(service) ? { slot: task.Slot ?? 1 } : { nodeId: task.NodeID ?? '' };
    const replacement = { ...newTask(service, where, this.ctx.clock, this.ctx.random), DesiredState: 'ready' as const };
    tx.create('tasks', replacement);

    const key = slotKey(task);
    this.history.set(key, [...(this.history.get(key) ?? []), this.ctx.clock.now()].slice(-32));

    const drained = node?.Spec.Availability === 'drain';
    this.due.set(replacement.ID, this.ctx.clock.now() + (drained ? 0 : this.delayMs(service, cluster)));
    this.starter.trigger();
    return tx.get('tasks', replacement.ID);
  }

  /**
   * Starts the tasks waiting in `ready` whose restart delay is over and whose slot is clear:
   * every other task of the slot has stopped, or sits on a node that is down or gone. This covers
   * replacements made by this leader, by an earlier one, and by an update that was interrupted.
   */
  private async startReady(): Promise<void> {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    let next = Infinity;
    const ready: string[] = [];
    this.ctx.store.view((tx) => {
      const cluster = tx.find('clusters')[0];
      const waiting = tx.find('tasks', (t) => t.DesiredState === 'ready' && !isTerminal(t.Status.State));
      if (waiting.length === 0) return;
      // One pass over the tasks groups them by slot, rather than one pass per waiting task.
      const bySlot = new Map<string, TaskObject[]>();
      for (const o of tx.find('tasks')) {
        const k = slotKey(o);
        const list = bySlot.get(k);
        if (list) list.push(o);
        else bySlot.set(k, [o]);
      }
      for (const t of waiting) {
        let due = this.due.get(t.ID);
        if (due === undefined) {
          const service = tx.get('services', t.ServiceID);
          due = (Date.parse(t.CreatedAt) || now) + (service ? this.delayMs(service, cluster) : 0);
        }
        if (due > now) {
          next = Math.min(next, due);
          continue;
        }
        const others = (bySlot.get(slotKey(t)) ?? []).filter((o) => o.ID !== t.ID);
        const clear = others.every((o) => {
          if (isStopped(o)) return true;
          const node = o.NodeID ? tx.get('nodes', o.NodeID) : undefined;
          return !!o.NodeID && (!node || node.Status.State === 'down');
        });
        if (clear) ready.push(t.ID);
      }
    });
    this.wakeup?.cancel();
    this.wakeup = next === Infinity ? undefined : this.ctx.clock.setTimeout(() => this.starter.trigger(), next - now);
    if (ready.length === 0) return;
    await this.ctx.store.update((tx) => {
      for (const id of ready) {
        const t = tx.get('tasks', id);
        if (t && t.DesiredState === 'ready') tx.update('tasks', { ...t, DesiredState: 'running' });
        this.due.delete(id);
      }
    });
  }
}
