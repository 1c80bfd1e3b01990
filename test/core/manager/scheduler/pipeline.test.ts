import { describe, expect, it } from 'vitest';
import type { TaskObject, TaskSpec } from '../../../../core/api/objects.ts';
import { defaultFilters, nodes } from '../../../../core/manager/scheduler/filters.ts';
import { NodeInfo, type HostPort } from '../../../../core/manager/scheduler/node-info.ts';
import { noSuitableNode, Pipeline } from '../../../../core/manager/scheduler/pipeline.ts';
import { CPU, GiB, makeNode, type NodeOpts } from './harness.ts';

const task = (spec: Partial<TaskSpec> = {}): TaskObject => ({
  ID: 't',
  Version: { Index: 1 },
  CreatedAt: '',
  UpdatedAt: '',
  ServiceID: 'web',
  Spec: { ContainerSpec: { Image: 'x' }, ...spec },
  Status: { State: 'pending', Timestamp: '', Message: '' },
  DesiredState: 'running',
});

const info = (id: string, o: NodeOpts = {}) => new NodeInfo(makeNode(id, o));

function explainFor(spec: Partial<TaskSpec>, all: NodeInfo[], ports: readonly HostPort[] = []): { passed: string[]; err: string } {
  const p = new Pipeline(defaultFilters(() => ports));
  p.setTask(task(spec));
  const passed = all.filter((n) => p.process(n)).map((n) => n.id);
  return { passed, err: noSuitableNode(p.explain()) };
}

describe('filters and pipeline (filter_test.go, pipeline_test.go)', () => {
  it('says "1 node" and "N nodes"', () => {
    expect(nodes(1)).toBe('1 node');
    expect(nodes(0)).toBe('0 nodes');
    expect(nodes(12)).toBe('12 nodes');
  });

  it('counts each refused node against the first filter that refuses it', () => {
    const all = [
      info('down', { state: 'down', memoryGiB: 1 }),
      info('small', { memoryGiB: 1, labels: { zone: 'b' } }),
      info('b1', { labels: { zone: 'b' } }),
      info('b2', { labels: { zone: 'b' } }),
      info('a', { labels: { zone: 'a' } }),
    ];
    const r = explainFor({ Resources: { Reservations: { MemoryBytes: 2 * GiB } }, Placement: { Constraints: ['node.labels.zone==a'] } }, all);
    expect(r.passed).toEqual(['a']);
    expect(r.err).toBe(
      'no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks; insufficient memory on 1 node)',
    );
  });

  it('breaks ties in the order of the filters', () => {
    const r = explainFor({ Placement: { Platforms: [{ OS: 'windows' }], Constraints: ['node.role==manager'] } }, [
      info('w', { role: 'worker', os: 'windows' }),
      info('m', { role: 'manager' }),
    ]);
    expect(r.err).toBe('no suitable node (scheduling constraints not satisfied on 1 node; unsupported platform on 1 node)');
  });

  it('explains each filter in Docker words', () => {
    const busy = info('busy');
    busy.addTask({ ...task(), ID: 'x', NodeID: 'busy', Status: { State: 'running', Timestamp: '', Message: '' } }, [{ protocol: 'tcp', port: 80 }]);
    expect(explainFor({}, [busy], [{ protocol: 'tcp', port: 80 }]).err).toBe('no suitable node (host-mode port already in use on 1 node)');
    expect(explainFor({ Placement: { MaxReplicas: 1 } }, [busy, busy]).err).toBe('no suitable node (max replicas per node limit exceed)');
    expect(explainFor({ Resources: { Reservations: { NanoCPUs: 5 * CPU } } }, [busy, info('x')]).err).toBe(
      'no suitable node (insufficient CPU on 2 nodes)',
    );
    expect(explainFor({ Placement: { Platforms: [{ Architecture: 'arm64' }] } }, [busy]).err).toBe('no suitable node (unsupported platform on 1 node)');
    expect(explainFor({}, [info('p', { availability: 'pause' }), info('d', { availability: 'drain' })]).err).toBe(
      'no suitable node (2 nodes not available for new tasks)',
    );
  });

  it('skips filters that do not apply, and a constraint that does not parse disables its filter', () => {
    const r = explainFor({ Placement: { Constraints: ['node.color=blue'] }, Resources: { Reservations: {} } }, [info('a')]);
    expect(r.passed).toEqual(['a']);
    expect(r.err).toBe('no suitable node');
  });

  it('check() does not count; setTask() clears the counts', () => {
    const p = new Pipeline(defaultFilters(() => []));
    p.setTask(task());
    const down = info('down', { state: 'down' });
    expect(p.check(down)).toBe(false);
    expect(p.explain()).toBe('');
    p.process(down);
    expect(p.failures()).toEqual({ ready: 1 });
    p.setTask(task());
    expect(p.failures()).toEqual({});
  });
});
