// Control operations on the cluster object: its spec as clients send it (Docker fills nothing in:
// a field left at 0 or null takes the default, as SwarmKit does for both `swarm init` and `swarm
// update`), version-checked updates, and join-token rotation.

import type { ClusterObject, ClusterSpec } from '../../api/objects.ts';
import { validateClusterSpec } from '../../api/validate.ts';
import type { Store } from '../../store/store.ts';
import type { ClusterRotation } from './api.ts';
import { toControlError } from './control-error.ts';
import { ControlError } from './errors.ts';

/** Makes a new join token; the CA owns the format (SWMTKN-1-<root digest>-<secret>). */
export type RotateToken = (kind: 'worker' | 'manager') => string | Promise<string>;

export interface ClusterControl {
  store: Store;
  /** SwarmKit's defaults with the timing profile's values (what a 0 or a missing field means). */
  defaults: () => ClusterSpec;
  /** Absent until the CA can make tokens: a rotation is then refused. */
  rotateToken?: RotateToken;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's zero values, which is what a Go client sends for "not set". */
const isZero = (v: unknown) => v === undefined || v === null || v === 0 || v === '';

/**
 * `raw` over `defaults`, where every zero in `raw` (at any depth) falls back to the default.
 * Labels are a value, not a structure: given, they replace the default ones.
 */
function overDefaults(raw: unknown, defaults: unknown): unknown {
  if (isZero(raw)) return defaults === undefined ? raw : structuredClone(defaults);
  if (!isPlainObject(raw) || !isPlainObject(defaults)) return raw;
  const out: Record<string, unknown> = structuredClone(defaults);
  for (const [k, v] of Object.entries(raw)) {
    const d = Object.hasOwn(defaults, k) ? defaults[k] : undefined;
    const merged = k === 'Labels' ? (isZero(v) ? d : v) : overDefaults(v, d);
    if (merged === undefined || merged === null) delete out[k];
    else Object.defineProperty(out, k, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * A cluster spec from a client, validated, with defaults for whatever it leaves at zero. The
 * restart delay the timing profile sets (an extension Docker's types do not carry, so a spec that
 * went through the docker CLI comes back without it) is kept from `keep`, else the default.
 */
export function clusterSpecFromClient(raw: unknown, defaults: ClusterSpec, keep?: ClusterSpec): ClusterSpec {
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) {
    throw new ControlError('InvalidArgument', 'invalid cluster spec: expected an object');
  }
  const input: Record<string, unknown> = { ...(raw ?? {}) };
  const name = input.Name;
  if (!isZero(name) && name !== 'default') throw new ControlError('InvalidArgument', 'swarm spec must be named "default"');
  // The extension goes around the validator, which knows only Docker's fields.
  let restartDelay = keep?.Orchestration?.DefaultRestartDelay ?? defaults.Orchestration?.DefaultRestartDelay;
  if (isPlainObject(input.Orchestration) && 'DefaultRestartDelay' in input.Orchestration) {
    const { DefaultRestartDelay: d, ...rest } = input.Orchestration;
    if (d !== undefined && d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
      throw new ControlError('InvalidArgument', `invalid default restart delay: expected a duration in nanoseconds ≥ 0, got ${JSON.stringify(d)}`);
    }
    if (typeof d === 'number') restartDelay = d;
    input.Orchestration = rest;
  }
  const { Orchestration, ...dockerDefaults } = defaults;
  const { DefaultRestartDelay: _d, ...dockerOrchestration } = Orchestration ?? {};
  const merged = overDefaults(input, { ...dockerDefaults, Orchestration: dockerOrchestration });
  let spec: ClusterSpec;
  try {
    spec = validateClusterSpec(merged);
  } catch (err) {
    throw toControlError(err);
  }
  if (spec.EncryptionConfig?.AutoLockManagers) {
    throw new ControlError('InvalidArgument', 'invalid encryption config: swarmlab does not lock managers yet (autolock); leave AutoLockManagers false');
  }
  if (restartDelay !== undefined) spec.Orchestration = { ...spec.Orchestration, DefaultRestartDelay: restartDelay };
  return spec;
}

/** The cluster object, created by the first manager when the swarm is initialized. */
export function findCluster(store: Store): ClusterObject {
  const cluster = store.view((tx) => tx.find('clusters')[0]);
  if (!cluster) throw new ControlError('NotFound', 'This node is not part of a swarm');
  return cluster;
}

export interface NewCluster {
  id: string;
  spec: ClusterSpec;
  joinTokens: { Worker: string; Manager: string };
  extra?: Partial<Omit<ClusterObject, 'ID' | 'Spec' | 'JoinTokens' | 'Version' | 'CreatedAt' | 'UpdatedAt'>>;
}

/** Writes the cluster object of a new swarm (`swarm init`); a swarm has exactly one. */
export async function createCluster(store: Store, c: NewCluster): Promise<ClusterObject> {
  try {
    await store.update((tx) => {
      const existing = tx.find('clusters')[0];
      if (existing) throw new ControlError('AlreadyExists', `the swarm already has its cluster object (${existing.ID})`);
      tx.create('clusters', { ...c.extra, ID: c.id, Spec: c.spec, JoinTokens: c.joinTokens });
    });
  } catch (err) {
    throw toControlError(err);
  }
  return findCluster(store);
}

export async function updateCluster(c: ClusterControl, version: number, raw: unknown, rotation: ClusterRotation = {}): Promise<ClusterObject> {
  const current = findCluster(c.store);
  const spec = clusterSpecFromClient(raw, c.defaults(), current.Spec);
  if (rotation.managerUnlockKey) {
    throw new ControlError('FailedPrecondition', 'swarmlab does not lock managers yet: there is no unlock key to rotate');
  }
  const tokens = { ...(current.JoinTokens ?? { Worker: '', Manager: '' }) };
  if (rotation.workerJoinToken || rotation.managerJoinToken) {
    if (!c.rotateToken) throw new ControlError('FailedPrecondition', 'join tokens cannot be rotated: this manager has no certificate authority');
    if (rotation.workerJoinToken) tokens.Worker = await c.rotateToken('worker');
    if (rotation.managerJoinToken) tokens.Manager = await c.rotateToken('manager');
  }
  try {
    await c.store.update((tx) => {
      const cur = tx.get('clusters', current.ID);
      if (!cur) throw new ControlError('NotFound', 'This node is not part of a swarm');
      tx.update('clusters', { ...cur, Version: { Index: version }, Spec: spec, JoinTokens: tokens });
    });
  } catch (err) {
    throw toControlError(err);
  }
  return findCluster(c.store);
}
