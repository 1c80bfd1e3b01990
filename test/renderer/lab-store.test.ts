import { describe, expect, it } from 'vitest';
import type { LabView, NodeView, TaskView, TimelineEntry } from '../../main/lab/protocol.ts';
import { LabStore, TIMELINE_LIMIT } from '../../renderer/store/lab-store.ts';

const node = (id: string, extra: Partial<NodeView> = {}): NodeView => ({
  id, hostname: `host-${id}`, role: 'worker', leader: false, state: 'ready', availability: 'active', addr: '127.0.0.1', labels: {}, ...extra,
});
const task = (id: string, extra: Partial<TaskView> = {}): TaskView => ({
  id, serviceId: 's1', slot: 1, nodeId: 'n1', state: 'running', desiredState: 'running', message: '', timestamp: '2025-01-01T00:00:00Z', ...extra,
});
const entry = (seq: number): TimelineEntry => ({ seq, time: '2025-01-01T00:00:00Z', kind: 'node', severity: 'info', text: `e${seq}` });
const view = (extra: Partial<LabView> = {}): LabView => ({
  phase: 'running', stale: false, quorum: { managers: 1, reachable: 1, quorum: 1, canLose: 0 },
  machines: [], nodes: [node('n1'), node('n2')], services: [], tasks: [task('t1')], ...extra,
});

describe('LabStore', () => {
  it('replaces everything on a snapshot, including what a previous snapshot left', () => {
    const s = new LabStore();
    expect(s.synced).toBe(false);
    s.apply({ type: 'snapshot', view: view(), timeline: [entry(1)] });
    s.apply({ type: 'snapshot', view: view({ nodes: [node('n3')], tasks: [], leaderId: 'n3' }), timeline: [entry(1), entry(2)] });
    expect(s.synced).toBe(true);
    expect([...s.nodes.keys()]).toEqual(['n3']);
    expect(s.tasks.size).toBe(0);
    expect(s.leaderId).toBe('n3');
    expect(s.timeline.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('patches tables by ID and reports which changed', () => {
    const s = new LabStore();
    s.apply({ type: 'snapshot', view: view(), timeline: [] });
    const before = { ...s.revisions };
    const changed = s.apply({ type: 'delta', delta: { tasks: { upsert: [task('t2', { nodeId: 'n2' })], remove: ['t1'] } } });
    expect([...changed]).toEqual(['tasks']);
    expect([...s.tasks.keys()]).toEqual(['t2']);
    expect(s.revisions.tasks).toBe(before.tasks + 1);
    expect(s.revisions.nodes).toBe(before.nodes);
  });

  it('clears the leader on leaderId null and marks nodes changed (the crown moves)', () => {
    const s = new LabStore();
    s.apply({ type: 'snapshot', view: view({ leaderId: 'n1' }), timeline: [] });
    const changed = s.apply({ type: 'delta', delta: { leaderId: null } });
    expect(s.leaderId).toBeUndefined();
    expect(changed.has('nodes')).toBe(true);
  });

  it('removing an unknown ID changes nothing', () => {
    const s = new LabStore();
    s.apply({ type: 'snapshot', view: view(), timeline: [] });
    expect(s.apply({ type: 'delta', delta: { nodes: { remove: ['nope'] } } }).size).toBe(0);
  });

  it('keeps the timeline ordered, without repeats, and bounded', () => {
    const s = new LabStore();
    s.apply({ type: 'snapshot', view: view(), timeline: [entry(1), entry(3)] });
    s.apply({ type: 'timeline', entry: entry(2) });
    s.apply({ type: 'timeline', entry: entry(3) });
    expect(s.timeline.map((e) => e.seq)).toEqual([1, 2, 3]);
    for (let i = 4; i < TIMELINE_LIMIT + 50; i++) s.apply({ type: 'timeline', entry: entry(i) });
    expect(s.timeline.length).toBe(TIMELINE_LIMIT);
    expect(s.timeline.at(-1)!.seq).toBe(TIMELINE_LIMIT + 49);
  });

  it('tracks progress per operation, and leaves console data alone', () => {
    const s = new LabStore();
    let calls = 0;
    s.subscribe(() => calls++);
    s.apply({ type: 'progress', operation: 'create', step: 'machines' });
    s.apply({ type: 'progress', operation: 'create', step: 'ready', done: true });
    expect(s.progress.get('create')).toEqual({ operation: 'create', step: 'ready', done: true });
    expect(s.apply({ type: 'console-data', consoleId: 'c', data: 'x' }).size).toBe(0);
    expect(calls).toBe(2);
  });
});
