// The restart supervisor, as in SwarmKit: when a task stops (or its node dies) it decides, by the
// service's restart policy, whether the slot gets a replacement; the replacement is created at
// once with DesiredState `ready` (so it can be scheduled and prepared) and is started after the
// restart delay, and only once the old task has stopped — two copies of a slot never run.

import type { ClusterObject, NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { DEFAULT_RESTART_POLICY, nsToMs } from '../../api/defaults.ts';
import { isStopped, isTerminal, stateRank } from '../../api/task-state.ts';
import type { Timer } from '../../clock.ts';
import type { Tx } from '../../store/store.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import { isReplicated, newTask } from './tasks.ts';

interface DelayedStart {
  oldTaskId: string;
  newTaskId: string;
  waitStop: boolean;
  due: number;
  timer?: Timer;
}

export class RestartSupervisor implements LeaderComponent {
  readonly name = 'restart-supervisor';
  /** Restart times per slot (service/slot or service/node), for MaxAttempts within Window. */
  private history = new Map<string, number[]>();
  private delayed = new Map<string, DelayedStart>();
  private unwatch: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly ctx: ManagerContext) {}

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      for (const c of e.changes) {
        if (c.table !== 'tasks' || c.type === 'create') continue;
        for (const d of this.delayed.values()) if (d.oldTaskId === c.object.ID) this.check(d);
      }
    });
    // Replacements made by a previous leader whose start was pending: start them after what is
    // left of their delay (the old tasks are looked at again).
    const now = this.ctx.clock.now();
    this.ctx.store.view((tx) => {
      for (const t of tx.find('tasks', (t) => t.DesiredState === 'ready' && stateRank(t.Status.State) <= stateRank('ready'))) {
        const service = tx.get('services', t.ServiceID);
        const cluster = tx.find('clusters')[0];
        const delay = service ? this.delayMs(service, cluster) : 0;
        const created = Date.parse(t.CreatedAt) || now;
        this.schedule({ oldTaskId: '', newTaskId: t.ID, waitStop: false, due: created + delay });
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    for (const d of this.delayed.values()) d.timer?.cancel();
    this.delayed.clear();
  }

  private slotKey(t: TaskObject): string {
    return t.Slot !== undefined ? `${t.ServiceID}/${t.Slot}` : `${t.ServiceID}/node/${t.NodeID ?? ''}`;
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
    const times = (this.history.get(this.slotKey(task)) ?? []).filter((t) => windowMs === 0 || now - t < windowMs);
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

    const key = this.slotKey(task);
    this.history.set(key, [...(this.history.get(key) ?? []), this.ctx.clock.now()].slice(-32));

    const drained = node?.Spec.Availability === 'drain';
    const delay = drained ? 0 : this.delayMs(service, cluster);
    const waitStop = !(node?.Status.State === 'down' || isTerminal(task.Status.State));
    this.schedule({ oldTaskId: task.ID, newTaskId: replacement.ID, waitStop, due: this.ctx.clock.now() + delay });
    return tx.get('tasks', replacement.ID);
  }

  private schedule(d: DelayedStart): void {
    this.delayed.set(d.newTaskId, d);
    const wait = Math.max(0, d.due - this.ctx.clock.now());
    d.timer = this.ctx.clock.setTimeout(() => {
      d.timer = undefined;
      this.check(d);
    }, wait);
  }

  /** Starts the replacement once its delay is over and the old task is no longer running. */
  private check(d: DelayedStart): void {
    if (this.stopped || d.timer || this.ctx.clock.now() < d.due) return;
    if (d.waitStop) {
      const old = this.ctx.store.view((tx) => tx.get('tasks', d.oldTaskId));
      const node = old?.NodeID ? this.ctx.store.view((tx) => tx.get('nodes', old.NodeID!)) : undefined;
      if (old && !isStopped(old) && node?.Status.State !== 'down') return;
    }
    this.delayed.delete(d.newTaskId);
    void this.ctx.store
      .update((tx) => {
        const t = tx.get('tasks', d.newTaskId);
        if (!t || t.DesiredState !== 'ready') return;
        tx.update('tasks', { ...t, DesiredState: 'running' });
      })
      .catch((err: Error) => {
        if (this.stopped) return;
        // A conflict with another writer: look again shortly.
        this.ctx.logger?.('restart', `starting task ${d.newTaskId} failed (${err.message}); retrying`);
        this.schedule({ ...d, due: this.ctx.clock.now() + 10 });
      });
  }
}
