// A new swarm's cluster object: SwarmKit's defaults, with the timing profile's values written into
// the spec (they are just cluster-spec values), and the profile's name as a label so that a joining
// manager runs Raft on the same tick.

import { DEFAULT_NODE_CERT_EXPIRY, DEFAULT_TASK_HISTORY, TIMING_PROFILES, type ProfileName } from '../api/defaults.ts';
import type { ClusterObject, ClusterSpec } from '../api/objects.ts';

export const PROFILE_LABEL = 'com.swarmlab.profile';

export function defaultClusterSpec(profile: ProfileName): ClusterSpec {
  const t = TIMING_PROFILES[profile];
  return {
    Name: 'default',
    Labels: { [PROFILE_LABEL]: profile },
    Orchestration: { TaskHistoryRetentionLimit: DEFAULT_TASK_HISTORY, DefaultRestartDelay: t.restartDelay },
    Raft: { SnapshotInterval: 10_000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: t.electionTick, HeartbeatTick: t.heartbeatTick },
    Dispatcher: { HeartbeatPeriod: t.dispatcherHeartbeat },
    CAConfig: { NodeCertExpiry: DEFAULT_NODE_CERT_EXPIRY },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

export function profileOf(cluster: ClusterObject | undefined): ProfileName {
  return cluster?.Spec.Labels?.[PROFILE_LABEL] === 'swarm' ? 'swarm' : 'lab';
}
