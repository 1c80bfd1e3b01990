// The control API over a manager's store (localControl), without HTTP: filters as SwarmKit applies
// them, ManagerStatus from Raft, ServiceStatus, up-to-date tasks, the cluster spec's defaults, and
// errors that are always ControlErrors.

import { describe, expect, it } from 'vitest';
import { TIMING_PROFILES } from '../../../core/api/defaults.ts';
import type { ClusterSpec } from '../../../core/api/objects.ts';
import { clusterSpecFromClient, createCluster } from '../../../core/manager/control/cluster.ts';
import { ControlError } from '../../../core/manager/control/errors.ts';
import { clusterDefaults, localControl } from '../../../core/manager/control/local.ts';
import type { RaftMembership } from '../../../core/manager/membership.ts';
import { NotLeaderError } from '../../../core/raft/node.ts';
import { seededRandom } from '../../../core/random.ts';
import { LocalProposer, Store } from '../../../core/store/store.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

function setup(opts: { voters?: string[]; reachable?: string[]; leader?: string; isLeader?: boolean } = {}) {
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1) });
  const random = seededRandom(3);
  const store = new Store({ clock, random });
  store.setProposer(new LocalProposer(store));
  const membership: RaftMembership = {
    id: 'm1',
    voters: () => opts.voters ?? ['m1'],
    isLeader: () => opts.isLeader ?? true,
    reachable: () => opts.reachable ?? ['m1'],
    proposeConfChange: async () => 0,
    transferLeadership: () => {},
  };
  const rotations: string[] = [];
  const control = localControl({
    store,
    membership,
    random,
    leader: () => opts.leader ?? 'm1',
    managerAddr: (id) => (id === 'm1' ? '10.0.0.1:2377' : undefined),
    rotateToken: (kind) => {
      rotations.push(kind);
      return `SWMTKN-1-x-${kind}${rotations.length}`;
    },
  });
  const node = (id: string, hostname: string, role: 'manager' | 'worker', extra: { labels?: Record<string, string>; engineLabels?: Record<string, string> } = {}) =>
    store.update((tx) =>
      tx.create('nodes', {
        ID: id,
        Spec: { Role: role, Availability: 'active', Labels: extra.labels ?? {} },
        Role: role,
        Description: { Hostname: hostname, Platform: {}, Resources: {}, Engine: { Labels: extra.engineLabels } },
        Status: { State: 'ready', Addr: `addr-${id}` },
      }),
    );
  return { store, control, node, rotations, clock };
}

const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Labels: { app: name },
  TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
  Mode: { Replicated: { Replicas: 2 } },
  ...extra,
});

describe('localControl: nodes', () => {
  it('lists with SwarmKit’s filters and resolves by ID, name or prefix', async () => {
    const { control, node } = setup({ voters: ['m1', 'm2'], reachable: ['m1'] });
    await node('m1', 'alpha', 'manager', { engineLabels: { disk: 'ssd' } });
    await node('m2', 'beta', 'manager');
    await node('w1', 'gamma', 'worker', { labels: { zone: 'east' } });
    const ids = async (f: Parameters<typeof control.listNodes>[0]) => (await control.listNodes(f)).map((n) => n.ID).sort();
    expect(await ids({})).toEqual(['m1', 'm2', 'w1']);
    expect(await ids({ roles: ['worker'] })).toEqual(['w1']);
    expect(await ids({ names: ['al', 'ga'] })).toEqual(['m1', 'w1']);
    expect(await ids({ ids: ['m'] })).toEqual(['m1', 'm2']);
    expect(await ids({ labels: { disk: '' } })).toEqual(['m1']);
    expect(await ids({ nodeLabels: { zone: 'east' } })).toEqual(['w1']);
    expect(await ids({ nodeLabels: { zone: 'west' } })).toEqual([]);
    expect(await ids({ memberships: ['pending'] })).toEqual([]);
    expect((await control.getNode('gamma')).ID).toBe('w1');
    expect((await control.getNode('w')).ID).toBe('w1');
    await expect(control.getNode('m')).rejects.toThrow('node m is ambiguous (2 matches found)');
    await expect(control.getNode('zeta')).rejects.toMatchObject({ code: 'NotFound', message: 'node zeta not found' });
  });

  it('fills ManagerStatus from Raft: the leader, who it hears from, the manager address', async () => {
    const { control, node } = setup({ voters: ['m1', 'm2'], reachable: ['m1'] });
    await node('m1', 'alpha', 'manager');
    await node('m2', 'beta', 'manager');
    await node('w1', 'gamma', 'worker');
    const byId = new Map((await control.listNodes()).map((n) => [n.ID, n]));
    expect(byId.get('m1')!.ManagerStatus).toEqual({ Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:2377' });
    expect(byId.get('m2')!.ManagerStatus).toEqual({ Reachability: 'unreachable', Addr: 'addr-m2' });
    expect(byId.get('w1')!.ManagerStatus).toBeUndefined();
  });

  it('validates node updates and keeps Docker’s refusals', async () => {
    const { control, node } = setup();
    await node('m1', 'alpha', 'manager');
    const n = await control.getNode('alpha');
    await expect(control.updateNode('alpha', n.Version.Index, { Role: 'manager', Availability: 'sleep' })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: 'invalid availability "sleep": expected active, pause or drain',
    });
    await expect(control.updateNode('alpha', n.Version.Index, { Role: 'worker', Availability: 'active' })).rejects.toThrow(
      'attempting to demote the last manager of the swarm',
    );
    await control.updateNode('alpha', n.Version.Index, { Role: 'manager', Availability: 'drain' });
    await expect(control.updateNode('alpha', n.Version.Index, { Role: 'manager', Availability: 'active' })).rejects.toMatchObject({ code: 'Aborted' });
    await expect(control.removeNode('alpha')).rejects.toMatchObject({ code: 'FailedPrecondition' });
  });
});

describe('localControl: services and tasks', () => {
  it('filters services and adds ServiceStatus on request', async () => {
    const { control, store } = setup();
    const web = await control.createService(spec('web'));
    await control.createService(spec('api', { Mode: { Global: {} } }));
    expect((await control.listServices({ names: ['w'] })).map((s) => s.Spec.Name)).toEqual(['web']);
    expect((await control.listServices({ modes: ['global'] })).map((s) => s.Spec.Name)).toEqual(['api']);
    expect((await control.listServices({ labels: { app: 'api' } })).map((s) => s.Spec.Name)).toEqual(['api']);
    expect((await control.listServices())[0]).not.toHaveProperty('ServiceStatus');
    await store.update((tx) => {
      for (const [i, state] of (['running', 'running', 'failed'] as const).entries()) {
        tx.create('tasks', {
          ID: `t${i}`,
          ServiceID: web.ID,
          Slot: i + 1,
          Spec: web.Spec.TaskTemplate,
          Status: { State: state, Timestamp: '', Message: '' },
          DesiredState: state === 'failed' ? 'shutdown' : 'running',
        });
      }
    });
    const [status] = await control.listServices({ names: ['web'] }, { status: true });
    expect(status!.ServiceStatus).toEqual({ RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 0 });
  });

  it('lists tasks by service name, node, desired state, and only the up-to-date ones', async () => {
    const { control, store, node } = setup();
    await node('m1', 'alpha', 'manager');
    const web = await control.createService(spec('web'));
    const old = { ...web.Spec.TaskTemplate, ContainerSpec: { Image: 'swarmlab/whoami:0' } };
    await store.update((tx) => {
      tx.create('tasks', { ID: 'new1', Name: 'web.1.new1', ServiceID: web.ID, Slot: 1, NodeID: 'm1', Spec: web.Spec.TaskTemplate, Status: { State: 'running', Timestamp: '', Message: '' }, DesiredState: 'running' });
      tx.create('tasks', { ID: 'old1', Name: 'web.1.old1', ServiceID: web.ID, Slot: 1, Spec: old, Status: { State: 'shutdown', Timestamp: '', Message: '' }, DesiredState: 'shutdown' });
    });
    const ids = async (f: Parameters<typeof control.listTasks>[0]) => (await control.listTasks(f)).map((t) => t.ID).sort();
    expect(await ids({ services: ['web'] })).toEqual(['new1', 'old1']);
    expect(await ids({ services: ['web'], upToDate: true })).toEqual(['new1']);
    expect(await ids({ nodes: ['alpha'] })).toEqual(['new1']);
    expect(await ids({ desiredStates: ['shutdown'] })).toEqual(['old1']);
    expect(await ids({ names: ['web.1.o'] })).toEqual(['old1']);
    await expect(control.listTasks({ services: ['nope'] })).rejects.toMatchObject({ code: 'NotFound', message: 'service nope not found' });
    expect((await control.getTask('web.1.new1')).ID).toBe('new1');
    expect((await control.getTask('ol')).ID).toBe('old1');
  });
});

describe('localControl: the cluster', () => {
  const lab = clusterDefaults(TIMING_PROFILES.lab);

  it('a spec as the docker CLI sends it for init (zeros everywhere) gets the defaults', () => {
    const fromCli = {
      Name: '',
      Labels: null,
      Orchestration: {},
      Raft: { SnapshotInterval: 0, ElectionTick: 0, HeartbeatTick: 0 },
      Dispatcher: {},
      CAConfig: {},
      TaskDefaults: {},
      EncryptionConfig: { AutoLockManagers: false },
    };
    expect(clusterSpecFromClient(fromCli, lab)).toEqual(lab);
    expect(clusterSpecFromClient(undefined, lab)).toEqual(lab);
    const custom = clusterSpecFromClient({ ...fromCli, Orchestration: { TaskHistoryRetentionLimit: 10 }, Labels: { a: 'b' } }, lab);
    expect(custom.Orchestration).toEqual({ TaskHistoryRetentionLimit: 10, DefaultRestartDelay: TIMING_PROFILES.lab.restartDelay });
    expect(custom.Labels).toEqual({ a: 'b' });
  });

  it('refuses what Docker refuses, and what swarmlab does not do yet', () => {
    expect(() => clusterSpecFromClient({ Name: 'prod' }, lab)).toThrow('swarm spec must be named "default"');
    expect(() => clusterSpecFromClient({ Raft: { ElectionTik: 3 } }, lab)).toThrow('unknown field "ElectionTik" in Raft (did you mean "ElectionTick"?)');
    expect(() => clusterSpecFromClient({ EncryptionConfig: { AutoLockManagers: true } }, lab)).toThrow(/does not lock managers yet/);
    expect(() => clusterSpecFromClient({ Orchestration: { DefaultRestartDelay: -1 } }, lab)).toThrow(/invalid default restart delay/);
    expect(() => clusterSpecFromClient('default', lab)).toThrow(ControlError);
  });

  it('updates with the version read, keeps the restart delay Docker’s types drop, rotates tokens', async () => {
    const { control, store, rotations } = setup();
    await expect(control.getCluster()).rejects.toMatchObject({ code: 'NotFound', message: 'This node is not part of a swarm' });
    const restartDelay = 123_000_000;
    const initial: ClusterSpec = { ...lab, Orchestration: { TaskHistoryRetentionLimit: 5, DefaultRestartDelay: restartDelay } };
    await createCluster(store, { id: 'c1', spec: initial, joinTokens: { Worker: 'w0', Manager: 'm0' } });
    const c = await control.getCluster();
    const { Orchestration: _o, ...dockerSpec } = c.Spec;
    const updated = await control.updateCluster(c.Version.Index, { ...dockerSpec, Orchestration: { TaskHistoryRetentionLimit: 1 } }, { workerJoinToken: true });
    expect(updated.Spec.Orchestration).toEqual({ TaskHistoryRetentionLimit: 1, DefaultRestartDelay: restartDelay });
    expect(updated.JoinTokens).toEqual({ Worker: 'SWMTKN-1-x-worker1', Manager: 'm0' });
    expect(rotations).toEqual(['worker']);
    await expect(control.updateCluster(c.Version.Index, dockerSpec)).rejects.toMatchObject({ code: 'Aborted' });
    await expect(createCluster(store, { id: 'c2', spec: lab, joinTokens: { Worker: '', Manager: '' } })).rejects.toMatchObject({ code: 'AlreadyExists' });
  });

  it('turns Raft’s refusal into Unavailable', async () => {
    const { control, store } = setup();
    store.setProposer({ propose: () => Promise.reject(new NotLeaderError('')), readBarrier: async () => {} });
    const err = await control.createService(spec('web')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect(err).toMatchObject({ code: 'Unavailable', message: expect.stringMatching(/^the swarm does not have a leader/) });
  });
});
