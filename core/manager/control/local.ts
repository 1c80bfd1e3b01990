// The control API served from this manager's own store, through the control operations next to
// it. Reads see the local state; writes go through Raft, so on a follower they fail Unavailable
// naming the leader (SwarmKit forwards them to the leader instead; swarmd can wrap this).

import type { ClusterSpec, NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { DEFAULT_NODE_CERT_EXPIRY, DEFAULT_TASK_HISTORY, TIMING_PROFILES, type TimingProfile } from '../../api/defaults.ts';
import { validateNodeSpec } from '../../api/validate.ts';
import type { Random } from '../../random.ts';
import type { Store } from '../../store/store.ts';
import type { RaftMembership } from '../membership.ts';
import { isTaskDirty } from '../orchestrator/tasks.ts';
import type { ControlApi, DataObjectFilters, NetworkFilters, NodeFilters, ServiceFilters, TaskFilters } from './api.ts';
import { createConfig, getConfig, listConfigs, removeConfig, updateConfig } from './configs.ts';
import { createNetwork, matchNetwork, removeNetwork, resolveNetwork } from './networks.ts';
import { createSecret, getSecret, listSecrets, removeSecret, updateSecret } from './secrets.ts';
import { findCluster, updateCluster, type RotateToken } from './cluster.ts';
import { controlled } from './control-error.ts';
import { matchNode, matchService, matchTask } from './filters.ts';
import { removeNode, resolveNode, updateNode } from './nodes.ts';
import { serviceStatus } from './service-status.ts';
import { createService, removeService, resolveService, updateService } from './services.ts';
import { resolveTask } from './tasks.ts';

export interface LocalControlOptions {
  store: Store;
  membership: RaftMembership;
  random: Random;
  /** The Raft leader's node ID as this manager knows it ('' or undefined while there is none). */
  leader: () => string | undefined;
  /** A manager's cluster address (host:port) for ManagerStatus.Addr, when the store does not have it. */
  managerAddr?: (nodeId: string) => string | undefined;
  /** What a cluster spec field left at 0 means (default: SwarmKit's defaults, `lab` timings). */
  clusterDefaults?: () => ClusterSpec;
  rotateToken?: RotateToken;
}

/** SwarmKit's cluster defaults with a timing profile's values. */
export function clusterDefaults(profile: TimingProfile = TIMING_PROFILES.lab): ClusterSpec {
  return {
    Name: 'default',
    Orchestration: { TaskHistoryRetentionLimit: DEFAULT_TASK_HISTORY, DefaultRestartDelay: profile.restartDelay },
    Raft: {
      SnapshotInterval: 10_000,
      KeepOldSnapshots: 0,
      LogEntriesForSlowFollowers: 500,
      ElectionTick: profile.electionTick,
      HeartbeatTick: profile.heartbeatTick,
    },
    Dispatcher: { HeartbeatPeriod: profile.dispatcherHeartbeat },
    CAConfig: { NodeCertExpiry: DEFAULT_NODE_CERT_EXPIRY },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

export function localControl(o: LocalControlOptions): ControlApi {
  const { store, membership } = o;
  const services = { store, random: o.random };
  const nodes = { store, membership };
  const cluster = { store, defaults: o.clusterDefaults ?? (() => clusterDefaults()), rotateToken: o.rotateToken };

  /** ManagerStatus is Raft's to tell, at the time of the read, as SwarmKit fills it in. */
  const withManagerStatus = (view: { voters: string[]; reachable: string[]; leader: string | undefined }) => (n: NodeObject): NodeObject => {
    const { ManagerStatus: stored, ...rest } = n;
    if (!view.voters.includes(n.ID)) return rest;
    // Only the leader tracks who it hears from; a follower can vouch for itself and its leader.
    const known = membership.isLeader() ? view.reachable.includes(n.ID) : n.ID === membership.id || n.ID === view.leader;
    return {
      ...rest,
      ManagerStatus: {
        ...(n.ID === view.leader ? { Leader: true } : {}),
        Reachability: known ? 'reachable' : membership.isLeader() ? 'unreachable' : 'unknown',
        Addr: o.managerAddr?.(n.ID) || stored?.Addr || n.Status.Addr || '',
      },
    };
  };
  const raftView = () => ({ voters: membership.voters(), reachable: membership.reachable(), leader: o.leader() || undefined });

  const resolveTaskFilters = (f: TaskFilters) => {
    const serviceIds = f.services?.length ? new Set(f.services.map((ref) => resolveService(store, ref).ID)) : undefined;
    const nodeIds = f.nodes?.length ? new Set(f.nodes.map((ref) => resolveNode(store, ref).ID)) : undefined;
    const current = new Map<string, ServiceObject>();
    const upToDate = f.upToDate
      ? (t: TaskObject) => {
          let s = current.get(t.ServiceID);
          if (!s) {
            s = store.view((tx) => tx.get('services', t.ServiceID));
            if (s) current.set(s.ID, s);
          }
          return !!s && !isTaskDirty(s, t);
        }
      : undefined;
    const labels = new Map<string, Record<string, string> | undefined>();
    const serviceLabels = f.labels
      ? (serviceId: string) => {
          if (!labels.has(serviceId)) labels.set(serviceId, store.view((tx) => tx.get('services', serviceId))?.Spec.Labels);
          return labels.get(serviceId);
        }
      : undefined;
    return { ids: f.ids, names: f.names, labels: f.labels, desiredStates: f.desiredStates, serviceIds, nodeIds, upToDate, serviceLabels };
  };

  return {
    listNodes: (f: NodeFilters = {}) =>
      controlled(() => store.view((tx) => tx.find('nodes', (n) => matchNode(n, f))).map(withManagerStatus(raftView()))),
    getNode: (ref) => controlled(() => withManagerStatus(raftView())(resolveNode(store, ref))),
    updateNode: (ref, version, spec) =>
      controlled(async () => {
        const node = resolveNode(store, ref);
        await updateNode(nodes, node.ID, version, validateNodeSpec(spec));
      }),
    removeNode: (ref, opts = {}) => controlled(() => removeNode(nodes, resolveNode(store, ref).ID, !!opts.force)),

    listServices: (f: ServiceFilters = {}, opts = {}) =>
      controlled(() =>
        store.view((tx) =>
          tx.find('services', (s) => matchService(s, f)).map((s) => (opts.status ? { ...s, ServiceStatus: serviceStatus(tx, s) } : s)),
        ),
      ),
    getService: (ref) => controlled(() => resolveService(store, ref)),
    createService: (spec) => controlled(() => createService(services, spec)),
    updateService: (ref, version, spec, opts = {}) => controlled(() => updateService(services, ref, version, spec, opts)),
    removeService: (ref) => controlled(() => removeService(services, ref)),

    listTasks: (f: TaskFilters = {}) =>
      controlled(() => {
        const resolved = resolveTaskFilters(f);
        return store.view((tx) => tx.find('tasks', (t) => matchTask(t, resolved)));
      }),
    getTask: (ref) => controlled(() => resolveTask(store, ref)),

    getCluster: () => controlled(() => findCluster(store)),
    updateCluster: (version, spec, rotation) => controlled(() => updateCluster(cluster, version, spec, rotation)),

    listNetworks: (f: NetworkFilters = {}) => controlled(() => store.view((tx) => tx.find('networks', (n) => matchNetwork(n, f)))),
    getNetwork: (ref) => controlled(() => resolveNetwork(store, ref)),
    createNetwork: (spec) => controlled(() => createNetwork(services, spec)),
    removeNetwork: (ref) => controlled(() => removeNetwork(services, ref)),

    listSecrets: (f: DataObjectFilters = {}) => controlled(() => listSecrets(services, f)),
    getSecret: (ref) => controlled(() => getSecret(services, ref)),
    createSecret: (spec) => controlled(() => createSecret(services, spec)),
    updateSecret: (ref, version, spec) => controlled(() => updateSecret(services, ref, version, spec)),
    removeSecret: (ref) => controlled(() => removeSecret(services, ref)),

    listConfigs: (f: DataObjectFilters = {}) => controlled(() => listConfigs(services, f)),
    getConfig: (ref) => controlled(() => getConfig(services, ref)),
    createConfig: (spec) => controlled(() => createConfig(services, spec)),
    updateConfig: (ref, version, spec) => controlled(() => updateConfig(services, ref, version, spec)),
    removeConfig: (ref) => controlled(() => removeConfig(services, ref)),
  };
}
