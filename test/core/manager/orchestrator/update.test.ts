// Scenarios after SwarmKit's updater tests: parallelism and delay, order, failure actions, and
// rollbacks (manual and automatic; never a rollback of a rollback).
import { afterEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../../../core/api/defaults.ts';
import type { ServiceSpec, UpdateConfig } from '../../../../core/api/objects.ts';
import { Allocator } from '../../../../core/manager/allocator.ts';
import { ReplicatedOrchestrator } from '../../../../core/manager/orchestrator/replicated.ts';
import { RestartSupervisor } from '../../../../core/manager/orchestrator/restart.ts';
import { UpdateSupervisor } from '../../../../core/manager/orchestrator/update.ts';
import { TaskReaper } from '../../../../core/manager/task-reaper.ts';
import { ManagerHarness } from '../harness.ts';

let h: ManagerHarness;

async function setup(nodes = 3): Promise<ManagerHarness> {
  h = new ManagerHarness();
  for (let i = 0; i < nodes; i++) await h.addNode();
  const restarts = new RestartSupervisor(h.ctx);
  const updates = new UpdateSupervisor(h.ctx);
  h.use(restarts, updates, new Allocator(h.ctx), new ReplicatedOrchestrator(h.ctx, restarts, updates), new TaskReaper(h.ctx));
  return h;
}

afterEach(() => h?.stop());

const image = (svc: string) => h.running(svc).map((t) => t.Spec.ContainerSpec.Image);
const status = (svc: string) => h.store.view((tx) => tx.get('services', svc)?.UpdateStatus);
const withImage = (img: string, cfg: UpdateConfig = {}) => (s: ServiceSpec): ServiceSpec => ({
  ...s,
  TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { ...s.TaskTemplate.ContainerSpec, Image: img } },
  UpdateConfig: { ...s.UpdateConfig, ...cfg },
});

async function service(replicas: number, extra: Partial<ServiceSpec> = {}): Promise<string> {
  const svc = await h.createService({
    Mode: { Replicated: { Replicas: replicas } },
    image: 'swarmlab/web:blue',
    TaskTemplate: { ContainerSpec: { Image: 'swarmlab/web:blue' }, RestartPolicy: { Delay: 0, Condition: 'any' } },
    ...extra,
  });
  await h.until(() => h.running(svc).length === replicas);
  return svc;
}

describe('update supervisor', () => {
  it('replaces every task, parallelism at a time with the delay between batches, and completes', async () => {
    await setup();
    const svc = await service(6);
    let maxNew = 0;
    h.store.watch(() => {
      const fresh = h.tasks(svc).filter((t) => t.Spec.ContainerSpec.Image === 'swarmlab/web:green' && t.Status.State !== 'running');
      maxNew = Math.max(maxNew, fresh.length);
    });
    const t0 = h.clock.now();
    await h.updateService(svc, withImage('swarmlab/web:green', { Parallelism: 2, Delay: 1 * SECOND, Monitor: 0 }));
    expect(await h.until(() => status(svc)?.State === 'completed')).toBe(true);
    expect(image(svc)).toEqual(Array(6).fill('swarmlab/web:green'));
    expect(maxNew).toBeLessThanOrEqual(2);
    // three batches, two delays between them
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(2_000);
    expect(status(svc)?.Message).toBe('update completed');
  });

  it('stop-first never runs more than the replica count; start-first runs one extra while replacing', async () => {
    await setup();
    const a = await service(3);
    let maxA = 0;
    const b = await service(3, { UpdateConfig: { Order: 'start-first', Monitor: 0 } });
    let maxB = 0;
    h.store.watch(() => {
      maxA = Math.max(maxA, h.tasks(a).filter((t) => t.Status.State === 'running').length);
      maxB = Math.max(maxB, h.tasks(b).filter((t) => t.Status.State === 'running').length);
    });
    await h.updateService(a, withImage('swarmlab/web:green', { Monitor: 0 }));
    await h.updateService(b, withImage('swarmlab/web:green'));
    await h.until(() => status(a)?.State === 'completed' && status(b)?.State === 'completed');
    expect(maxA).toBe(3);
    expect(maxB).toBe(4);
  });

  it('failure action pause: stops at the first failing task and says why', async () => {
    await setup();
    const svc = await service(4);
    await h.updateService(svc, withImage('swarmlab/web:red', { Parallelism: 1, FailureAction: 'pause' }));
    expect(await h.until(() => status(svc)?.State === 'paused')).toBe(true);
    expect(status(svc)?.Message).toMatch(/^update paused due to failure or early termination of task [0-9a-z]{25}$/);
    await h.run(5_000);
    expect(image(svc).filter((i) => i === 'swarmlab/web:blue')).toHaveLength(3);
  });

  it('failure action continue: goes on despite failures', async () => {
    await setup();
    const svc = await service(3);
    await h.updateService(svc, withImage('swarmlab/web:red', { FailureAction: 'continue', Monitor: 0 }));
    expect(await h.until(() => status(svc)?.State === 'completed')).toBe(true);
    expect(h.tasks(svc).filter((t) => t.DesiredState === 'running' && t.Spec.ContainerSpec.Image === 'swarmlab/web:blue')).toHaveLength(0);
  });

  it('failure action rollback: returns to the previous spec and completes the rollback', async () => {
    await setup();
    const svc = await service(4);
    await h.updateService(svc, withImage('swarmlab/web:red', { FailureAction: 'rollback' }));
    expect(await h.until(() => status(svc)?.State === 'rollback_completed')).toBe(true);
    expect(await h.until(() => h.running(svc).length === 4)).toBe(true);
    expect(image(svc)).toEqual(Array(4).fill('swarmlab/web:blue'));
    const s = h.store.view((tx) => tx.get('services', svc))!;
    expect(s.Spec.TaskTemplate.ContainerSpec.Image).toBe('swarmlab/web:blue');
    expect(s.PreviousSpec?.TaskTemplate.ContainerSpec.Image).toBe('swarmlab/web:red');
  });

  it('a manual rollback returns to the previous spec', async () => {
    await setup();
    const svc = await service(3);
    await h.updateService(svc, withImage('swarmlab/web:green', { Monitor: 0 }));
    await h.until(() => status(svc)?.State === 'completed');
    await h.store.update((tx) => {
      const s = tx.get('services', svc)!;
      tx.update('services', { ...s, Spec: s.PreviousSpec!, PreviousSpec: s.Spec, UpdateStatus: { State: 'rollback_started', Message: 'manually requested rollback' } });
    });
    expect(await h.until(() => status(svc)?.State === 'rollback_completed')).toBe(true);
    expect(image(svc)).toEqual(Array(3).fill('swarmlab/web:blue'));
  });

  it('never rolls back a rollback: a failing rollback pauses', async () => {
    await setup();
    const svc = await service(2, { TaskTemplate: { ContainerSpec: { Image: 'swarmlab/web:blue' }, RestartPolicy: { Delay: 0 } } });
    // The previous spec is a failing one: rolling back to it must pause, not bounce back.
    await h.updateService(svc, withImage('swarmlab/web:red', { FailureAction: 'continue', Monitor: 0 }));
    expect(await h.until(() => status(svc)?.State === 'completed')).toBe(true);
    await h.updateService(svc, withImage('swarmlab/web:green', { Monitor: 0 }));
    expect(await h.until(() => status(svc)?.State === 'completed' && image(svc).join() === 'swarmlab/web:green,swarmlab/web:green')).toBe(true);
    await h.store.update((tx) => {
      const s = tx.get('services', svc)!;
      tx.update('services', {
        ...s,
        Spec: { ...s.PreviousSpec!, RollbackConfig: { FailureAction: 'pause' } },
        PreviousSpec: s.Spec,
        UpdateStatus: { State: 'rollback_started', Message: 'manually requested rollback' },
      });
    });
    expect(await h.until(() => status(svc)?.State === 'rollback_paused')).toBe(true);
    expect(status(svc)?.Message).toMatch(/^rollback paused due to failure or early termination of task/);
  });
});
