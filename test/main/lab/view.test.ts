// The lab's view of the swarm, made from one read and the lab's machines: nodes with their
// machines, leader and quorum; services with running/desired and update progress; live tasks with
// the scheduler's reasons; colours that stay with their service. And the delta between two views.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LabView } from '../../../main/lab/protocol.ts';
import { assignColors, buildView } from '../../../main/lab/view.ts';
import { applyDelta, diffView } from '../../../main/lab/view-diff.ts';
import { cluster, fiveNodes, machine, node, service, task } from './fixtures.ts';

const view = (c: ReturnType<typeof cluster>, machines = fiveNodes().machines, extra: Partial<Parameters<typeof buildView>[0]> = {}) =>
  buildView({ phase: 'running', name: 'default', via: 'manager1', stale: false, machines, cluster: c, colors: assignColors(new Map(), c.services), ...extra });

describe('buildView', () => {
  it('links nodes and machines by hostname, and finds the leader and the quorum', () => {
    const { nodes, machines } = fiveNodes();
    const v = view(cluster(nodes), machines);
    expect(v.nodes.map((n) => [n.hostname, n.machine, n.role, n.leader, n.reachability])).toEqual([
      ['manager1', 'manager1', 'manager', true, 'reachable'],
      ['manager2', 'manager2', 'manager', false, 'reachable'],
      ['manager3', 'manager3', 'manager', false, 'reachable'],
      ['worker1', 'worker1', 'worker', false, undefined],
      ['worker2', 'worker2', 'worker', false, undefined],
    ]);
    expect(v.leaderId).toBe('id-manager1');
    expect(v.machines.find((m) => m.name === 'worker2')?.nodeId).toBe('id-worker2');
    expect(v.quorum).toEqual({ managers: 3, reachable: 3, quorum: 2, canLose: 1 });
  });

  it('a node the lab did not make has no machine; a machine not (yet) in the swarm has no node', () => {
    const v = view(cluster([node('manager1', { role: 'manager', leader: true }), node('stranger')]), [machine('manager1'), machine('worker9', 'Creating')]);
    expect(v.nodes.find((n) => n.hostname === 'stranger')?.machine).toBeUndefined();
    expect(v.machines.find((m) => m.name === 'worker9')?.nodeId).toBeUndefined();
  });

  it("a machine that joined again is the node that is not down", () => {
    const old = node('worker1', { id: 'old', state: 'down', created: '2025-01-01T00:00:00Z' });
    const fresh = node('worker1', { id: 'new', created: '2025-01-01T00:05:00Z' });
    const v = view(cluster([node('manager1', { role: 'manager', leader: true }), fresh, old]), [machine('manager1'), machine('worker1')]);
    expect(v.machines.find((m) => m.name === 'worker1')?.nodeId).toBe('new');
  });

  it('quorum counts a manager whose machine is killed or frozen as lost at once, before the swarm notices', () => {
    const { nodes, machines } = fiveNodes();
    const down = machines.map((m) => (m.name === 'manager2' ? { ...m, state: 'Stopped' as const } : m.name === 'manager3' ? { ...m, state: 'Paused' as const } : m));
    expect(view(cluster(nodes), down).quorum).toEqual({ managers: 3, reachable: 1, quorum: 2, canLose: -1 });
    const unreachable = nodes.map((n) => (n.Description?.Hostname === 'manager3' ? node('manager3', { role: 'manager', reach: 'unreachable' }) : n));
    expect(view(cluster(unreachable), machines).quorum).toEqual({ managers: 3, reachable: 2, quorum: 2, canLose: 0 });
  });

  it('services: running over desired, from the live tasks', () => {
    const web = service('web', { replicas: 3 });
    const tasks = [task(web, 1, { node: 'worker1' }), task(web, 2, { node: 'worker2', state: 'starting' }), task(web, 3, { node: 'worker1' })];
    const v = view(cluster(fiveNodes().nodes, [web], tasks));
    expect(v.services).toMatchObject([{ name: 'web', image: 'swarmlab/whoami:1', mode: 'replicated', desired: 3, running: 2, ports: [], constraints: [] }]);
    expect(v.services[0]!.update).toBeUndefined();
  });

  it('a global service wants what the swarm says it wants', () => {
    const mon = { ...service('mon', { global: true }), ServiceStatus: { RunningTasks: 1, DesiredTasks: 5 } };
    expect(view(cluster(fiveNodes().nodes, [mon], [task(mon, undefined, { node: 'worker1' })])).services[0]).toMatchObject({ mode: 'global', desired: 5, running: 1 });
  });

  it('update progress: running tasks made from the current spec, over the tasks wanted', () => {
    const web = service('web', { replicas: 4, image: 'swarmlab/web:green', update: 'updating', message: 'update in progress' });
    const tasks = [
      task(web, 1, { node: 'worker1' }),
      task(web, 2, { node: 'worker2', image: 'swarmlab/web:blue' }),
      task(web, 3, { node: 'worker1', image: 'swarmlab/web:blue' }),
      task(web, 4, { node: 'worker2', state: 'starting' }),
    ];
    const v = view(cluster(fiveNodes().nodes, [web], tasks));
    expect(v.services[0]!.update).toEqual({ state: 'updating', message: 'update in progress', updated: 1, total: 4 });
    expect(v.tasks.map((t) => [t.slot, t.outdated])).toEqual([
      [1, undefined],
      [2, true],
      [3, true],
      [4, undefined],
    ]);
  });

  it('tasks: the live ones, with the scheduler reason of a pending one; history is left out', () => {
    const web = service('web', { replicas: 3 });
    const tasks = [
      task(web, 1, { id: 'a', node: 'worker1' }),
      task(web, 1, { id: 'old', node: 'worker2', state: 'failed', desired: 'shutdown', err: 'exit 1' }),
      task(web, 2, { id: 'b', node: 'worker2', state: 'running', desired: 'shutdown' }),
      task(web, 3, { id: 'c', state: 'pending', err: 'no suitable node (scheduling constraints not satisfied on 5 nodes)' }),
    ];
    const v = view(cluster(fiveNodes().nodes, [web], tasks));
    expect(v.tasks.map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(v.tasks[2]).toMatchObject({ state: 'pending', pendingReason: 'no suitable node (scheduling constraints not satisfied on 5 nodes)' });
    expect(v.tasks[0]!.pendingReason).toBeUndefined();
    expect(v.services[0]!.running).toBe(1);
  });

  it('before the first read: machines only, no leader, an empty quorum', () => {
    const v = buildView({ phase: 'creating', stale: false, machines: [machine('manager1', 'Creating')], colors: new Map() });
    expect(v).toEqual({ phase: 'creating', stale: false, quorum: { managers: 0, reachable: 0, quorum: 0, canLose: 0 }, machines: [machine('manager1', 'Creating')], nodes: [], services: [], tasks: [], networks: [] });
  });
});

describe('assignColors', () => {
  it('keeps a service its colour; a new one takes the lowest free index, in order of creation', () => {
    const a = service('a', { created: '2025-01-01T00:00:01Z' });
    const b = service('b', { created: '2025-01-01T00:00:02Z' });
    const c = service('c', { created: '2025-01-01T00:00:03Z' });
    const first = assignColors(new Map(), [c, a, b]);
    expect([...first].sort()).toEqual([
      ['svc-a', 0],
      ['svc-b', 1],
      ['svc-c', 2],
    ]);
    // a removed: c keeps 2, a newcomer takes 0.
    const d = service('d', { created: '2025-01-01T00:00:04Z' });
    const second = assignColors(first, [b, c, d]);
    expect(second.get('svc-b')).toBe(1);
    expect(second.get('svc-c')).toBe(2);
    expect(second.get('svc-d')).toBe(0);
  });
});

describe('diffView / applyDelta', () => {
  const web = service('web', { replicas: 2 });
  const base = () => view(cluster(fiveNodes().nodes, [web], [task(web, 1, { node: 'worker1' }), task(web, 2, { node: 'worker2' })]));

  it('nothing changed: no delta', () => {
    expect(diffView(base(), base())).toBeUndefined();
  });

  it('one task moved: one task in the delta', () => {
    const next = view(cluster(fiveNodes().nodes, [web], [task(web, 1, { node: 'worker1' }), task(web, 2, { node: 'worker1' })]));
    const d = diffView(base(), next)!;
    expect(Object.keys(d)).toEqual(['tasks']);
    expect(d.tasks).toEqual({ upsert: [expect.objectContaining({ slot: 2, nodeId: 'id-worker1' })] });
  });

  it('a new leader, a node gone, a service removed; clearing name and via says null', () => {
    const { nodes } = fiveNodes();
    const after = nodes.filter((n) => n.Description?.Hostname !== 'manager1').map((n) => (n.Description?.Hostname === 'manager2' ? node('manager2', { role: 'manager', leader: true }) : n));
    const next = view(cluster(after), fiveNodes().machines, { via: undefined, name: undefined, stale: true });
    const d = diffView(base(), next)!;
    expect(d.leaderId).toBe('id-manager2');
    expect(d.via).toBeNull();
    expect(d.name).toBeNull();
    expect(d.stale).toBe(true);
    expect(d.nodes?.remove).toEqual(['id-manager1']);
    expect(d.services).toEqual({ remove: ['svc-web'] });
    expect(d.tasks?.remove?.sort()).toEqual(['t-web-1', 't-web-2']);
    expect(applyDelta(base(), d)).toEqual(next);
    const leaderless = view(cluster(after.map((n) => (n.ManagerStatus ? { ...n, ManagerStatus: { ...n.ManagerStatus, Leader: false } } : n))));
    expect(diffView(next, leaderless)?.leaderId).toBeNull();
  });

  it('applying the delta of any two views gives the second (property)', () => {
    const hosts = ['manager1', 'manager2', 'manager3', 'worker1', 'worker2'];
    const services = [service('a', { replicas: 2 }), service('b', { replicas: 3 }), service('c', { global: true })];
    const arbView = fc
      .record({
        nodes: fc.subarray(hosts),
        leader: fc.constantFrom(...hosts, undefined),
        down: fc.subarray(hosts),
        services: fc.subarray(services),
        tasks: fc.array(fc.record({ s: fc.nat(2), slot: fc.integer({ min: 1, max: 3 }), node: fc.constantFrom(...hosts), state: fc.constantFrom('running' as const, 'pending' as const, 'failed' as const, 'starting' as const) }), { maxLength: 12 }),
        machines: fc.subarray(hosts),
        stale: fc.boolean(),
        via: fc.constantFrom(...hosts, undefined),
      })
      .map((r): LabView => {
        const nodes = r.nodes.map((h) => node(h, { role: h.startsWith('manager') ? 'manager' : 'worker', leader: h === r.leader, state: r.down.includes(h) ? 'down' : 'ready' }));
        const tasks = r.tasks
          .filter((t) => r.services.includes(services[t.s]!))
          .map((t, i) => task(services[t.s]!, t.slot, { id: `t${i}-${t.slot}`, node: t.node, state: t.state }));
        return view(cluster(nodes, r.services, tasks), r.machines.map((m) => machine(m)), { stale: r.stale, via: r.via });
      });
    fc.assert(
      fc.property(arbView, arbView, (a, b) => {
        const d = diffView(a, b);
        expect(d ? applyDelta(a, d) : a).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a node that has just joined', () => {
  it('is known by the address of its machine until it sends its description', () => {
    const bare = { ...node('x', { role: 'manager', leader: true }), Description: undefined, Status: { State: 'unknown' as const, Addr: '127.0.0.11' } };
    const machines = [{ ...machine('manager1'), address: '127.0.0.11' }, { ...machine('manager2'), address: '127.0.0.12' }];
    const v = view(cluster([bare]), machines);
    expect(v.nodes[0]).toMatchObject({ hostname: 'manager1', machine: 'manager1' });
    expect(v.machines[0]!.nodeId).toBe(bare.ID);
    // Machines sharing an address (off Linux) tell nothing: the node keeps its ID.
    const shared = machines.map((m) => ({ ...m, address: '127.0.0.11' }));
    expect(view(cluster([bare]), shared).nodes[0]!.hostname).toBe(bare.ID);
  });
});
