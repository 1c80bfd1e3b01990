// ClusterSpec validation (`POST /swarm/update`; `POST /swarm/init` once the API layer has filled
// in Docker's defaults for the fields the client left at zero).

import type { ClusterSpec } from '../objects.ts';
import { MIN_NODE_CERT_EXPIRY, TIMING_PROFILES } from '../defaults.ts';
import { bool, crossCheck, labels, num, obj, parseSpec, str } from './fields.ts';
import { formatDuration } from './format.ts';

const DEFAULT_TICKS = TIMING_PROFILES.swarm;

const raft = crossCheck(
  obj(
    {
      SnapshotInterval: num('snapshot interval', { kind: 'count', min: 1 }).optional(),
      KeepOldSnapshots: num('kept old snapshots', { kind: 'count' }).optional(),
      LogEntriesForSlowFollowers: num('log entries for slow followers', { kind: 'count' }).optional(),
      ElectionTick: num('election tick', { kind: 'count', min: 1 }).optional(),
      HeartbeatTick: num('heartbeat tick', { kind: 'count', min: 1 }).optional(),
    },
    { thing: 'raft config' },
  ),
  (r, report) => {
    const election = r.ElectionTick ?? DEFAULT_TICKS.electionTick;
    const heartbeat = r.HeartbeatTick ?? DEFAULT_TICKS.heartbeatTick;
    if (election > heartbeat) return;
    if (r.ElectionTick !== undefined) {
      const of = r.HeartbeatTick !== undefined ? `${heartbeat}` : `${heartbeat}, the default`;
      report(`invalid election tick: must be greater than the heartbeat tick (${of}), got ${election}`, ['ElectionTick']);
    } else {
      report(`invalid heartbeat tick: must be less than the election tick (${election}, the default), got ${heartbeat}`, [
        'HeartbeatTick',
      ]);
    }
  },
);

export const clusterSpecSchema = obj(
  {
    Name: str('cluster name').optional(),
    Labels: labels('cluster labels').optional(),
    Orchestration: obj(
      { TaskHistoryRetentionLimit: num('task history retention limit', { kind: 'count' }).optional() },
      { thing: 'orchestration config' },
    ).optional(),
    Raft: raft.optional(),
    Dispatcher: obj(
      {
        HeartbeatPeriod: num('dispatcher heartbeat period', {
          kind: 'duration',
          min: 1,
          tooSmall: (v) => `invalid dispatcher heartbeat period: must be more than 0s, got ${formatDuration(v)}`,
        }).optional(),
      },
      { thing: 'dispatcher config' },
    ).optional(),
    CAConfig: obj(
      {
        NodeCertExpiry: num('certificate expiry', {
          kind: 'duration',
          min: MIN_NODE_CERT_EXPIRY,
          tooSmall: (v) =>
            // SwarmKit's words, then what was asked for.
            `minimum certificate expiry time is: ${formatDuration(MIN_NODE_CERT_EXPIRY)} (got ${formatDuration(v)})`,
        }).optional(),
      },
      { thing: 'CA config', unsupported: ['ExternalCAs', 'SigningCACert', 'SigningCAKey', 'ForceRotate'] },
    ).optional(),
    TaskDefaults: obj({}, { thing: 'task defaults', unsupported: ['LogDriver'] }).optional(),
    EncryptionConfig: obj({ AutoLockManagers: bool('autolock setting').optional() }, { thing: 'encryption config' }).optional(),
  },
  { thing: 'cluster spec' },
);

export function validateClusterSpec(input: unknown): ClusterSpec {
  return parseSpec(clusterSpecSchema, input, { thing: 'cluster spec', name: 'ClusterSpec' });
}
