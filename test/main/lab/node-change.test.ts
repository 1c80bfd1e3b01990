// The warning shown before a change to a node is confirmed: a demotion, or a kill, stop, pause or
// partition of a manager, that would leave fewer reachable managers than a majority; a drain of the
// last node that can run tasks; a second manager.

import { describe, expect, it } from 'vitest';
import { checkNodeChange } from '../../../main/lab/node-change.ts';
import { assignColors, buildView } from '../../../main/lab/view.ts';
import { cluster, fiveNodes, machine, node, service, task } from './fixtures.ts';

function lab(o: { unreachable?: string[]; stopped?: string[]; managers?: number; workers?: string[] } = {}) {
  const managers = Array.from({ length: o.managers ?? 3 }, (_, i) => `manager${i + 1}`);
  const workers = o.workers ?? ['worker1', 'worker2'];
  const nodes = [
    ...managers.map((h, i) => node(h, { role: 'manager', leader: i === 0, reach: o.unreachable?.includes(h) ? 'unreachable' : 'reachable' })),
    ...workers.map((h) => node(h)),
  ];
  const machines = [...managers, ...workers].map((h) => machine(h, o.stopped?.includes(h) ? 'Stopped' : 'Running'));
  const c = cluster(nodes);
  return buildView({ phase: 'running', stale: false, machines, cluster: c, colors: assignColors(new Map(), []) });
}

describe('checkNodeChange', () => {
  it('demoting a manager while another is unreachable: the warning says why', () => {
    expect(checkNodeChange(lab({ unreachable: ['manager3'] }), { nodeId: 'id-manager2', role: 'worker' })).toEqual({
      message: 'Demoting manager2 would lose quorum',
      reason: '3 managers · quorum 2: demoting manager2 leaves 2, and manager3 is unreachable, so the swarm would lose quorum',
    });
  });

  it('demoting one of three healthy managers is fine', () => {
    expect(checkNodeChange(lab(), { nodeId: 'id-manager2', role: 'worker' })).toBeUndefined();
  });

  it('a stopped machine counts as unreachable, whatever the swarm says yet', () => {
    const w = checkNodeChange(lab({ managers: 5, stopped: ['manager4', 'manager5'] }), { nodeId: 'id-manager2', role: 'worker' });
    expect(w?.reason).toBe('5 managers · quorum 3: demoting manager2 leaves 4, and manager4 and manager5 are unreachable, so the swarm would lose quorum');
    expect(checkNodeChange(lab({ managers: 4, stopped: ['manager4'] }), { nodeId: 'id-manager2', role: 'worker' })).toBeUndefined();
  });

  it('demoting the only manager', () => {
    expect(checkNodeChange(lab({ managers: 1 }), { nodeId: 'id-manager1', role: 'worker' })?.message).toBe('Demoting manager1 leaves no manager');
  });

  it('a swarm that lost quorum already says so', () => {
    const w = checkNodeChange(lab({ unreachable: ['manager2', 'manager3'] }), { nodeId: 'id-manager1', role: 'worker' });
    expect(w).toEqual({
      message: 'The swarm has no quorum now',
      reason: '3 managers · quorum 2: only 1 of 3 are reachable (manager2 and manager3 are unreachable), so the swarm cannot make changes until managers come back',
    });
  });

  it('killing, stopping, pausing or partitioning a manager that the majority needs', () => {
    const v = lab({ unreachable: ['manager3'] });
    expect(checkNodeChange(v, { nodeId: 'id-manager1', action: 'kill' })).toEqual({
      message: 'Killing manager1 would lose quorum',
      reason: '3 managers · quorum 2: with manager1 killed, 1 of 3 stays reachable (manager3 is unreachable), so the swarm would lose quorum',
    });
    expect(checkNodeChange(v, { nodeId: 'id-manager2', action: 'stop' })?.message).toBe('Stopping manager2 would lose quorum');
    expect(checkNodeChange(v, { nodeId: 'id-manager2', action: 'pause' })?.message).toBe('Pausing manager2 would lose quorum');
    expect(checkNodeChange(v, { nodeId: 'id-manager2', action: 'partition' })?.message).toBe('Partitioning manager2 would lose quorum');
    expect(checkNodeChange(v, { nodeId: 'id-manager2', action: 'restart' })?.message).toBe('Restarting manager2 would lose quorum until it is back');
    // The unreachable one itself, a worker, or a healthy swarm: nothing to lose.
    expect(checkNodeChange(v, { nodeId: 'id-manager3', action: 'kill' })).toBeUndefined();
    expect(checkNodeChange(v, { nodeId: 'id-worker1', action: 'kill' })).toBeUndefined();
    expect(checkNodeChange(lab(), { nodeId: 'id-manager1', action: 'kill' })).toBeUndefined();
    expect(checkNodeChange(v, { nodeId: 'id-manager2', action: 'resume' })).toBeUndefined();
  });

  it('draining the last active node, with the tasks it runs', () => {
    const web = service('web', { replicas: 2 });
    const nodes = [node('manager1', { role: 'manager', leader: true, availability: 'drain' }), node('worker1')];
    const c = cluster(nodes, [web], [task(web, 1, { node: 'worker1' }), task(web, 2, { node: 'worker1' })]);
    const v = buildView({ phase: 'running', stale: false, machines: [machine('manager1'), machine('worker1')], cluster: c, colors: new Map() });
    expect(checkNodeChange(v, { nodeId: 'id-worker1', availability: 'drain' })).toEqual({
      message: 'Draining worker1 leaves no node for new tasks',
      reason: 'worker1 is the last active, ready node: its 2 tasks would stop with nowhere to go, and new ones would wait as pending',
    });
    expect(checkNodeChange(lab(), { nodeId: 'id-worker1', availability: 'drain' })).toBeUndefined();
  });

  it('promoting a second manager: no fault tolerance', () => {
    expect(checkNodeChange(lab({ managers: 1 }), { nodeId: 'id-worker1', role: 'manager' })?.message).toBe('Two managers tolerate no failure');
    expect(checkNodeChange(lab(), { nodeId: 'id-worker1', role: 'manager' })).toBeUndefined();
  });

  it('an unknown node is an error that says what to do', () => {
    expect(() => checkNodeChange(lab(), { nodeId: 'nope', role: 'worker' })).toThrow(/no node nope in the swarm .*refresh/);
  });

  it('the five-node fixture stays healthy under a single change', () => {
    const { nodes, machines } = fiveNodes();
    const v = buildView({ phase: 'running', stale: false, machines, cluster: cluster(nodes), colors: new Map() });
    for (const n of v.nodes) expect(checkNodeChange(v, { nodeId: n.id, action: 'kill' })).toBeUndefined();
  });
});
