// Scenarios after SwarmKit's replicated orchestrator and restart supervisor tests.
import { afterEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../../../core/api/defaults.ts';
import { Allocator } from '../../../../core/manager/allocator.ts';
import { ReplicatedOrchestrator } from '../../../../core/manager/orchestrator/replicated.ts';
import { RestartSupervisor } from '../../../../core/manager/orchestrator/restart.ts';
import { TaskReaper } from '../../../../core/manager/task-reaper.ts';
import { ManagerHarness } from '../harness.ts';

let h: ManagerHarness;

async function setup(nodes = 3): Promise<ManagerHarness> {
  h = new ManagerHarness();
  for (let i = 0; i < nodes; i++) await h.addNode();
  const restarts = new RestartSupervisor(h.ctx);
  h.use(
    restarts,
    new Allocator(h.ctx),
    new ReplicatedOrchestrator(h.ctx, restarts),
    new TaskReaper(h.ctx),
  );
  return h;
}

afterEach(() => h?.stop());

const slots = (svc: string) => h.running(svc).map((t) => t.Slot).sort();

describe('replicated orchestrator', () => {
  it('creates one task per replica, in slots 1..n, and they run', async () => {
    await setup();
    const svc = await h.createService({ Mode: { Replicated: { Replicas: 3 } } });
    expect(await h.until(() => h.running(svc).length === 3)).toBe(true);
    expect(slots(svc)).toEqual([1, 2, 3]);
    expect(new Set(h.running(svc).map((t) => t.NodeID)).size).toBe(3);
    expect(h.running(svc)[0]!.Name).toMatch(new RegExp(`^${svc}\\.\\d\\.[0-9a-z]{25}$`));
  });

  it('scales up and down; scale-down removes from the most loaded node first', async () => {
    await setup(2);
    const svc = await h.createService({ Mode: { Replicated: { Replicas: 4 } } });
    await h.until(() => h.running(svc).length === 4);
    const n3 = await h.addNode();
    await h.updateService(svc, (s) => ({ ...s, Mode: { Replicated: { Replicas: 5 } } }));
    await h.until(() => h.running(svc).length === 5);
    expect(h.running(svc).find((t) => t.Slot === 5)?.NodeID).toBe(n3);
    await h.updateService(svc, (s) => ({ ...s, Mode: { Replicated: { Replicas: 3 } } }));
    await h.until(() => h.tasks(svc).length === 3);
    const perNode = new Map<string, number>();
    for (const t of h.running(svc)) perNode.set(t.NodeID!, (perNode.get(t.NodeID!) ?? 0) + 1);
    expect([...perNode.values()].sort()).toEqual([1, 1, 1]);
    await h.updateService(svc, (s) => ({ ...s, Mode: { Replicated: { Replicas: 0 } } }));
    expect(await h.until(() => h.tasks(svc).length === 0)).toBe(true);
  });

  it('restart condition any: a task that exits is replaced in its slot after the delay', async () => {
    await setup();
    const svc = await h.createService({
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'any', Delay: 2 * SECOND } },
    });
    await h.until(() => h.running(svc).length === 1);
    const first = h.running(svc)[0]!;
    await h.report(first.ID, 'complete', 'finished', 0);
    const t0 = h.clock.now();
    await h.until(() => h.running(svc).length === 1 && h.running(svc)[0]!.ID !== first.ID);
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(2_000);
    expect(h.running(svc)[0]!.Slot).toBe(first.Slot);
    expect(h.tasks(svc).find((t) => t.ID === first.ID)?.DesiredState).toBe('shutdown');
  });

  it('restart condition on-failure: replaces a failed task, not a completed one', async () => {
    await setup();
    const svc = await h.createService({
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'on-failure', Delay: 0 } },
    });
    await h.until(() => h.running(svc).length === 2);
    const [a, b] = h.running(svc);
    await h.report(a!.ID, 'failed', 'exit 1', 1);
    await h.report(b!.ID, 'complete', 'exit 0', 0);
    await h.until(() => h.running(svc).length === 1 && h.running(svc)[0]!.Slot === a!.Slot);
    await h.run(5_000);
    expect(h.running(svc).map((t) => t.Slot)).toEqual([a!.Slot]);
    expect(h.tasks(svc).filter((t) => t.Slot === b!.Slot).map((t) => t.Status.State)).toEqual(['complete']);
  });

  it('restart condition none: nothing is replaced', async () => {
    await setup();
    const svc = await h.createService({
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'none' } },
    });
    await h.until(() => h.running(svc).length === 1);
    await h.report(h.running(svc)[0]!.ID, 'failed', 'exit 2', 2);
    await h.run(10_000);
    expect(h.tasks(svc)).toHaveLength(1);
    expect(h.tasks(svc)[0]!.Status.State).toBe('failed');
  });

  it('max attempts within a window bound the restarts', async () => {
    await setup();
    const svc = await h.createService({
      TaskTemplate: {
        ContainerSpec: { Image: 'swarmlab/crash' },
        RestartPolicy: { Condition: 'any', Delay: 0, MaxAttempts: 2, Window: 60 * SECOND },
      },
    });
    for (let i = 0; i < 3; i++) {
      await h.until(() => h.running(svc).length === 1);
      await h.report(h.running(svc)[0]!.ID, 'failed', 'crash', 1);
    }
    await h.run(10_000);
    expect(h.running(svc)).toHaveLength(0);
    expect(h.tasks(svc).filter((t) => t.Status.State === 'failed')).toHaveLength(3);
  });

  it('replaces the tasks of a node that goes down, without waiting for them to stop', async () => {
    await setup(3);
    const svc = await h.createService({
      Mode: { Replicated: { Replicas: 3 } },
      TaskTemplate: { ContainerSpec: { Image: 'x' }, RestartPolicy: { Delay: 0 } },
    });
    await h.until(() => h.running(svc).length === 3);
    const victim = h.running(svc)[0]!.NodeID!;
    await h.updateNode(victim, (n) => ({ ...n, Status: { State: 'down', Message: 'heartbeat failure' } }));
    expect(await h.until(() => h.running(svc).filter((t) => t.NodeID !== victim).length === 3, 5_000)).toBe(true);
    expect(slots(svc)).toEqual([1, 2, 3]);
  });

  it('drain moves tasks off the node at once (no restart delay)', async () => {
    await setup(2);
    const svc = await h.createService({ Mode: { Replicated: { Replicas: 4 } } });
    await h.until(() => h.running(svc).length === 4);
    const drained = h.running(svc)[0]!.NodeID!;
    await h.updateNode(drained, (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    expect(
      await h.until(() => h.running(svc).length === 4 && h.running(svc).every((t) => t.NodeID !== drained), 2_000),
    ).toBe(true);
  });

  it('keeps the task history limit per slot (default 5)', async () => {
    await setup();
    const svc = await h.createService({ TaskTemplate: { ContainerSpec: { Image: 'x' }, RestartPolicy: { Delay: 0 } } });
    for (let i = 0; i < 8; i++) {
      await h.until(() => h.running(svc).length === 1);
      await h.report(h.running(svc)[0]!.ID, 'failed', 'boom', 1);
    }
    await h.until(() => h.running(svc).length === 1);
    await h.run(2_000);
    expect(h.tasks(svc)).toHaveLength(5);
    expect(h.tasks(svc).filter((t) => t.Status.State === 'running')).toHaveLength(1);
  });

  it('removing a service removes its tasks', async () => {
    await setup();
    const svc = await h.createService({ Mode: { Replicated: { Replicas: 3 } } });
    await h.until(() => h.running(svc).length === 3);
    await h.removeService(svc);
    expect(await h.until(() => h.tasks(svc).length === 0)).toBe(true);
  });
});
