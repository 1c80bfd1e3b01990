// dockerode, the lab's own Docker client, against swarmlab's Docker API over TCP: the swarm, nodes,
// services (create, list with status, inspect, update, conflicts, remove), tasks, logs, events.

import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeObject } from '../../../core/api/objects.ts';
import type { ServiceWithStatus } from '../../../core/manager/control/api.ts';
import type { EngineEvent } from '../../../core/dockerapi/events.ts';
import { startTestEngine, type TestServer } from './fixture.ts';
import { until } from './until.ts';

/** Splits a multiplexed log stream into [stream, text] frames. */
function demux(buf: Buffer): [number, string][] {
  const frames: [number, string][] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    frames.push([buf[at]!, buf.subarray(at + 8, at + 8 + size).toString('utf8')]);
    at += 8 + size;
  }
  expect(at).toBe(buf.length);
  return frames;
}

const spec = (replicas: number, image = 'alpine:latest') => ({
  Name: 'web',
  Labels: { tier: 'front' },
  TaskTemplate: { ContainerSpec: { Image: image, Args: ['ping', 'docker.com'] } },
  Mode: { Replicated: { Replicas: replicas } },
});

describe('dockerode against swarmlab', { timeout: 30_000 }, () => {
  let t: TestServer;
  let docker: Docker;
  let serviceId: string;

  beforeAll(async () => {
    t = await startTestEngine({ workers: 1, tcp: true });
    docker = new Docker({ host: '127.0.0.1', port: t.server.tcpPort!, protocol: 'http' });
  });

  afterAll(async () => {
    await t?.close();
    expect(t?.logged ?? []).toEqual([]);
  });

  it('pings, and reads the version and info of an inactive node', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const v = await docker.version();
    expect(v.ApiVersion).toBe('1.50');
    expect(v.MinAPIVersion).toBe('1.24');
    expect((await docker.info()).Swarm.LocalNodeState).toBe('inactive');
  });

  it('initializes the swarm and reads it back; updates it with its version', async () => {
    const nodeId = await docker.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '127.0.0.1' });
    expect(nodeId).toBe(t.backend.swarm!.nodeId);
    const swarm = await docker.swarmInspect();
    expect(swarm.Spec.Name).toBe('default');
    expect(swarm.Spec.Orchestration.TaskHistoryRetentionLimit).toBe(5);
    expect(swarm.JoinTokens.Worker).toMatch(/^SWMTKN-1-/);
    expect(swarm).not.toHaveProperty('RootCA');
    const spec = { ...swarm.Spec, Orchestration: { TaskHistoryRetentionLimit: 10 } };
    await docker.swarmUpdate({ version: swarm.Version.Index, rotateWorkerToken: true, ...spec });
    const after = await docker.swarmInspect();
    expect(after.Spec.Orchestration.TaskHistoryRetentionLimit).toBe(10);
    expect(after.JoinTokens.Worker).not.toBe(swarm.JoinTokens.Worker);
    expect(after.JoinTokens.Manager).toBe(swarm.JoinTokens.Manager);
    const info = await docker.info();
    expect(info.Swarm).toMatchObject({ LocalNodeState: 'active', ControlAvailable: true, Nodes: 2, Managers: 1 });
  });

  it('lists and filters nodes, and updates one', async () => {
    const nodes = await docker.listNodes();
    expect(nodes).toHaveLength(2);
    const managers: NodeObject[] = await docker.listNodes({ filters: JSON.stringify({ role: ['manager'] }) });
    expect(managers.map((n) => n.ID)).toEqual([t.backend.swarm!.nodeId]);
    expect(managers[0]!.ManagerStatus).toMatchObject({ Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:2377' });
    const worker = nodes.find((n) => n.Spec!.Role === 'worker')!;
    const node = docker.getNode(worker.ID);
    await node.update({ version: worker.Version!.Index, Role: 'worker', Availability: 'pause', Labels: { zone: 'east' } });
    const updated = await node.inspect();
    expect(updated.Spec).toMatchObject({ Availability: 'pause', Labels: { zone: 'east' } });
    expect(await docker.listNodes({ filters: JSON.stringify({ 'node.label': ['zone=east'] }) })).toHaveLength(1);
    await node.update({ version: updated.Version.Index, Role: 'worker', Availability: 'active' });
  });

  it('creates a service and lists it with its status', async () => {
    const created = await docker.createService(spec(2));
    serviceId = created.id;
    expect(serviceId).toMatch(/^\w{25}$/);
    await until(
      async () => {
        const [s] = (await docker.listServices({ filters: { name: ['we'] }, status: true } as never)) as unknown as ServiceWithStatus[];
        return s?.ServiceStatus?.RunningTasks === 2 && s.ServiceStatus.DesiredTasks === 2;
      },
      { what: 'two running tasks in ServiceStatus' },
    );
    expect(await docker.listServices({ filters: { label: ['tier=back'] } })).toEqual([]);
    expect(await docker.listServices({ filters: { mode: ['global'] } })).toEqual([]);
    const s = await docker.getService('web').inspect();
    expect(s.ID).toBe(serviceId);
    expect(s.Spec.TaskTemplate.ContainerSpec.Args).toEqual(['ping', 'docker.com']);
  });

  it('updates a service with the version it read, and refuses a stale one with 409', async () => {
    const service = docker.getService(serviceId);
    const before = await service.inspect();
    const result = await service.update({ version: before.Version.Index, ...spec(3, 'alpine:3.19') });
    expect(result).toEqual({ Warnings: [] });
    const err = (await service.update({ version: before.Version.Index, ...spec(4) }).catch((e: unknown) => e)) as { statusCode: number; json: { message: string } };
    expect(err.statusCode).toBe(409);
    expect(err.json.message).toMatch(/update out of sequence/);
    // The new third replica can run before the rolling update has replaced the first two.
    await until(
      async () => {
        const current = await docker.listTasks({ filters: { service: ['web'], 'desired-state': ['running'] } });
        return current.length === 3 && current.every((x) => x.Status.State === 'running' && x.Spec.ContainerSpec.Image === 'alpine:3.19');
      },
      { what: 'three running tasks of the new spec', timeoutMs: 20_000 },
    );
    const tasks = await docker.listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } });
    expect(tasks.every((x) => x.Spec.ContainerSpec.Image === 'alpine:3.19')).toBe(true);
    const one = await docker.getTask(tasks[0]!.ID).inspect();
    expect(one.ServiceID).toBe(serviceId);
  });

  it('reads service logs as a multiplexed stream, with details and timestamps', async () => {
    const [task] = await docker.listTasks({ filters: { service: ['web'], 'desired-state': ['running'] } });
    t.backend.print(task!.ID, 'hello from a task');
    t.backend.print(task!.ID, 'oops', 'stderr');
    const raw = (await docker.getService(serviceId).logs({ stdout: true, stderr: true, details: true, timestamps: true, follow: false })) as unknown as Buffer;
    const frames = demux(raw);
    const context = `com.docker.swarm.node.id=${task!.NodeID},com.docker.swarm.service.id=${serviceId},com.docker.swarm.task.id=${task!.ID}`;
    expect(frames).toHaveLength(2);
    expect(frames[0]![0]).toBe(1);
    expect(frames[0]![1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z ${context} hello from a task\\n$`));
    expect(frames[1]).toEqual([2, expect.stringMatching(/ oops\n$/)]);
    const onlyErr = demux((await docker.getService(serviceId).logs({ stderr: true, follow: false })) as unknown as Buffer);
    expect(onlyErr).toEqual([[2, 'oops\n']]);
  });

  it('streams events: Docker’s service events, and task events when asked for', async () => {
    const since = Math.floor(Date.now() / 1000) - 60;
    // `task` is swarmlab's extension type (see core/dockerapi/events.ts), so it is spelt as JSON here.
    const stream = (await docker.getEvents({ since, filters: JSON.stringify({ type: ['service', 'task'] }) })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const seen: EngineEvent[] = [];
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l) seen.push(JSON.parse(l) as EngineEvent);
    });
    try {
      const s = await docker.getService(serviceId).inspect();
      await docker.getService(serviceId).update({ version: s.Version.Index, ...spec(1, 'alpine:3.19') });
      await until(() => seen.some((e) => e.Type === 'service' && e.Actor.Attributes['replicas.new'] === '1'), { what: 'the scale event' });
      expect(seen.find((e) => e.Type === 'service' && e.Action === 'create')).toMatchObject({ Actor: { ID: serviceId, Attributes: { name: 'web' } }, scope: 'swarm' });
      await until(() => seen.some((e) => e.Type === 'task' && e.Actor.Attributes['desiredstate.new'] === 'shutdown'), { what: 'a task told to stop' });
      const e = seen.find((x) => x.Type === 'task')!;
      expect(e.Actor.Attributes).toMatchObject({ 'service.id': serviceId, 'service.name': 'web' });
      expect(e.timeNano).toBeGreaterThanOrEqual(e.time * 1e9);
    } finally {
      stream.destroy();
    }
  });

  it('removes the service; what is gone is 404 with Docker’s message', async () => {
    await docker.getService('web').remove();
    const err = (await docker.getService('web').inspect().catch((e: unknown) => e)) as { statusCode: number; json: { message: string } };
    expect(err.statusCode).toBe(404);
    expect(err.json.message).toBe('service web not found');
    expect(await docker.listServices()).toEqual([]);
  });

  it('leaves the swarm', async () => {
    await docker.swarmLeave({ force: true });
    expect((await docker.info()).Swarm.LocalNodeState).toBe('inactive');
  });
});
