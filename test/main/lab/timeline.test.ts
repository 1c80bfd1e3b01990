// The timeline: what changed between two reads of the swarm, told as the room should hear it, and
// the numbered log kept of it (with an injected clock).

import { describe, expect, it } from 'vitest';
import type { ClusterState } from '../../../main/lab/cluster-state.ts';
import { Timeline, timelineChanges, type Observation } from '../../../main/lab/timeline.ts';
import { assignColors, buildView } from '../../../main/lab/view.ts';
import { cluster, fiveNodes, node, service, task } from './fixtures.ts';

function observe(c: ClusterState | undefined, o: { stale?: boolean; error?: string; via?: string } = {}): Observation {
  const view = buildView({ phase: 'running', stale: o.stale ?? false, machines: fiveNodes().machines, ...(c ? { cluster: c } : {}), ...(o.via ? { via: o.via } : {}), colors: assignColors(new Map(), c?.services ?? []) });
  return { view, ...(c ? { cluster: c } : {}), ...(o.error ? { error: o.error } : {}) };
}

const texts = (prev: Observation | undefined, next: Observation) => timelineChanges(prev, next).map((e) => `${e.kind}/${e.severity}: ${e.text}`);

const swap = (nodes: ReturnType<typeof fiveNodes>['nodes'], host: string, replacement: ReturnType<typeof node>) => nodes.map((n) => (n.Description?.Hostname === host ? replacement : n));

describe('timelineChanges', () => {
  it('the first read names the leader', () => {
    expect(texts(undefined, observe(cluster(fiveNodes().nodes)))).toEqual(['leader/info: manager1 leads the swarm (3 managers · quorum 2)']);
  });

  it('the leader dies: down, unreachable, a new leader', () => {
    const before = fiveNodes().nodes;
    const after = swap(swap(before, 'manager1', node('manager1', { role: 'manager', state: 'down', reach: 'unreachable' })), 'manager2', node('manager2', { role: 'manager', leader: true }));
    expect(texts(observe(cluster(before)), observe(cluster(after)))).toEqual([
      'leader/info: manager2 elected leader (manager1 was)',
      'node/error: manager1 is down',
      'node/warning: manager manager1 is unreachable',
    ]);
  });

  it('no leader while the managers elect one', () => {
    const before = fiveNodes().nodes;
    const after = swap(before, 'manager1', node('manager1', { role: 'manager' }));
    expect(texts(observe(cluster(before)), observe(cluster(after)))).toEqual(['leader/warning: No leader: manager1 lost the lead; an election is under way']);
  });

  it('nodes join, leave, get promoted, drained, and come back', () => {
    const before = fiveNodes().nodes;
    const after = [
      ...swap(swap(before, 'worker1', node('worker1', { role: 'manager' })), 'worker2', node('worker2', { availability: 'drain', state: 'down' })).filter((n) => n.Description?.Hostname !== 'manager3'),
      node('worker3'),
    ];
    expect(texts(observe(cluster(before)), observe(cluster(after)))).toEqual([
      'node/info: worker1 promoted to manager',
      'node/error: worker2 is down',
      'node/info: worker2 drained: its tasks move to other nodes',
      'node/info: worker3 joined the swarm as a worker',
      'node/info: manager3 left the swarm',
    ]);
    expect(texts(observe(cluster(after)), observe(cluster(swap(after, 'worker2', node('worker2')))))).toEqual(['node/info: worker2 is ready', 'node/info: worker2 active again']);
  });

  it('services: created, scaled, removed; a rolling update from start to rollback', () => {
    const { nodes } = fiveNodes();
    const web = service('web', { replicas: 3, image: 'swarmlab/web:blue' });
    expect(texts(observe(cluster(nodes)), observe(cluster(nodes, [web])))).toEqual(['service/info: service web created (swarmlab/web:blue, 3 replicas)']);
    expect(texts(observe(cluster(nodes, [web])), observe(cluster(nodes, [service('web', { replicas: 6, image: 'swarmlab/web:blue' })])))).toEqual(['service/info: web scaled from 3 to 6']);
    const steps = [
      web,
      service('web', { replicas: 3, image: 'swarmlab/web:red', update: 'updating' }),
      service('web', { replicas: 3, image: 'swarmlab/web:red', update: 'paused', message: 'update paused due to failure or early termination of task t1' }),
      service('web', { replicas: 3, image: 'swarmlab/web:blue', update: 'rollback_started', message: 'update rolled back due to failure' }),
      service('web', { replicas: 3, image: 'swarmlab/web:blue', update: 'rollback_completed' }),
    ];
    const told = steps.slice(1).flatMap((s, i) => texts(observe(cluster(nodes, [steps[i]!])), observe(cluster(nodes, [s]))));
    expect(told).toEqual([
      'update/info: rolling update of web to swarmlab/web:red started',
      'update/warning: update of web paused: update paused due to failure or early termination of task t1',
      'update/warning: web is rolling back: update rolled back due to failure',
      'update/info: web rolled back to swarmlab/web:blue',
    ]);
    expect(texts(observe(cluster(nodes, [web])), observe(cluster(nodes)))).toEqual(['service/info: service web removed']);
  });

  it('tasks that failed or were rejected since the last read, even if already replaced', () => {
    const { nodes } = fiveNodes();
    const web = service('web', { replicas: 2 });
    const before = cluster(nodes, [web], [task(web, 1, { id: 'a', node: 'worker1' }), task(web, 2, { id: 'b', node: 'worker2' })]);
    const after = cluster(nodes, [web], [
      task(web, 1, { id: 'a', node: 'worker1', state: 'failed', desired: 'shutdown', err: 'task: non-zero exit (1)' }),
      task(web, 1, { id: 'a2', node: 'worker2' }),
      task(web, 2, { id: 'b', node: 'worker2' }),
      task(web, 3, { id: 'c', node: 'worker1', state: 'rejected', desired: 'shutdown', err: 'No such image: nope' }),
    ]);
    expect(texts(observe(before), observe(after))).toEqual(['task/error: web.1 failed on worker1: task: non-zero exit (1)', 'task/error: web.3 rejected on worker1: No such image: nope']);
    // The same failure is told once.
    expect(texts(observe(after), observe(after))).toEqual([]);
  });

  it('a crash loop is told as one entry per read', () => {
    const { nodes } = fiveNodes();
    const crash = service('crash', { replicas: 5 });
    const failed = [1, 2, 3, 4, 5].map((s) => task(crash, s, { node: 'worker1', state: 'failed', desired: 'shutdown', err: 'exit 1' }));
    expect(texts(observe(cluster(nodes, [crash])), observe(cluster(nodes, [crash], failed)))).toEqual(['task/error: 5 tasks of crash failed: exit 1']);
  });

  it('contact lost and found again', () => {
    const c = cluster(fiveNodes().nodes);
    expect(texts(observe(c), observe(c, { stale: true, error: 'no manager answers (manager1: refused)' }))).toEqual(['lab/warning: Lost contact with the swarm: no manager answers (manager1: refused)']);
    expect(texts(observe(c, { stale: true }), observe(c, { via: 'manager2' }))).toEqual(['lab/info: In contact with the swarm again through manager2']);
  });
});

describe('Timeline', () => {
  it('numbers and times its entries, and keeps the last ones', () => {
    let now = Date.parse('2025-03-01T10:00:00Z');
    const clock = { now: () => now, setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) };
    const t = new Timeline(clock, 2);
    t.add({ kind: 'lab', severity: 'info', text: 'one' });
    now += 1500;
    t.add({ kind: 'lab', severity: 'info', text: 'two' });
    const third = t.add({ kind: 'node', severity: 'error', text: 'three', nodeId: 'n' });
    expect(third).toEqual({ seq: 3, time: '2025-03-01T10:00:01.500Z', kind: 'node', severity: 'error', text: 'three', nodeId: 'n' });
    expect(t.entries().map((e) => e.seq)).toEqual([2, 3]);
  });
});
