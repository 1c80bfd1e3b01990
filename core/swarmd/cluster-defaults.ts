// A new swarm's cluster spec: SwarmKit's defaults with the timing profile's values (they are just
// cluster-spec values), and the profile's name as a label, so that a manager joining later runs
// Raft on the same tick.

import { TIMING_PROFILES, type ProfileName } from '../api/defaults.ts';
import type { ClusterObject, ClusterSpec } from '../api/objects.ts';
import { ControlError } from '../manager/control/errors.ts';
import { clusterDefaults } from '../manager/control/local.ts';

export const PROFILE_LABEL = 'com.swarmlab.profile';

export function defaultClusterSpec(profile: ProfileName): ClusterSpec {
  return { ...clusterDefaults(TIMING_PROFILES[profile]), Labels: { [PROFILE_LABEL]: profile } };
}

export function profileOf(cluster: ClusterObject | undefined): ProfileName {
  return cluster?.Spec.Labels?.[PROFILE_LABEL] === 'swarm' ? 'swarm' : 'lab';
}

/**
 * The profile a `swarm init` spec asks for by the label (a lab file's `cluster.profile`), which
 * overrides the node's --profile: the label is what joining managers go by, so the two must agree.
 */
export function requestedProfile(spec: unknown): ProfileName | undefined {
  const labels = (spec as ClusterSpec | undefined)?.Labels;
  const v: unknown = labels && typeof labels === 'object' ? labels[PROFILE_LABEL] : undefined;
  if (v === undefined || v === '') return undefined;
  if (v === 'lab' || v === 'swarm') return v;
  throw new ControlError('InvalidArgument', `invalid label ${PROFILE_LABEL}=${JSON.stringify(v)}: expected lab or swarm`);
}
