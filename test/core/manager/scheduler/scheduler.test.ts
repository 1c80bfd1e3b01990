// The scheduler on a store without Raft, on virtual time. Test names follow SwarmKit's
// manager/scheduler/scheduler_test.go where it has one.

import { describe, expect, it } from 'vitest';
import type { PortConfig } from '../../../../core/api/objects.ts';
import { ASSIGNED_MESSAGE, PREASSIGNED_MESSAGE, Scheduler } from '../../../../core/manager/scheduler/scheduler.ts';
import { seededRandom } from '../../../../core/random.ts';
import { CPU, GiB, SchedHarness } from './harness.ts';

const hostPort = (published: number, protocol: PortConfig['Protocol'] = 'tcp'): PortConfig => ({
  TargetPort: 80,
  PublishedPort: published,
  PublishMode: 'host',
  Protocol: protocol,
});

describe('scheduler: assignment (TestScheduler)', () => {
  it('assigns pending tasks meant to run to ready nodes, with SwarmKit status fields', async () => {
    const h = new SchedHarness();
    for (const id of ['node1', 'node2', 'node3']) await h.addNode(id);
    await h.addService('web');
    const running = await h.addTasks('web', 1, { state: 'running', nodeId: 'node1' });
    const ids = await h.addTasks('web', 3);
    const [fresh] = await h.addTasks('web', 1, { state: 'new' });
    const [unwanted] = await h.addTasks('web', 1, { desired: 'shutdown' });
    h.start();
    await h.settle();

    const at = new Date(h.clock.now()).toISOString();
    for (const id of ids) {
      const t = h.task(id);
      expect(t.Status).toEqual({ State: 'assigned', Message: ASSIGNED_MESSAGE, Timestamp: expect.any(String) });
      expect(t.Status.Timestamp <= at).toBe(true);
      expect(t.NodeID).toMatch(/^node[123]$/);
    }
    // Fewest tasks of the service first (node2, node3), then the tie goes by total, then node ID.
    expect(ids.map((id) => h.task(id).NodeID)).toEqual(['node2', 'node3', 'node1']);
    expect(h.perNode('web')).toEqual({ node1: 2, node2: 1, node3: 1 });
    expect(h.task(fresh!).Status.State).toBe('new');
    expect(h.task(unwanted!).Status.State).toBe('pending');
    expect(h.task(unwanted!).NodeID).toBeUndefined();
    expect(h.task(running[0]!).Status.State).toBe('running');
  });

  it('schedules tasks whose desired state is ready (an update that starts them later)', async () => {
    const h = new SchedHarness();
    await h.addNode('node1');
    const [id] = await h.addTasks('web', 1, { desired: 'ready' });
    h.start();
    await h.settle();
    expect(h.task(id!).Status.State).toBe('assigned');
  });

  it('ignores tasks that are not pending (TestIgnoreTasks)', async () => {
    const h = new SchedHarness();
    await h.addNode('node1');
    const ids = [
      ...(await h.addTasks('web', 1, { state: 'new' })),
      ...(await h.addTasks('web', 1, { state: 'assigned', nodeId: 'node1' })),
      ...(await h.addTasks('web', 1, { state: 'running', nodeId: 'node1' })),
      ...(await h.addTasks('web', 1, { state: 'failed', nodeId: 'node1', desired: 'shutdown' })),
    ];
    h.start();
    await h.settle();
    const before = h.events.length;
    await h.settle();
    for (const id of ids) expect(h.writesTo(id)).toBe(0);
    expect(h.events.length).toBe(before);
    expect(h.scheduler.nodeInfo('node1')?.activeTasksCount).toBe(2);
  });
});

describe('scheduler: spread (TestHA)', () => {
  it('spreads the tasks of a service evenly, and services over the nodes', async () => {
    const h = new SchedHarness().start();
    for (let i = 1; i <= 5; i++) await h.addNode(`node${i}`);
    await h.addTasks('a', 10);
    await h.settle();
    expect(Object.values(h.perNode('a'))).toEqual([2, 2, 2, 2, 2]);
    await h.addTasks('b', 3);
    await h.settle();
    expect(Object.keys(h.perNode('b'))).toHaveLength(3);
    await h.addTasks('c', 2);
    await h.settle();
    // 15 tasks on 5 nodes: the third service fills the nodes the second left out.
    expect(Object.values(h.perNode())).toEqual([3, 3, 3, 3, 3]);
  });

  it('counts the tasks already on the nodes', async () => {
    const h = new SchedHarness();
    for (let i = 1; i <= 4; i++) await h.addNode(`node${i}`);
    await h.addTasks('a', 2, { state: 'running', nodeId: 'node1' });
    await h.addTasks('a', 2, { state: 'running', nodeId: 'node2' });
    h.start();
    await h.addTasks('a', 6);
    await h.settle();
    expect(h.perNode('a')).toEqual({ node1: 3, node2: 3, node3: 2, node4: 2 });
  });

  it('a task meant to stop no longer counts; a task that ended frees its node', async () => {
    const h = new SchedHarness().start();
    for (let i = 1; i <= 2; i++) await h.addNode(`node${i}`);
    const [old] = await h.addTasks('a', 1, { state: 'running', nodeId: 'node1', desired: 'shutdown' });
    await h.addTasks('a', 2);
    await h.settle();
    expect(h.perNode('a')).toEqual({ node1: 2, node2: 1 });
    expect(h.scheduler.nodeInfo('node1')?.serviceTasks('a')).toBe(1);
    await h.report(old!, 'shutdown');
    expect(h.scheduler.nodeInfo('node1')?.tasks.has(old!)).toBe(false);
  });

  it('spreads a service across many groups of spec versions (one sort per group)', async () => {
    const h = new SchedHarness().start();
    for (let i = 1; i <= 3; i++) await h.addNode(`node${i}`);
    await h.addTasks('a', 3, { specVersion: 1 });
    await h.addTasks('a', 3, { specVersion: 2 });
    await h.settle();
    expect(h.perNode('a')).toEqual({ node1: 2, node2: 2, node3: 2 });
  });
});

describe('scheduler: nodes that take no new tasks (TestSchedulerNoReadyNodes)', () => {
  it('keeps a task pending with the explanation, and assigns it when a node becomes ready', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1', { state: 'down' });
    await h.addNode('node2', { availability: 'drain' });
    await h.addNode('node3', { availability: 'pause' });
    const [id] = await h.addTasks('web', 1);
    await h.settle();
    expect(h.task(id!).Status.State).toBe('pending');
    expect(h.task(id!).Status.Err).toBe('no suitable node (3 nodes not available for new tasks)');

    await h.setNodeState('node1', 'ready');
    await h.settle();
    const t = h.task(id!);
    expect(t.Status.State).toBe('assigned');
    expect(t.NodeID).toBe('node1');
    expect(t.Status.Err).toBeUndefined();
    expect(h.writesTo(id!)).toBe(2); // the explanation once, then the assignment
  });

  it('says "1 node" for one node, and "no suitable node" when there is none', async () => {
    const h = new SchedHarness().start();
    const [a] = await h.addTasks('web', 1);
    await h.settle();
    expect(h.task(a!).Status.Err).toBe('no suitable node');
    await h.addNode('node1', { state: 'disconnected' });
    await h.settle();
    expect(h.task(a!).Status.Err).toBe('no suitable node (1 node not available for new tasks)');
  });

  it('a pending task gets scheduled when a suitable node joins', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1', { memoryGiB: 1 });
    const [id] = await h.addTasks('web', 1, { spec: { Resources: { Reservations: { MemoryBytes: 2 * GiB } } } });
    await h.settle();
    expect(h.task(id!).Status.Err).toBe('no suitable node (insufficient memory on 1 node)');
    await h.addNode('node2', { memoryGiB: 4 });
    await h.settle();
    expect(h.task(id!).Status.State).toBe('assigned');
    expect(h.task(id!).NodeID).toBe('node2');
  });

  it('does not take tasks from a node that goes down, is drained or paused', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addNode('node2');
    const ids = await h.addTasks('web', 2);
    await h.settle();
    const before = ids.map((id) => h.task(id));
    await h.setNodeState('node1', 'down');
    await h.updateNode('node2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    await h.settle();
    for (const t of before) {
      expect(h.task(t.ID).NodeID).toBe(t.NodeID);
      expect(h.task(t.ID).Version.Index).toBe(t.Version.Index);
    }
  });
});

describe('scheduler: resources (TestSchedulerResourceConstraint)', () => {
  it('explains memory and CPU shortfalls, node by node', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1', { memoryGiB: 1, cpus: 8 });
    await h.addNode('node2', { memoryGiB: 1, cpus: 8 });
    await h.addNode('node3', { memoryGiB: 16, cpus: 2 });
    const [mem] = await h.addTasks('big-mem', 1, { spec: { Resources: { Reservations: { MemoryBytes: 2 * GiB } } } });
    const [cpu] = await h.addTasks('big-cpu', 1, { spec: { Resources: { Reservations: { NanoCPUs: 16 * CPU } } } });
    const [both] = await h.addTasks('big', 1, { spec: { Resources: { Reservations: { NanoCPUs: 4 * CPU, MemoryBytes: 4 * GiB } } } });
    await h.settle();
    expect(h.task(mem!).NodeID).toBe('node3');
    expect(h.task(cpu!).Status.Err).toBe('no suitable node (insufficient CPU on 3 nodes)');
    // node1 and node2 lack memory, node3 CPU.
    expect(h.task(both!).Status.Err).toBe('no suitable node (insufficient memory on 2 nodes; insufficient CPU on 1 node)');
  });

  it('a node short of both counts for both', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1', { memoryGiB: 1, cpus: 1 });
    const [id] = await h.addTasks('big', 1, { spec: { Resources: { Reservations: { NanoCPUs: 2 * CPU, MemoryBytes: 2 * GiB } } } });
    await h.settle();
    expect(h.task(id!).Status.Err).toBe('no suitable node (insufficient memory on 1 node; insufficient CPU on 1 node)');
  });

  it("subtracts the reservations of the node's tasks, and frees them when a task dies (TestSchedulerResourceConstraintDeadTask)", async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1', { cpus: 4, memoryGiB: 8 });
    const spec = { Resources: { Reservations: { NanoCPUs: 1.5 * CPU, MemoryBytes: 1 * GiB } } };
    const ids = await h.addTasks('web', 3, { spec });
    await h.settle();
    expect(ids.map((id) => h.task(id).Status.State)).toEqual(['assigned', 'assigned', 'pending']);
    expect(h.task(ids[2]!).Status.Err).toBe('no suitable node (insufficient CPU on 1 node)');
    const info = h.scheduler.nodeInfo('node1')!;
    expect(info.availableNanoCPUs).toBe(1 * CPU);
    expect(info.availableMemoryBytes).toBe(6 * GiB);

    await h.report(ids[0]!, 'failed');
    await h.settle();
    expect(h.task(ids[2]!).Status.State).toBe('assigned');
    expect(info.availableNanoCPUs).toBe(1 * CPU);
  });

  it('reservations of tasks already on a node count from the start (TestSchedulerPreexistingDeadTask)', async () => {
    const h = new SchedHarness();
    await h.addNode('node1', { memoryGiB: 2 });
    const spec = { Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
    await h.addTasks('web', 1, { spec, state: 'running', nodeId: 'node1' });
    await h.addTasks('web', 1, { spec, state: 'failed', nodeId: 'node1', desired: 'shutdown' });
    const [id] = await h.addTasks('web', 1, { spec });
    h.start();
    await h.settle();
    expect(h.task(id!).Status.Err).toBe('no suitable node (insufficient memory on 1 node)');
  });
});

describe('scheduler: constraints', () => {
  async function cluster() {
    const h = new SchedHarness().start();
    await h.addNode('m1', { role: 'manager', hostname: 'alpha', labels: { zone: 'east' }, engineLabels: { disk: 'ssd' } });
    await h.addNode('w1', { hostname: 'beta', labels: { zone: 'west', tier: 'db' } });
    await h.addNode('w2', { hostname: 'gamma', os: 'windows' });
    return h;
  }
  const place = async (h: SchedHarness, constraints: string[]) => {
    const ids = await h.addTasks(`svc-${constraints.join(',')}`, 3, { spec: { Placement: { Constraints: constraints } } });
    await h.settle();
    return ids.map((id) => h.task(id));
  };

  it('node.labels, node.role, node.hostname, engine.labels, node.platform.os', async () => {
    const h = await cluster();
    const on = async (c: string[]) => [...new Set((await place(h, c)).map((t) => t.NodeID))].sort();
    expect(await on(['node.labels.zone==east'])).toEqual(['m1']);
    expect(await on(['node.role==worker'])).toEqual(['w1', 'w2']);
    expect(await on(['node.role!=worker'])).toEqual(['m1']);
    expect(await on(['node.hostname==beta'])).toEqual(['w1']);
    expect(await on(['engine.labels.disk==ssd'])).toEqual(['m1']);
    expect(await on(['node.platform.os==windows'])).toEqual(['w2']);
    expect(await on(['node.role==worker', 'node.platform.os==linux'])).toEqual(['w1']);
    expect(await on(['node.labels.zone==EAST'])).toEqual(['m1']); // values compare case-insensitively
  });

  it('!= on a missing label passes', async () => {
    const h = await cluster();
    const tasks = await place(h, ['node.labels.tier!=db']);
    expect([...new Set(tasks.map((t) => t.NodeID))].sort()).toEqual(['m1', 'w2']);
  });

  it('explains the refusal with a count', async () => {
    const h = await cluster();
    const tasks = await place(h, ['node.labels.zone==north']);
    for (const t of tasks) {
      expect(t.Status.State).toBe('pending');
      expect(t.Status.Err).toBe('no suitable node (scheduling constraints not satisfied on 3 nodes)');
    }
    const [one] = await place(h, ['node.labels.zone!=north', 'node.hostname!=alpha', 'node.hostname!=beta', 'node.hostname!=gamma']);
    expect(one!.Status.Err).toBe('no suitable node (scheduling constraints not satisfied on 3 nodes)');
  });
});

describe('scheduler: platforms (TestSchedulerCompatiblePlatform)', () => {
  it('places on a node of a listed platform, normalizing architectures', async () => {
    const h = new SchedHarness().start();
    await h.addNode('amd', { os: 'linux', arch: 'x86_64' });
    await h.addNode('arm', { os: 'linux', arch: 'aarch64' });
    await h.addNode('win', { os: 'windows', arch: 'x86_64' });
    const [a] = await h.addTasks('a', 1, { spec: { Placement: { Platforms: [{ OS: 'linux', Architecture: 'amd64' }] } } });
    const [b] = await h.addTasks('b', 1, { spec: { Placement: { Platforms: [{ Architecture: 'arm64' }] } } });
    const [c] = await h.addTasks('c', 1, { spec: { Placement: { Platforms: [{ OS: 'windows' }, { OS: 'freebsd' }] } } });
    const [d] = await h.addTasks('d', 1, { spec: { Placement: { Platforms: [{ OS: 'linux', Architecture: 's390x' }] } } });
    await h.settle();
    expect(h.task(a!).NodeID).toBe('amd');
    expect(h.task(b!).NodeID).toBe('arm');
    expect(h.task(c!).NodeID).toBe('win');
    expect(h.task(d!).Status.Err).toBe('no suitable node (unsupported platform on 3 nodes)');
  });
});

describe('scheduler: host-mode ports (TestSchedulerHostPort)', () => {
  it('one task per node per published host port', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addNode('node2');
    await h.addService('web', { EndpointSpec: { Ports: [hostPort(8080)] } });
    await h.addService('ingress', { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
    await h.addService('dns', { EndpointSpec: { Ports: [hostPort(8080, 'udp')] } });
    const web = await h.addTasks('web', 3);
    const ingress = await h.addTasks('ingress', 2);
    const dns = await h.addTasks('dns', 2);
    await h.settle();
    expect(web.map((id) => h.task(id).NodeID)).toEqual(['node1', 'node2', undefined]);
    expect(h.task(web[2]!).Status.Err).toBe('no suitable node (host-mode port already in use on 2 nodes)');
    // Ingress-mode ports and other protocols do not collide.
    for (const id of [...ingress, ...dns]) expect(h.task(id).Status.State).toBe('assigned');

    await h.report(web[0]!, 'complete');
    await h.settle();
    expect(h.task(web[2]!).NodeID).toBe('node1');
  });

  it('reads the ports through a resolver the networking work can replace', async () => {
    const h = new SchedHarness({ hostPorts: (t) => (t.ServiceID === 'web' ? [{ protocol: 'tcp', port: 9000 }] : []) }).start();
    await h.addNode('node1');
    const ids = await h.addTasks('web', 2);
    await h.settle();
    expect(h.task(ids[1]!).Status.Err).toBe('no suitable node (host-mode port already in use on 1 node)');
  });
});

describe('scheduler: max replicas per node (TestSchedulerMaxReplicas)', () => {
  it('places at most MaxReplicas tasks of the service per node, with Docker wording', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addNode('node2');
    const ids = await h.addTasks('web', 5, { spec: { Placement: { MaxReplicas: 2 } } });
    await h.settle();
    expect(h.perNode('web')).toEqual({ node1: 2, node2: 2 });
    const left = ids.map((id) => h.task(id)).filter((t) => t.Status.State === 'pending');
    expect(left).toHaveLength(1);
    expect(left[0]!.Status.Err).toBe('no suitable node (max replicas per node limit exceed)');

    await h.addNode('node3');
    await h.settle();
    expect(h.perNode('web')).toEqual({ node1: 2, node2: 2, node3: 1 });
  });
});

describe('scheduler: placement preferences (TestSchedulerPreferences)', () => {
  const spread = (...labels: string[]) => ({
    Placement: { Preferences: labels.map((l) => ({ Spread: { SpreadDescriptor: `node.labels.${l}` } })) },
  });

  it('balances tasks across the values of a label first, then within each', async () => {
    const h = new SchedHarness().start();
    for (const id of ['a1', 'a2', 'a3']) await h.addNode(id, { labels: { zone: 'a' } });
    await h.addNode('b1', { labels: { zone: 'b' } });
    await h.addTasks('web', 8, { spec: spread('zone') });
    await h.settle();
    expect(h.perNode('web')).toEqual({ a1: 2, a2: 1, a3: 1, b1: 4 });

    // Nodes without the label form a branch of their own.
    await h.addNode('x1');
    await h.addTasks('api', 9, { spec: spread('zone') });
    await h.settle();
    const api = h.perNode('api');
    expect(api.x1).toBe(3);
    expect(api.b1).toBe(3);
    expect((api.a1 ?? 0) + (api.a2 ?? 0) + (api.a3 ?? 0)).toBe(3);
  });

  it('counts the tasks already in each branch', async () => {
    const h = new SchedHarness();
    for (const id of ['a1', 'a2']) await h.addNode(id, { labels: { zone: 'a' } });
    await h.addNode('b1', { labels: { zone: 'b' } });
    await h.addTasks('web', 3, { spec: spread('zone'), state: 'running', nodeId: 'a1' });
    h.start();
    await h.addTasks('web', 5, { spec: spread('zone') });
    await h.settle();
    // 8 in all, 4 per zone: zone b takes 4, zone a 1 (on a2).
    expect(h.perNode('web')).toEqual({ a1: 3, a2: 1, b1: 4 });
  });

  it('spreads over several levels (TestMultiplePreferences)', async () => {
    const h = new SchedHarness().start();
    await h.addNode('a-r1-1', { labels: { zone: 'a', rack: '1' } });
    await h.addNode('a-r1-2', { labels: { zone: 'a', rack: '1' } });
    await h.addNode('a-r2-1', { labels: { zone: 'a', rack: '2' } });
    await h.addNode('b-r1-1', { labels: { zone: 'b', rack: '1' } });
    await h.addTasks('web', 8, { spec: spread('zone', 'rack') });
    await h.settle();
    expect(h.perNode('web')).toEqual({ 'a-r1-1': 1, 'a-r1-2': 1, 'a-r2-1': 2, 'b-r1-1': 4 });
  });

  it('a branch that cannot take its share passes it on', async () => {
    const h = new SchedHarness().start();
    for (const id of ['a1', 'a2']) await h.addNode(id, { labels: { zone: 'a' } });
    await h.addNode('b1', { labels: { zone: 'b' }, availability: 'drain' });
    await h.addNode('c1', { labels: { zone: 'c' } });
    await h.addTasks('web', 6, { spec: { ...spread('zone'), Placement: { ...spread('zone').Placement, MaxReplicas: 2 } } });
    await h.settle();
    expect(h.perNode('web')).toEqual({ a1: 2, a2: 2, c1: 2 });
  });
});

describe('scheduler: explanations', () => {
  it('lists several reasons with counts, most frequent first, and updates them only when they change', async () => {
    const h = new SchedHarness().start();
    await h.addNode('n1', { state: 'down' });
    await h.addNode('n2', { state: 'down', labels: { tier: 'db' } });
    for (const id of ['n3', 'n4', 'n5']) await h.addNode(id);
    await h.addNode('n6', { labels: { tier: 'db' }, memoryGiB: 1 });
    const spec = { Placement: { Constraints: ['node.labels.tier==db'] }, Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
    const [id] = await h.addTasks('db', 1, { spec });
    await h.settle();
    expect(h.task(id!).Status.Err).toBe(
      'no suitable node (scheduling constraints not satisfied on 3 nodes; 2 nodes not available for new tasks; insufficient memory on 1 node)',
    );
    expect(h.writesTo(id!)).toBe(1);

    // A change that does not change the explanation writes nothing.
    await h.updateNode('n3', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { color: 'blue' } } }));
    await h.settle();
    expect(h.writesTo(id!)).toBe(1);

    await h.setNodeState('n1', 'ready');
    await h.settle();
    expect(h.task(id!).Status.Err).toBe(
      'no suitable node (scheduling constraints not satisfied on 4 nodes; 1 node not available for new tasks; insufficient memory on 1 node)',
    );
    expect(h.writesTo(id!)).toBe(2);

    await h.setNodeState('n2', 'ready');
    await h.settle();
    expect(h.task(id!).NodeID).toBe('n2');
    expect(h.task(id!).Status.Err).toBeUndefined();
  });

  it('explains a group that was only partly placed from the nodes as they are after the placement', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1', { memoryGiB: 3 });
    await h.addNode('node2', { state: 'down' });
    const ids = await h.addTasks('web', 3, { spec: { Resources: { Reservations: { MemoryBytes: 1 * GiB } } } });
    const more = await h.addTasks('web', 2, { spec: { Resources: { Reservations: { MemoryBytes: 1 * GiB } } } });
    await h.settle();
    expect([...ids, ...more].filter((id) => h.task(id).Status.State === 'assigned')).toHaveLength(3);
    for (const id of [...ids, ...more].filter((id) => h.task(id).Status.State === 'pending')) {
      expect(h.task(id).Status.Err).toBe('no suitable node (1 node not available for new tasks; insufficient memory on 1 node)');
    }
  });
});

describe('scheduler: preassigned tasks (TestPreassignedTasks)', () => {
  it('confirms the node of a preassigned task, or explains why it cannot run there', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addNode('node2', { availability: 'drain' });
    await h.addNode('node3', { memoryGiB: 1 });
    const spec = { Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
    const [ok] = await h.addTasks('global', 1, { nodeId: 'node1' });
    const [drained] = await h.addTasks('global', 1, { nodeId: 'node2' });
    const [small] = await h.addTasks('global-big', 1, { nodeId: 'node3', spec });
    await h.settle();
    expect(h.task(ok!).Status).toMatchObject({ State: 'assigned', Message: PREASSIGNED_MESSAGE });
    expect(h.task(ok!).NodeID).toBe('node1');
    expect(h.task(drained!).Status).toMatchObject({ State: 'pending', Err: '1 node not available for new tasks' });
    expect(h.task(drained!).NodeID).toBe('node2');
    expect(h.task(small!).Status.Err).toBe('insufficient memory on 1 node');

    await h.updateNode('node2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'active' } }));
    await h.settle();
    expect(h.task(drained!).Status.State).toBe('assigned');
    expect(h.task(drained!).NodeID).toBe('node2');
  });
});

describe('scheduler: faulty nodes (TestSchedulerFaultyNode)', () => {
  it('puts a node where the service failed 5 times within 5 minutes last', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addNode('node2');
    for (let i = 0; i < 5; i++) {
      const [id] = await h.addTasks('web', 1, { state: 'running', nodeId: 'node1' });
      await h.report(id!, 'failed');
    }
    const ids = await h.addTasks('web', 2);
    await h.settle();
    expect(ids.map((id) => h.task(id).NodeID)).toEqual(['node2', 'node2']);
    // Another service is not affected, nor is a new spec version of this one.
    const [other] = await h.addTasks('api', 1);
    const [v2] = await h.addTasks('web', 1, { specVersion: 2 });
    await h.settle();
    expect(h.task(other!).NodeID).toBe('node1');
    expect(h.task(v2!).NodeID).toBe('node1');

    // Failures age out.
    await h.clock.runFor(5 * 60_000 + 1);
    const [later] = await h.addTasks('web', 1);
    await h.settle();
    expect(h.task(later!).NodeID).toBe('node1');
  });
});

describe('scheduler: batching and transactions', () => {
  it('assigns a batch of 1,000 tasks in a few transactions', async () => {
    const h = new SchedHarness().start();
    for (let i = 1; i <= 10; i++) await h.addNode(`node${String(i).padStart(2, '0')}`);
    for (let s = 0; s < 10; s++) await h.addTasks(`svc${s}`, 100);
    const before = h.events.length;
    await h.settle();
    const txs = h.events.slice(before);
    expect(txs.length).toBeLessThanOrEqual(4);
    expect(txs.every((e) => e.changes.every((c) => c.table === 'tasks' && (c.object as { Status: { State: string } }).Status.State === 'assigned'))).toBe(true);
    expect(h.tasks().filter((t) => t.Status.State === 'assigned')).toHaveLength(1000);
    expect(Object.values(h.perNode())).toEqual(Array(10).fill(100));
    for (let s = 0; s < 10; s++) expect(Object.values(h.perNode(`svc${s}`))).toEqual(Array(10).fill(10));
    expect(h.scheduler.stats).toMatchObject({ passes: 1, transactions: txs.length, assigned: 1000, retried: 0 });
  });

  it('retries the tasks of a transaction refused because one of them changed meanwhile', async () => {
    const h = new SchedHarness({ maxBatchSize: 2 }).start();
    await h.addNode('node1');
    await h.addNode('node2');
    const ids = await h.addTasks('web', 4);
    // Just before the scheduler's first transaction applies, someone else updates its first task.
    h.proposer.hook = () => {
      void h.store.update((tx) => {
        const t = tx.get('tasks', ids[0]!)!;
        tx.update('tasks', { ...t, Labels: { touched: 'yes' } });
      });
    };
    await h.settle();
    expect(h.scheduler.stats.retried).toBe(2);
    for (const id of ids) expect(h.task(id).Status.State).toBe('assigned');
    expect(h.task(ids[0]!).Labels).toEqual({ touched: 'yes' });
    expect(h.perNode('web')).toEqual({ node1: 2, node2: 2 });
    // The NodeInfos were rolled back and rebuilt: no task is counted twice.
    expect(h.scheduler.nodeInfo('node1')?.activeTasksCount).toBe(2);
    expect(h.scheduler.nodeInfo('node2')?.activeTasksCount).toBe(2);
  });

  it('batches tasks that arrive close together into one pass', async () => {
    const h = new SchedHarness({ batchDelayMs: 20 }).start();
    await h.addNode('node1');
    await h.addTasks('a', 10);
    await h.clock.runFor(5);
    await h.addTasks('b', 10);
    await h.settle();
    expect(h.scheduler.stats.passes).toBe(1);
    expect(h.scheduler.stats.transactions).toBe(1);
  });
});

describe('scheduler: leadership', () => {
  it('stops writing when stopped, and a new scheduler starts from the state as it is', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addNode('node2');
    await h.addTasks('web', 3);
    await h.settle();
    h.scheduler.stop();
    const ids = await h.addTasks('web', 3);
    await h.clock.runFor(1000);
    expect(ids.map((id) => h.task(id).Status.State)).toEqual(['pending', 'pending', 'pending']);

    h.scheduler = new Scheduler({ store: h.store, clock: h.clock, random: seededRandom(2) });
    h.scheduler.start();
    await h.settle();
    expect(h.perNode('web')).toEqual({ node1: 3, node2: 3 });
  });

  it('rebuilds its view when the store is restored from a snapshot', async () => {
    const h = new SchedHarness().start();
    await h.addNode('node1');
    await h.addTasks('web', 2);
    await h.settle();
    const snap = h.store.snapshot();
    await h.addNode('node2');
    await h.addTasks('web', 2);
    await h.settle();
    expect(h.scheduler.nodeInfo('node2')?.activeTasksCount).toBe(2);
    h.store.restore(snap, h.store.index);
    await h.settle();
    expect(h.scheduler.nodeInfo('node2')).toBeUndefined();
    expect(h.scheduler.nodeInfo('node1')?.activeTasksCount).toBe(2);
  });
});
