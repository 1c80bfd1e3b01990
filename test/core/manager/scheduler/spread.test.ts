import { describe, expect, it } from 'vitest';
import type { TaskObject } from '../../../../core/api/objects.ts';
import { NodeInfo } from '../../../../core/manager/scheduler/node-info.ts';
import {
  buildSpreadTree,
  NodeHeap,
  nodeOrder,
  NodeRanker,
  NodeSlot,
  spreadLevels,
  spreadOverNodes,
  spreadOverTree,
} from '../../../../core/manager/scheduler/spread.ts';
import { seededRandom } from '../../../../core/random.ts';
import { makeNode } from './harness.ts';

let seq = 0;
function put(n: NodeInfo, serviceId: string, count = 1): void {
  for (let i = 0; i < count; i++) {
    const t: TaskObject = {
      ID: `t${++seq}`,
      Version: { Index: 1 },
      CreatedAt: '',
      UpdatedAt: '',
      ServiceID: serviceId,
      NodeID: n.id,
      Spec: { ContainerSpec: { Image: 'x' } },
      Status: { State: 'running', Timestamp: '', Message: '' },
      DesiredState: 'running',
    };
    n.addTask(t);
  }
}

describe('node ordering and heap (indexed_node_heap_test.go)', () => {
  it('orders by tasks of the service, then all tasks, then ID; a node failing the service comes last', () => {
    const a = new NodeInfo(makeNode('a'));
    const b = new NodeInfo(makeNode('b'));
    const c = new NodeInfo(makeNode('c'));
    put(a, 'web', 1);
    put(b, 'api', 3);
    expect([a, b, c].sort(nodeOrder('web', 'web@0', 0)).map((n) => n.id)).toEqual(['c', 'b', 'a']);
    const t = [...c.tasks.values()][0] ?? { ServiceID: 'web', SpecVersion: undefined };
    for (let i = 0; i < 5; i++) c.taskFailed(t as TaskObject, 1000);
    expect([a, b, c].sort(nodeOrder('web', 'web@0', 2000)).map((n) => n.id)).toEqual(['b', 'a', 'c']);
    expect([a, b, c].sort(nodeOrder('api', 'api@0', 2000)).map((n) => n.id)).toEqual(['c', 'a', 'b']);
  });

  it('pops in order for random inputs', () => {
    const random = seededRandom(42);
    for (let round = 0; round < 20; round++) {
      const all = Array.from({ length: 50 }, (_, i) => {
        const n = new NodeInfo(makeNode(`n${String(i).padStart(2, '0')}`));
        put(n, 'web', random.int(5));
        put(n, 'other', random.int(5));
        return n;
      });
      const expected = [...all].sort(nodeOrder('web', 'web@0', 0)).map((n) => n.id);
      const ranker = new NodeRanker('web', 'web@0', 0);
      const heap = new NodeHeap(
        [...all].reverse().map((n) => {
          const slot = new NodeSlot(n);
          ranker.rank(slot);
          return slot;
        }),
      );
      const got: string[] = [];
      for (let s = heap.pop(); s; s = heap.pop()) got.push(s.node.id);
      expect(got).toEqual(expected);
    }
  });

  it('spreadOverNodes evens out the service, then stops at nodes that are full', () => {
    const all = ['a', 'b', 'c'].map((id) => new NodeInfo(makeNode(id)));
    put(all[0]!, 'web', 2);
    const placedOn: string[] = [];
    const left = [...all];
    const ranker = new NodeRanker('web', 'web@0', 0);
    const n = spreadOverNodes(5, left, ranker, (node) => {
      placedOn.push(node.id);
      put(node, 'web');
      return node.serviceTasks('web') < 3;
    });
    expect(n).toBe(5);
    expect(placedOn).toEqual(['b', 'c', 'b', 'c', 'a']);
    expect(left.map((x) => x.id).sort()).toEqual(['b', 'c']); // a is full
    expect(spreadOverNodes(5, [], ranker, () => true)).toBe(0);
  });
});

describe('spread tree (TestSchedulerPreferences)', () => {
  it('fills the branches with the fewest tasks to a common level, remainder to the emptiest', () => {
    const mk = (id: string, zone?: string) => new NodeInfo(makeNode(id, zone ? { labels: { zone } } : {}));
    const all = [mk('a1', 'a'), mk('a2', 'a'), mk('b1', 'b'), mk('c1', 'c'), mk('x')];
    put(all[0]!, 'web', 4); // zone a: 4
    put(all[2]!, 'web', 1); // zone b: 1
    const tree = buildSpreadTree(all, 'web', spreadLevels([{ Spread: { SpreadDescriptor: 'node.labels.zone' } }]), () => true);
    expect([...tree.children!.keys()].sort()).toEqual(['', 'a', 'b', 'c']);
    expect(tree.tasks).toBe(5);
    const got: Record<string, number> = {};
    const placed = spreadOverTree(6, tree, (count, nodes) => {
      got[nodes.map((n) => n.id).join('+')] = count;
      return count;
    });
    expect(placed).toBe(6);
    // Zone a (4 already) is above the level and gets none; b, c and '' share 6 + 1 = 7: 2 each,
    // and the extra one goes to the branch with the fewest, ties by label value ('' first).
    expect(got).toEqual({ x: 3, c1: 2, b1: 1 });
    expect(tree.tasks).toBe(11);
  });

  it('ignores descriptors it does not know, as SwarmKit does', () => {
    expect(
      spreadLevels([
        { Spread: { SpreadDescriptor: 'node.labels.zone' } },
        { Spread: { SpreadDescriptor: 'node.hostname' } },
        { Spread: { SpreadDescriptor: 'Engine.Labels.disk' } },
      ]),
    ).toEqual([
      { from: 'node', label: 'zone' },
      { from: 'engine', label: 'disk' },
    ]);
  });
});
