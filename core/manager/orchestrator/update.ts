// The update supervisor: rolling updates and rollbacks, as SwarmKit's updater does them. For a
// service whose tasks were made from an older spec it replaces slots `Parallelism` at a time,
// waiting `Delay` between batches, in `Order` (stop-first: the old task stops before the new one
// starts; start-first: the new one runs before the old one stops). A new task that fails within
// `Monitor` of starting counts as a failure; past `MaxFailureRatio` the `FailureAction` applies:
// pause, continue, or roll back to the previous spec. A rollback is never rolled back: it pauses.

import type { ServiceObject, TaskObject, UpdateConfig, UpdateState, UpdateStatus } from '../../api/objects.ts';
import { DEFAULT_UPDATE_CONFIG, nsToMs } from '../../api/defaults.ts';
import { isStopped, isTerminal, meantToRun } from '../../api/task-state.ts';
import type { Timer } from '../../clock.ts';
import { StoreError } from '../../store/errors.ts';
import type { LeaderComponent, ManagerContext } from '../component.ts';
import type { Updater } from './replicated.ts';
import type { Slot } from './slots.ts';
import { isReplicated, isTaskDirty, newTask, specEqual } from './tasks.ts';

const isRollback = (s: ServiceObject) => s.UpdateStatus?.State.startsWith('rollback') ?? false;

export class UpdateSupervisor implements Updater, LeaderComponent {
  readonly name = 'update-supervisor';
  private running = new Map<string, RollingUpdate>();
  private waiters = new Set<() => void>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly ctx: ManagerContext) {}

  start(): void {
    this.unwatch = this.ctx.store.watch(() => {
      for (const w of [...this.waiters]) w();
    });
  }

  stop(): void {
    this.unwatch?.();
    for (const u of this.running.values()) u.cancel();
    this.running.clear();
    this.waiters.clear();
  }

  update(service: ServiceObject, slots: Slot[]): void {
    const current = this.running.get(service.ID);
    if (current && specEqual(current.target, service.Spec.TaskTemplate)) return;
    current?.cancel();
    const state = service.UpdateStatus?.State;
    const dirty = slots.filter((slot) => slot.some((t) => meantToRun(t) && isTaskDirty(service, t)));
    if (dirty.length === 0) {
      if (state === 'updating' || state === 'rollback_started') {
        this.finish(service).catch((err: Error) => this.ctx.logger?.(this.name, `could not mark ${service.ID} updated: ${err.message}`));
      }
      return;
    }
    // A paused update waits for the next change of the service (a new `service update`).
    if (state === 'paused' || state === 'rollback_paused') return;
    const u = new RollingUpdate(this.ctx, this, service, dirty);
    this.running.set(service.ID, u);
    void u
      .run()
      .catch((err: Error) => this.ctx.logger?.(this.name, `update of ${service.ID} stopped: ${err.message}`))
      .finally(() => {
      if (this.running.get(service.ID) === u) this.running.delete(service.ID);
    });
  }

  /** Resolves when pred holds after some store change, or false after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs = Infinity, cancelled: () => boolean = () => false): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const check = () => {
        if (cancelled()) done(false);
        else if (pred()) done(true);
      };
      const done = (v: boolean) => {
        this.waiters.delete(check);
        timer?.cancel();
        resolve(v);
      };
      this.waiters.add(check);
      if (timeoutMs !== Infinity) timer = this.ctx.clock.setTimeout(() => done(pred()), timeoutMs);
    });
  }

  /** Marks the update (or rollback) of a service completed. */
  async finish(service: ServiceObject): Promise<void> {
    await setUpdateStatus(this.ctx, service.ID, isRollback(service) ? 'rollback_completed' : 'completed', isRollback(service) ? 'rollback completed' : 'update completed');
  }
}

/**
 * Runs a store transaction again when it conflicts with a concurrent write (the dispatcher
 * reporting task states, the orchestrator, a user): the transaction re-reads what it changes, so
 * retrying is safe, and an update must not stall half done because one write lost a race.
 */
async function retryOnConflict<T>(ctx: ManagerContext, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof StoreError) || attempt >= 20) throw err;
      await new Promise<void>((r) => ctx.clock.setTimeout(() => r(), 20));
    }
  }
}

function setUpdateStatus(ctx: ManagerContext, serviceId: string, state: UpdateState, message: string, rollback = false): Promise<void> {
  return retryOnConflict(ctx, () => writeUpdateStatus(ctx, serviceId, state, message, rollback));
}

async function writeUpdateStatus(ctx: ManagerContext, serviceId: string, state: UpdateState, message: string, rollback: boolean): Promise<void> {
  const now = new Date(ctx.clock.now()).toISOString();
  await ctx.store.update((tx) => {
    const s = tx.get('services', serviceId);
    if (!s) return;
    const status: UpdateStatus = { State: state, StartedAt: s.UpdateStatus?.StartedAt ?? now, Message: message };
    if (state === 'updating' || state === 'rollback_started') status.StartedAt = s.UpdateStatus?.State === state ? s.UpdateStatus.StartedAt : now;
    if (state === 'completed' || state === 'rollback_completed') status.CompletedAt = now;
    if (rollback) {
      if (!s.PreviousSpec) return;
      tx.update('services', { ...s, Spec: s.PreviousSpec, PreviousSpec: s.Spec, UpdateStatus: status });
      return;
    }
    if (s.UpdateStatus?.State === state && s.UpdateStatus.Message === message) return;
    tx.update('services', { ...s, UpdateStatus: status });
  });
}

class RollingUpdate {
  readonly target: ServiceObject['Spec']['TaskTemplate'];
  private cancelled = false;
  private failures = 0;
  private updated = 0;
  private failedTask: string | undefined;
  private readonly config: Required<UpdateConfig>;
  private readonly rollback: boolean;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly sup: UpdateSupervisor,
    private readonly service: ServiceObject,
    private readonly slots: Slot[],
  ) {
    this.target = service.Spec.TaskTemplate;
    this.rollback = isRollback(service);
    const cfg = this.rollback ? service.Spec.RollbackConfig : service.Spec.UpdateConfig;
    this.config = { ...DEFAULT_UPDATE_CONFIG, ...cfg };
  }

  cancel(): void {
    this.cancelled = true;
  }

  async run(): Promise<void> {
    const state = this.rollback ? 'rollback_started' : 'updating';
    const message = this.rollback ? (this.service.UpdateStatus?.Message ?? 'rollback in progress') : 'update in progress';
    await setUpdateStatus(this.ctx, this.service.ID, state, message);
    const queue = [...this.slots];
    const parallelism = this.config.Parallelism === 0 ? queue.length : this.config.Parallelism;
    const monitors: Promise<void>[] = [];
    const worker = async () => {
      while (!this.cancelled && !this.stopRequested()) {
        const slot = queue.shift();
        if (!slot) return;
        const fresh = await this.updateSlot(slot);
        if (fresh) monitors.push(this.monitor(fresh));
        if (this.config.Delay > 0 && queue.length > 0) await this.sleep(nsToMs(this.config.Delay));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelism, queue.length) }, worker));
    await Promise.all(monitors);
    if (this.cancelled) return;
    if (this.stopRequested()) return this.onFailure();
    await this.sup.finish(this.current() ?? this.service);
  }

  private current(): ServiceObject | undefined {
    return this.ctx.store.view((tx) => tx.get('services', this.service.ID));
  }

  private stopRequested(): boolean {
    if (this.updated === 0 || this.failures === 0) return false;
    if (this.config.FailureAction === 'continue') return false;
    return this.failures / this.slots.length > this.config.MaxFailureRatio;
  }

  private async onFailure(): Promise<void> {
    const id = this.failedTask ?? '';
    if (this.rollback) {
      await setUpdateStatus(this.ctx, this.service.ID, 'rollback_paused', `rollback paused due to failure or early termination of task ${id}`);
    } else if (this.config.FailureAction === 'rollback') {
      await setUpdateStatus(this.ctx, this.service.ID, 'rollback_started', `update rolled back due to failure or early termination of task ${id}`, true);
    } else {
      await setUpdateStatus(this.ctx, this.service.ID, 'paused', `update paused due to failure or early termination of task ${id}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.ctx.clock.setTimeout(r, ms));
  }

  private task(id: string): TaskObject | undefined {
    return this.ctx.store.view((tx) => tx.get('tasks', id));
  }

  /** Replaces one slot's task; returns the new task's ID once it runs (or failed trying). */
  private async updateSlot(slot: Slot): Promise<string | undefined> {
    const startFirst = this.config.Order === 'start-first';
    let freshId = '';
    let old: TaskObject[] = [];
    await retryOnConflict(this.ctx, () => this.ctx.store.update((tx) => {
      const service = tx.get('services', this.service.ID);
      if (!service || !specEqual(service.Spec.TaskTemplate, this.target)) {
        this.cancelled = true;
        return;
      }
      const replicated = isReplicated(service);
      const where = replicated ? { slot: slot[0]!.Slot ?? 1 } : { nodeId: slot[0]!.NodeID ?? '' };
      // The slot as it is now, not as it was when the update began: a restart may have added a
      // task to it meanwhile, and that one must stop too, or the slot would run twice.
      old = tx.find(
        'tasks',
        (t) =>
          t.ServiceID === service.ID &&
          meantToRun(t) &&
          (replicated ? t.Slot === where.slot : t.Slot === undefined && t.NodeID === slot[0]!.NodeID),
      );
      const fresh = newTask(service, where, this.ctx.clock, this.ctx.random);
      freshId = fresh.ID;
      tx.create('tasks', { ...fresh, DesiredState: startFirst ? 'running' : 'ready' });
      if (!startFirst) {
        for (const t of old) tx.update('tasks', { ...t, DesiredState: 'shutdown' });
      }
    }));
    if (this.cancelled) return undefined;
    this.updated++;
    const gone = (id: string) => {
      const t = this.task(id);
      return !t || isStopped(t) || this.nodeDown(t);
    };
    if (!startFirst) {
      // stop-first: start the new task once the old ones have stopped.
      await this.sup.waitFor(() => old.every((t) => gone(t.ID)), Infinity, () => this.cancelled);
      if (this.cancelled) return undefined;
      await retryOnConflict(this.ctx, () => this.ctx.store.update((tx) => {
        const t = tx.get('tasks', freshId);
        if (t && t.DesiredState === 'ready') tx.update('tasks', { ...t, DesiredState: 'running' });
      }));
    }
    const ran = await this.sup.waitFor(
      () => {
        const t = this.task(freshId);
        return !t || t.Status.State === 'running' || isTerminal(t.Status.State);
      },
      Infinity,
      () => this.cancelled,
    );
    if (!ran) return undefined;
    const t = this.task(freshId);
    if (!t || t.Status.State !== 'running') {
      this.fail(freshId);
    } else if (startFirst) {
      await retryOnConflict(this.ctx, () => this.ctx.store.update((tx) => {
        for (const o of old) {
          const cur = tx.get('tasks', o.ID);
          if (cur && meantToRun(cur)) tx.update('tasks', { ...cur, DesiredState: 'shutdown' });
        }
      }));
    }
    return freshId;
  }

  private nodeDown(t: TaskObject): boolean {
    return !!t.NodeID && this.ctx.store.view((tx) => tx.get('nodes', t.NodeID!)?.Status.State === 'down');
  }

  /** Watches a new task for the monitor period: stopping within it is a failure of the update. */
  private async monitor(id: string): Promise<void> {
    const failedEarly = await this.sup.waitFor(
      () => {
        const t = this.task(id);
        return !!t && isTerminal(t.Status.State) && t.Status.State !== 'shutdown';
      },
      nsToMs(this.config.Monitor),
      () => this.cancelled,
    );
    if (failedEarly && !this.cancelled && this.failedTask !== id) this.fail(id);
  }

  private fail(id: string): void {
    if (this.failedTask === id) return;
    this.failures++;
    this.failedTask = id;
  }
}
