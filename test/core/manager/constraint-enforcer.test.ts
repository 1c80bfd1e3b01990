import { afterEach, describe, expect, it } from 'vitest';
import { Allocator } from '../../../core/manager/allocator.ts';
import { ConstraintEnforcer } from '../../../core/manager/constraint-enforcer.ts';
import { ReplicatedOrchestrator } from '../../../core/manager/orchestrator/replicated.ts';
import { RestartSupervisor } from '../../../core/manager/orchestrator/restart.ts';
import { ManagerHarness } from './harness.ts';

let h: ManagerHarness;
afterEach(() => h?.stop());

describe('constraint enforcer', () => {
  async function setup() {
    h = new ManagerHarness();
    await h.addNode({ Labels: { zone: 'a' } });
    await h.addNode({ Labels: { zone: 'a' } });
    await h.addNode({ Labels: { zone: 'b' } });
    const restarts = new RestartSupervisor(h.ctx);
      h.use(restarts, new Allocator(h.ctx), new ReplicatedOrchestrator(h.ctx, restarts), new ConstraintEnforcer(h.ctx));
  }

  it('rejects tasks whose node no longer matches, and they are rescheduled where they fit', async () => {
    await setup();
    const svc = await h.createService({
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: { ContainerSpec: { Image: 'x' }, Placement: { Constraints: ['node.labels.zone==a'] }, RestartPolicy: { Delay: 0 } },
    });
    await h.until(() => h.running(svc).length === 2);
    expect(h.running(svc).map((t) => t.NodeID).sort()).toEqual(['node1', 'node2']);
    await h.updateNode('node3', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'a' } } }));
    await h.updateNode('node1', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'b' } } }));
    expect(await h.until(() => h.running(svc).length === 2 && h.running(svc).every((t) => t.NodeID !== 'node1'))).toBe(true);
    const rejected = h.tasks(svc).find((t) => t.NodeID === 'node1')!;
    expect(rejected.DesiredState).toBe('rejected');
    expect(rejected.Status.Err).toMatch(/no longer fits node node1/);
  });

  it('rejects the newest tasks when a node no longer has the memory they reserve', async () => {
    await setup();
    const svc = await h.createService({
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: {
        ContainerSpec: { Image: 'x' },
        Placement: { Constraints: ['node.hostname==node2'] },
        Resources: { Reservations: { MemoryBytes: 3 * 2 ** 30 } },
      },
    });
    await h.until(() => h.running(svc).length === 2);
    await h.updateNode('node2', (n) => ({ ...n, Description: { ...n.Description!, Resources: { NanoCPUs: 4e9, MemoryBytes: 4 * 2 ** 30 } } }));
    expect(await h.until(() => h.tasks(svc).filter((t) => t.DesiredState === 'rejected').length === 1)).toBe(true);
  });
});
