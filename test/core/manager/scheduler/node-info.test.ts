import { describe, expect, it } from 'vitest';
import type { TaskObject } from '../../../../core/api/objects.ts';
import { hostModePorts, NodeInfo, serviceHostPorts } from '../../../../core/manager/scheduler/node-info.ts';
import { CPU, GiB, makeNode } from './harness.ts';

const task = (id: string, o: Partial<TaskObject> & { cpu?: number; mem?: number } = {}): TaskObject => ({
  ID: id,
  Version: { Index: 1 },
  CreatedAt: '',
  UpdatedAt: '',
  ServiceID: o.ServiceID ?? 'web',
  NodeID: 'n1',
  Spec: { ContainerSpec: { Image: 'x' }, Resources: { Reservations: { NanoCPUs: o.cpu ?? 0, MemoryBytes: o.mem ?? 0 } } },
  Status: o.Status ?? { State: 'running', Timestamp: '', Message: '' },
  DesiredState: o.DesiredState ?? 'running',
});

describe('NodeInfo (nodeinfo_test.go)', () => {
  it('tracks reservations, ports and counts as tasks come and go', () => {
    const n = new NodeInfo(makeNode('n1', { cpus: 4, memoryGiB: 8 }));
    n.addTask(task('t1', { cpu: 1 * CPU, mem: 1 * GiB }), [{ protocol: 'tcp', port: 80 }]);
    n.addTask(task('t2', { cpu: 2 * CPU, ServiceID: 'api' }));
    expect(n.availableNanoCPUs).toBe(1 * CPU);
    expect(n.availableMemoryBytes).toBe(7 * GiB);
    expect(n.activeTasksCount).toBe(2);
    expect(n.serviceTasks('web')).toBe(1);
    expect(n.hostPortInUse({ protocol: 'tcp', port: 80 })).toBe(true);
    expect(n.hostPortInUse({ protocol: 'udp', port: 80 })).toBe(false);

    // A new version of a task changes only whether it counts; its reservations stay until it goes.
    n.addTask(task('t1', { cpu: 1 * CPU, mem: 1 * GiB, DesiredState: 'shutdown' }));
    expect(n.activeTasksCount).toBe(1);
    expect(n.serviceTasks('web')).toBe(0);
    expect(n.availableNanoCPUs).toBe(1 * CPU);
    n.addTask(task('t1', { cpu: 1 * CPU, mem: 1 * GiB, DesiredState: 'shutdown' }));
    expect(n.activeTasksCount).toBe(1);

    expect(n.removeTask('t1')).toBe(true);
    expect(n.removeTask('t1')).toBe(false);
    expect(n.availableNanoCPUs).toBe(2 * CPU);
    expect(n.availableMemoryBytes).toBe(8 * GiB);
    expect(n.usedHostPorts.size).toBe(0);
    expect(n.activeTasksCountByService.has('web')).toBe(false);
  });

  it('follows the node: new resources change what is available', () => {
    const n = new NodeInfo(makeNode('n1', { cpus: 2 }));
    n.addTask(task('t1', { cpu: 1 * CPU }));
    n.setNode(makeNode('n1', { cpus: 8 }));
    expect(n.availableNanoCPUs).toBe(7 * CPU);
  });

  it('counts failures per service and spec version within five minutes', () => {
    const n = new NodeInfo(makeNode('n1'));
    const t = { ...task('t1'), SpecVersion: { Index: 3 } };
    for (let i = 0; i < 3; i++) n.taskFailed(t, 1000 * i);
    expect(n.recentFailures('web@3', 3000)).toBe(3);
    expect(n.recentFailures('web@2', 3000)).toBe(0);
    expect(n.recentFailures('web@3', 5 * 60_000 + 1500)).toBe(1);
    expect(n.recentFailures('web@3', 10 * 60_000)).toBe(0);
  });
});

describe('host-mode ports', () => {
  it('keeps host-mode ports with a published port, once each', () => {
    expect(
      hostModePorts([
        { TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
        { TargetPort: 81, PublishedPort: 8080, PublishMode: 'host', Protocol: 'tcp' },
        { TargetPort: 53, PublishedPort: 53, PublishMode: 'host', Protocol: 'udp' },
        { TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' },
        { TargetPort: 80, PublishMode: 'host' },
      ]),
    ).toEqual([
      { protocol: 'tcp', port: 8080 },
      { protocol: 'udp', port: 53 },
    ]);
  });

  it("reads the task's own endpoint first, then the service's allocated endpoint, then its spec", () => {
    const svc = {
      ID: 'web',
      Version: { Index: 1 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: {
        TaskTemplate: { ContainerSpec: { Image: 'x' } },
        Mode: { Replicated: {} },
        EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 1, PublishMode: 'host' as const }] },
      },
    };
    const resolve = serviceHostPorts((id) => (id === 'web' ? svc : undefined));
    expect(resolve(task('t'))).toEqual([{ protocol: 'tcp', port: 1 }]);
    const allocated = serviceHostPorts(() => ({ ...svc, Endpoint: { Ports: [{ TargetPort: 80, PublishedPort: 2, PublishMode: 'host' }] } }));
    expect(allocated(task('t'))).toEqual([{ protocol: 'tcp', port: 2 }]);
    const own = { ...task('t'), Endpoint: { Ports: [{ TargetPort: 80, PublishedPort: 3, PublishMode: 'host' }] } } as TaskObject;
    expect(resolve(own)).toEqual([{ protocol: 'tcp', port: 3 }]);
    expect(resolve({ ...task('t'), ServiceID: 'gone' })).toEqual([]);
  });
});
