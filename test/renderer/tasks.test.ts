import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../main/lab/protocol.ts';
import { dotsOf, pendingTasks, runningPerNode } from '../../renderer/store/tasks.ts';
import { quorumText } from '../../renderer/store/quorum.ts';

const task = (id: string, extra: Partial<TaskView> = {}): TaskView => ({
  id, serviceId: 's1', slot: 1, nodeId: 'n1', state: 'running', desiredState: 'running', message: '', timestamp: '2025-01-01T00:00:01Z', ...extra,
});

describe('task dots', () => {
  it('gives a slot one dot, on the node of the task meant to run (so a replacement travels)', () => {
    const dots = dotsOf([
      task('old', { nodeId: 'n1', desiredState: 'shutdown' }),
      task('new', { nodeId: 'n2', state: 'starting', timestamp: '2025-01-01T00:00:02Z' }),
    ]);
    expect([...dots.values()].map((d) => [d.key, d.task.id, d.nodeId])).toEqual([['s1/1', 'new', 'n2']]);
  });

  it('leaves out finished tasks and tasks not on a node; pending ones go to the tray', () => {
    const tasks = [
      task('done', { state: 'shutdown', desiredState: 'shutdown' }),
      task('waiting', { slot: 2, nodeId: undefined, state: 'pending', pendingReason: 'no suitable node' }),
      task('g', { slot: undefined, nodeId: 'n3' }),
    ];
    expect([...dotsOf(tasks).keys()]).toEqual(['s1/@n3']);
    expect(pendingTasks(tasks).map((t) => t.id)).toEqual(['waiting']);
  });

  it('counts running dots per node', () => {
    const dots = dotsOf([task('a'), task('b', { slot: 2 }), task('c', { slot: 3, state: 'preparing' }), task('d', { slot: 4, nodeId: 'n2' })]);
    expect(Object.fromEntries(runningPerNode(dots))).toEqual({ n1: 2, n2: 1 });
  });
});

describe('quorumText', () => {
  it('says it as a trainer would', () => {
    expect(quorumText({ managers: 3, reachable: 3, quorum: 2, canLose: 1 })).toBe('3 managers · quorum 2 · can lose 1');
    expect(quorumText({ managers: 1, reachable: 1, quorum: 1, canLose: 0 })).toBe('1 manager · quorum 1 · can lose 0');
    expect(quorumText({ managers: 3, reachable: 1, quorum: 2, canLose: -1 })).toBe('3 managers · quorum 2 · quorum lost (1 reachable)');
  });
});
