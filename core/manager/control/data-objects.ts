// Secrets and configs, as SwarmKit's controlapi/secret.go and config.go handle them: names unique,
// only Labels may change, removal refused while a service refers to them. A secret's Data stays in
// the store (the dispatcher hands it to the nodes that run its tasks) but never leaves the control
// API; a config's Data does.

import type { ConfigObject, SecretObject, ServiceObject } from '../../api/objects.ts';
import { newId } from '../../api/ids.ts';
import { validateConfigSpec, validateSecretSpec } from '../../api/validate.ts';
import type { Random } from '../../random.ts';
import type { ReadTx, Store } from '../../store/store.ts';
import type { DataObjectFilters } from './api.ts';
import { ControlError } from './errors.ts';
import { matchLabels } from './filters.ts';

export interface DataControl {
  store: Store;
  random: Random;
}

export type DataKind = 'secret' | 'config';
type Table<K extends DataKind> = K extends 'secret' ? 'secrets' : 'configs';
type Obj<K extends DataKind> = K extends 'secret' ? SecretObject : ConfigObject;

const table = <K extends DataKind>(kind: K) => (kind === 'secret' ? 'secrets' : 'configs') as Table<K>;

/** What leaves the control API: a secret without its Data. */
export function shown<K extends DataKind>(kind: K, o: Obj<K>): Obj<K> {
  if (kind !== 'secret') return o;
  const { Data: _data, ...spec } = o.Spec;
  return { ...o, Spec: spec } as Obj<K>;
}

/** By ID, name or unambiguous ID prefix, as moby's getSecret/getConfig resolve them. */
export function findDataObject<K extends DataKind>(tx: ReadTx, kind: K, ref: string): Obj<K> {
  const t = table(kind);
  const byId = tx.get(t, ref) ?? tx.find(t, (o) => o.Spec.Name === ref)[0];
  if (byId) return byId as Obj<K>;
  const matches = ref === '' ? [] : tx.find(t, (o) => o.ID.startsWith(ref));
  if (matches.length === 1) return matches[0] as Obj<K>;
  if (matches.length > 1) throw new ControlError('InvalidArgument', `${kind} ${ref} is ambiguous (${matches.length} matches found)`);
  throw new ControlError('NotFound', `${kind} ${ref} not found`);
}

function anyPrefix(prefixes: string[] | undefined, value: string): boolean {
  return !prefixes?.length || prefixes.some((p) => value.startsWith(p));
}

export function listDataObjects<K extends DataKind>(c: DataControl, kind: K, f: DataObjectFilters = {}): Obj<K>[] {
  return c.store.view((tx) =>
    (tx.find(table(kind)) as Obj<K>[]).filter(
      (o) =>
        anyPrefix(f.ids, o.ID) &&
        anyPrefix(f.names, o.Spec.Name ?? '') &&
        (!f.exactNames?.length || f.exactNames.includes(o.Spec.Name ?? '')) &&
        matchLabels(o.Spec.Labels, f.labels),
    ),
  ).map((o) => shown(kind, o));
}

export function getDataObject<K extends DataKind>(c: DataControl, kind: K, ref: string): Obj<K> {
  return shown(kind, c.store.view((tx) => findDataObject(tx, kind, ref)));
}

const validate = (kind: DataKind, input: unknown, requireData: boolean) =>
  kind === 'secret' ? validateSecretSpec(input, { requireData }) : validateConfigSpec(input, { requireData });

export async function createDataObject<K extends DataKind>(c: DataControl, kind: K, input: unknown): Promise<Obj<K>> {
  const spec = validate(kind, input, true);
  const id = newId(c.random);
  await c.store.update((tx) => {
    if (tx.find(table(kind), (o) => o.Spec.Name === spec.Name).length > 0) {
      throw new ControlError('AlreadyExists', `${kind} ${spec.Name} already exists`);
    }
    if (kind === 'secret') tx.create('secrets', { ID: id, Spec: spec });
    else tx.create('configs', { ID: id, Spec: spec });
  });
  return getDataObject(c, kind, id);
}


/**
 * Only Labels may change (SwarmKit's rule): the name and the Data must stay as they are. An update
 * may leave a secret's Data out (Docker never returns it) or send the same again, as
 * `docker stack deploy` does on every deploy.
 */
export async function updateDataObject<K extends DataKind>(c: DataControl, kind: K, ref: string, version: number, input: unknown): Promise<Obj<K>> {
  const current = c.store.view((tx) => findDataObject(tx, kind, ref));
  const spec = validate(kind, input, false);
  const changed =
    spec.Name !== current.Spec.Name || (kind === 'secret' ? spec.Data !== undefined && spec.Data !== current.Spec.Data : (spec.Data ?? '') !== (current.Spec.Data ?? ''));
  if (changed) {
    throw new ControlError(
      'InvalidArgument',
      `only updates to Labels are allowed (to change a ${kind}'s ${spec.Name !== current.Spec.Name ? 'name' : 'data'}, create a new ${kind} and point the services at it)`,
    );
  }
  await c.store.update((tx) => {
    const cur = tx.get(table(kind), current.ID);
    if (!cur) throw new ControlError('NotFound', `${kind} ${ref} not found`);
    const labels = spec.Labels ?? {};
    tx.update(table(kind), { ...cur, Version: { Index: version }, Spec: { ...cur.Spec, Labels: labels } } as Obj<K>);
  });
  return getDataObject(c, kind, current.ID);
}

/** Whether a service's containers refer to the secret or config. */
export function refersTo(s: ServiceObject, kind: DataKind, o: { ID: string }): boolean {
  const c = s.Spec.TaskTemplate.ContainerSpec;
  return kind === 'secret' ? (c.Secrets ?? []).some((r) => r.SecretID === o.ID) : (c.Configs ?? []).some((r) => r.ConfigID === o.ID);
}

export async function removeDataObject(c: DataControl, kind: DataKind, ref: string): Promise<void> {
  const o = c.store.view((tx) => findDataObject(tx, kind, ref));
  await c.store.update((tx) => {
    if (!tx.get(table(kind), o.ID)) throw new ControlError('NotFound', `${kind} ${ref} not found`);
    const users = tx.find('services', (s) => refersTo(s, kind, o)).map((s) => s.Spec.Name ?? s.ID);
    if (users.length > 0) {
      const names = [...users].sort();
      throw new ControlError('InvalidArgument', `${kind} '${o.Spec.Name}' is in use by the following service${names.length > 1 ? 's' : ''}: ${names.join(', ')}`);
    }
    tx.delete(table(kind), o.ID);
  });
}
