// The demo's update supervisor: replaces a service's tasks a batch at a time (parallelism, delay),
// and on a failed new task pauses, continues or rolls back, as the update policy says.

import type { ServiceUpdatePolicy, ServiceView, TaskView, UpdateView } from '../../main/lab/protocol.ts';
import { durationMs, type FakeCluster } from './fake-cluster.ts';

export class RollingUpdates {
  constructor(private readonly c: FakeCluster) {
    c.onTaskFailed = (t) => this.failed(t);
  }

  update(serviceId: string, image: string | undefined, policy: ServiceUpdatePolicy | undefined): void {
    const svc = this.c.services.get(serviceId);
    const spec = this.c.specs.get(serviceId);
    if (!svc || !spec) throw new Error('no such service');
    if (policy?.parallelism !== undefined) spec.update.parallelism = policy.parallelism;
    if (policy?.failureAction) spec.update.failureAction = policy.failureAction;
    if (policy?.delay !== undefined) spec.update.delayMs = durationMs(policy.delay);
    if (!image || image === spec.image) return;
    spec.previousImage = spec.image;
    spec.image = image;
    spec.version++;
    this.begin(svc, image, 'updating', `update in progress`);
    this.c.note('update', 'info', `service ${svc.name}: update to ${image} started`, { serviceId });
  }

  rollback(serviceId: string): void {
    const svc = this.c.services.get(serviceId);
    const spec = this.c.specs.get(serviceId);
    if (!svc || !spec?.previousImage) throw new Error(`service ${svc?.name ?? serviceId} has no previous spec to roll back to`);
    [spec.image, spec.previousImage] = [spec.previousImage, spec.image];
    spec.version++;
    this.begin(svc, spec.image, 'rollback_started', 'manually requested rollback');
    this.c.note('update', 'warning', `service ${svc.name}: rollback to ${spec.image} started`, { serviceId });
  }

  private begin(svc: ServiceView, image: string, state: 'updating' | 'rollback_started', message: string): void {
    const update: UpdateView = { state, message, startedAt: this.c.iso(), updated: 0, total: svc.desired };
    const version = this.c.specs.get(svc.id)!.version;
    this.c.change((tx) => {
      this.c.updateService(svc.id, { image, update }, tx);
      // As the controller does: tasks of an older spec say so, until the update replaces them.
      for (const t of this.c.tasks.values()) {
        if (t.serviceId === svc.id && t.desiredState === 'running' && (this.c.taskVersion.get(t.id) ?? 0) < version) this.c.setTask(t, { outdated: true }, tx);
      }
    });
    this.step(svc.id);
  }

  private step(serviceId: string): void {
    const svc = this.c.services.get(serviceId);
    const spec = this.c.specs.get(serviceId);
    if (!svc?.update || !spec || !['updating', 'rollback_started'].includes(svc.update.state)) return;
    const live = [...this.c.tasks.values()].filter((t) => t.serviceId === serviceId && t.desiredState === 'running');
    const old = live.filter((t) => (this.c.taskVersion.get(t.id) ?? 0) < spec.version).sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
    const fresh = live.filter((t) => this.c.taskVersion.get(t.id) === spec.version);
    // Wait for the last batch to be running (the bar moves as its tasks start), then the delay.
    if (fresh.some((t) => t.state !== 'running')) {
      this.progress(serviceId, fresh.filter((t) => t.state === 'running').length);
      this.c.clock.after(150, () => this.step(serviceId));
      return;
    }
    if (old.length > 0 && fresh.length > 0 && spec.update.delayMs > 0 && !this.waited.has(serviceId)) {
      this.progress(serviceId, fresh.length);
      this.waited.add(serviceId);
      this.c.clock.after(spec.update.delayMs, () => this.step(serviceId));
      return;
    }
    this.waited.delete(serviceId);
    this.c.change((tx) => {
      const done = fresh.length;
      const s = this.c.services.get(serviceId)!;
      if (old.length === 0) {
        const rolledBack = s.update!.state === 'rollback_started';
        this.c.updateService(serviceId, {
          update: { ...s.update!, state: rolledBack ? 'rollback_completed' : 'completed', message: rolledBack ? 'rollback completed' : 'update completed', completedAt: this.c.iso(), updated: done, total: s.desired },
        }, tx);
        this.c.note('update', 'info', `service ${s.name}: ${rolledBack ? 'rollback' : 'update'} completed`, { serviceId });
        return;
      }
      for (const t of old.slice(0, spec.update.parallelism)) {
        this.c.setTask(t, { desiredState: 'shutdown', state: 'shutdown', message: 'shutdown' }, tx);
        const nodeOk = t.nodeId && this.c.eligible(serviceId).some((n) => n.id === t.nodeId);
        this.c.newTask(s, t.slot, nodeOk ? t.nodeId : undefined, nodeOk ? undefined : 'no suitable node', tx);
      }
      this.c.updateService(serviceId, { update: { ...s.update!, updated: done, total: s.desired } }, tx);
    });
    this.c.clock.after(150, () => this.step(serviceId));
  }

  /** Batches that finished and now wait out the update delay. */
  private readonly waited = new Set<string>();

  private progress(serviceId: string, updated: number): void {
    const s = this.c.services.get(serviceId);
    if (!s?.update || s.update.updated === updated) return;
    this.c.change((tx) => this.c.updateService(serviceId, { update: { ...s.update!, updated } }, tx));
  }

  private failed(t: TaskView): void {
    const svc = this.c.services.get(t.serviceId);
    const spec = this.c.specs.get(t.serviceId);
    if (!svc?.update || !spec || svc.update.state !== 'updating') return;
    if (spec.update.failureAction === 'continue') return;
    if (spec.update.failureAction === 'pause') {
      this.c.change((tx) => this.c.updateService(svc.id, {
        update: { ...svc.update!, state: 'paused', message: `update paused due to failure or early termination of task ${t.id}` },
      }, tx));
      this.c.note('update', 'error', `service ${svc.name}: update paused (task ${svc.name}.${t.slot ?? ''} failed)`, { serviceId: svc.id });
      return;
    }
    [spec.image, spec.previousImage] = [spec.previousImage ?? spec.image, spec.image];
    spec.version++;
    this.begin(svc, spec.image, 'rollback_started', `update rolled back due to failure or early termination of task ${t.id}`);
    this.c.note('update', 'error', `service ${svc.name}: update failed, rolling back to ${spec.image}`, { serviceId: svc.id });
  }
}
