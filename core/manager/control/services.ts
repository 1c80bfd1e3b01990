// Control operations on services: every spec is validated at this boundary, names are unique,
// updates carry the version they were based on, and `rollback` returns to the previous spec.

import type { ServiceObject, ServiceSpec } from '../../api/objects.ts';
import { newId } from '../../api/ids.ts';
import { SpecError, validateServiceSpec } from '../../api/validate.ts';
import type { Random } from '../../random.ts';
import type { Store } from '../../store/store.ts';
import { ControlError } from './errors.ts';
import { resolveServiceRefs } from './service-refs.ts';

export interface ServiceControl {
  store: Store;
  random: Random;
}

function validate(input: unknown): ServiceSpec {
  try {
    return validateServiceSpec(input);
  } catch (err) {
    if (err instanceof SpecError) throw new ControlError('InvalidArgument', err.message);
    throw err;
  }
}

/** A service by ID, name, or unambiguous ID prefix, as the Docker CLI resolves them. */
export function resolveService(store: Store, ref: string): ServiceObject {
  return store.view((tx) => {
    const byId = tx.get('services', ref) ?? tx.byName('services', ref);
    if (byId) return byId;
    const matches = tx.find('services', (s) => s.ID.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new ControlError('InvalidArgument', `service ${ref} is ambiguous (${matches.length} matches found)`);
    throw new ControlError('NotFound', `service ${ref} not found`);
  });
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'nifty', 'quirky', 'serene', 'witty'];
const SCIENTISTS = ['curie', 'hopper', 'lovelace', 'turing', 'noether', 'shannon', 'knuth', 'liskov', 'lamport', 'ritchie'];

export async function createService(c: ServiceControl, input: unknown): Promise<ServiceObject> {
  const spec = validate(input);
  const id = newId(c.random);
  // Docker names an unnamed service like a container: adjective_scientist.
  const name = spec.Name || `${ADJECTIVES[c.random.int(ADJECTIVES.length)]}_${SCIENTISTS[c.random.int(SCIENTISTS.length)]}`;
  await c.store.update((tx) => {
    const clash = tx.byName('services', name);
    if (clash) throw new ControlError('AlreadyExists', `name conflicts with an existing object: service ${name} exists with ID ${clash.ID}`);
    tx.create('services', { ID: id, Spec: resolveServiceRefs(tx, { ...spec, Name: name }) });
  });
  return resolveService(c.store, id);
}

export interface UpdateOptions {
  /** Docker's `rollback=previous`: return to the previous spec (the body's spec is ignored). */
  rollback?: 'previous';
}

export async function updateService(
  c: ServiceControl,
  ref: string,
  version: number,
  input: unknown,
  opts: UpdateOptions = {},
): Promise<ServiceObject> {
  const current = resolveService(c.store, ref);
  let spec: ServiceSpec;
  if (opts.rollback === 'previous') {
    if (!current.PreviousSpec) {
      throw new ControlError('FailedPrecondition', `service ${current.ID} does not have a previous spec`);
    }
    spec = current.PreviousSpec;
  } else {
    spec = validate(input);
  }
  if (('Global' in spec.Mode) !== ('Global' in current.Spec.Mode)) {
    throw new ControlError('InvalidArgument', 'service mode change is not allowed');
  }
  if ((spec.Name || current.Spec.Name) !== current.Spec.Name) {
    throw new ControlError('InvalidArgument', 'renaming services is not supported');
  }
  await c.store.update((tx) => {
    const s = tx.get('services', current.ID);
    if (!s) throw new ControlError('NotFound', `service ${ref} not found`);
    // A rollback returns to a spec that was resolved once already; its objects must still exist.
    const resolved = resolveServiceRefs(tx, { ...spec, Name: s.Spec.Name }, s.ID);
    const next: ServiceObject = { ...s, Version: { Index: version }, Spec: resolved, PreviousSpec: s.Spec };
    if (opts.rollback === 'previous') next.UpdateStatus = { State: 'rollback_started', Message: 'manually requested rollback' };
    // As SwarmKit: every update starts afresh (the update supervisor sets the status again), so
    // an update paused on a failure resumes with the next `service update`, even an unchanged one.
    else delete next.UpdateStatus;
    tx.update('services', next);
  });
  return resolveService(c.store, current.ID);
}

export async function removeService(c: ServiceControl, ref: string): Promise<void> {
  const s = resolveService(c.store, ref);
  await c.store.update((tx) => tx.delete('services', s.ID));
}
