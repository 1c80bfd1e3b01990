// Scenarios after SwarmKit's global orchestrator tests.
import { afterEach, describe, expect, it } from 'vitest';
import { Allocator } from '../../../../core/manager/allocator.ts';
import { GlobalOrchestrator } from '../../../../core/manager/orchestrator/global.ts';
import { RestartSupervisor } from '../../../../core/manager/orchestrator/restart.ts';
import { TaskReaper } from '../../../../core/manager/task-reaper.ts';
import { UpdateSupervisor } from '../../../../core/manager/orchestrator/update.ts';
import { ManagerHarness } from '../harness.ts';

let h: ManagerHarness;

async function setup(nodes = 3): Promise<ManagerHarness> {
  h = new ManagerHarness();
  for (let i = 0; i < nodes; i++) await h.addNode();
  const restarts = new RestartSupervisor(h.ctx);
  const updates = new UpdateSupervisor(h.ctx);
  h.use(restarts, updates, new Allocator(h.ctx), new GlobalOrchestrator(h.ctx, restarts, updates), new TaskReaper(h.ctx));
  return h;
}

afterEach(() => h?.stop());

const global = { Mode: { Global: {} } } as const;
const nodesOf = (svc: string) => h.running(svc).map((t) => t.NodeID).sort();

describe('global orchestrator', () => {
  it('runs one task on every node, and on a node that joins', async () => {
    await setup(3);
    const svc = await h.createService(global);
    expect(await h.until(() => h.running(svc).length === 3)).toBe(true);
    expect(nodesOf(svc)).toEqual(['node1', 'node2', 'node3']);
    expect(h.running(svc).every((t) => t.Slot === undefined)).toBe(true);
    await h.addNode();
    expect(await h.until(() => h.running(svc).length === 4)).toBe(true);
    expect(nodesOf(svc)).toEqual(['node1', 'node2', 'node3', 'node4']);
  });

  it('shuts the task down on a drained node and brings it back on activate', async () => {
    await setup(3);
    const svc = await h.createService(global);
    await h.until(() => h.running(svc).length === 3);
    await h.updateNode('node2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    expect(await h.until(() => h.running(svc).length === 2 && !nodesOf(svc).includes('node2'))).toBe(true);
    await h.updateNode('node2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'active' } }));
    expect(await h.until(() => h.running(svc).length === 3)).toBe(true);
  });

  it('a paused node keeps its task; a node that joins paused gets none', async () => {
    await setup(2);
    const svc = await h.createService(global);
    await h.until(() => h.running(svc).length === 2);
    await h.updateNode('node1', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'pause' } }));
    await h.addNode({ Availability: 'pause' });
    await h.run(5_000);
    expect(nodesOf(svc)).toEqual(['node1', 'node2']);
  });

  it('follows constraints, including when a node label changes', async () => {
    await setup(3);
    await h.updateNode('node1', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { disk: 'ssd' } } }));
    const svc = await h.createService({
      ...global,
      TaskTemplate: { ContainerSpec: { Image: 'x' }, Placement: { Constraints: ['node.labels.disk==ssd'] } },
    });
    await h.until(() => h.running(svc).length === 1);
    expect(nodesOf(svc)).toEqual(['node1']);
    await h.updateNode('node3', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { disk: 'ssd' } } }));
    await h.updateNode('node1', (n) => ({ ...n, Spec: { ...n.Spec, Labels: {} } }));
    expect(await h.until(() => nodesOf(svc).join() === 'node3')).toBe(true);
  });

  it('a down node keeps its task (it can run nowhere else); a new task when it stops on a live node', async () => {
    await setup(2);
    const svc = await h.createService({ ...global, TaskTemplate: { ContainerSpec: { Image: 'x' }, RestartPolicy: { Delay: 0 } } });
    await h.until(() => h.running(svc).length === 2);
    await h.updateNode('node1', (n) => ({ ...n, Status: { State: 'down' } }));
    await h.run(3_000);
    expect(h.tasks(svc).filter((t) => t.NodeID === 'node1' && t.DesiredState === 'running')).toHaveLength(1);
    const onNode2 = h.running(svc).find((t) => t.NodeID === 'node2')!;
    await h.report(onNode2.ID, 'failed', 'crashed', 1);
    expect(await h.until(() => h.running(svc).some((t) => t.NodeID === 'node2' && t.ID !== onNode2.ID))).toBe(true);
  });

  it('removing the service removes every task', async () => {
    await setup(3);
    const svc = await h.createService(global);
    await h.until(() => h.running(svc).length === 3);
    await h.removeService(svc);
    expect(await h.until(() => h.tasks(svc).length === 0)).toBe(true);
  });

  it('rolls an update across the nodes, one at a time by default', async () => {
    await setup(3);
    const svc = await h.createService(global);
    await h.until(() => h.running(svc).length === 3);
    await h.updateService(svc, (s) => ({
      ...s,
      TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { Image: 'swarmlab/whoami:2' } },
      UpdateConfig: { Monitor: 0 },
    }));
    const status = () => h.store.view((tx) => tx.get('services', svc)?.UpdateStatus?.State);
    expect(await h.until(() => status() === 'completed')).toBe(true);
    expect(await h.until(() => h.running(svc).length === 3)).toBe(true);
    expect(h.running(svc).map((t) => t.Spec.ContainerSpec.Image)).toEqual(Array(3).fill('swarmlab/whoami:2'));
    expect(nodesOf(svc)).toEqual(['node1', 'node2', 'node3']);
  });
});
