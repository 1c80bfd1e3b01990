// A new swarm's cluster spec: SwarmKit's defaults with the timing profile's values (they are just
// cluster-spec values), and the profile's name as a label, so that a manager joining later runs
// Raft on the same tick.

import { TIMING_PROFILES, type ProfileName } from '../api/defaults.ts';
import type { ClusterObject, ClusterSpec } from '../api/objects.ts';
import { clusterDefaults } from '../manager/control/local.ts';

export const PROFILE_LABEL = 'com.swarmlab.profile';

export function defaultClusterSpec(profile: ProfileName): ClusterSpec {
  return { ...clusterDefaults(TIMING_PROFILES[profile]), Labels: { [PROFILE_LABEL]: profile } };
}

export function profileOf(cluster: ClusterObject | undefined): ProfileName {
  return cluster?.Spec.Labels?.[PROFILE_LABEL] === 'swarm' ? 'swarm' : 'lab';
}
