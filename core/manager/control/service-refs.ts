// What a service spec refers to, checked against the store in the transaction that writes the
// service, as SwarmKit's controlapi and moby's daemon do: networks by name, ID or ID prefix stored
// as IDs (never the ingress network, never twice), secrets and configs that exist (by ID, else by
// name) with their File target defaulted and unique, and published ports no other service holds.

import type { ConfigReference, PortConfig, SecretReference, ServiceObject, ServiceSpec } from '../../api/objects.ts';
import type { ReadTx } from '../../store/store.ts';
import { ControlError } from './errors.ts';
import { findNetwork, isIngress } from './networks.ts';

/** Default File target of a reference whose File (or File.Name) was left out: Docker's. */
const SECRET_FILE_DEFAULTS = { UID: '0', GID: '0', Mode: 0o444 };

function resolveNetworks(tx: ReadTx, spec: ServiceSpec): ServiceSpec['TaskTemplate']['Networks'] {
  const attachments = spec.TaskTemplate.Networks;
  if (!attachments?.length) return attachments;
  const seen = new Map<string, string>();
  return attachments.map((a) => {
    const n = findNetwork(tx, a.Target);
    if (isIngress(n)) {
      throw new ControlError('InvalidArgument', `Service cannot be explicitly attached to the ingress network "${n.Spec.Name ?? n.ID}"`);
    }
    const earlier = seen.get(n.ID);
    if (earlier !== undefined) {
      throw new ControlError('InvalidArgument', `network ${a.Target} is attached twice (also as ${earlier}): attach each network once`);
    }
    seen.set(n.ID, a.Target);
    return { ...a, Target: n.ID };
  });
}

type Ref = { ID: string; Name: string; File?: SecretReference['File'] };

/** Finds each reference's object (by ID, else by name), fills in ID, name and the File target. */
function resolveFileRefs(tx: ReadTx, kind: 'secret' | 'config', refs: Ref[]): Ref[] {
  const table = kind === 'secret' ? 'secrets' : 'configs';
  const failed: string[] = [];
  const out = refs.map((r) => {
    const o = r.ID ? tx.get(table, r.ID) : tx.find(table, (x) => x.Spec.Name === r.Name)[0];
    // As SwarmKit: an ID whose object has another name is no match.
    if (!o || (r.ID && r.Name && o.Spec.Name !== r.Name)) {
      failed.push(r.Name || r.ID);
      return r;
    }
    const name = o.Spec.Name ?? o.ID;
    const defaultName = kind === 'secret' ? name : `/${name}`;
    const file = { ...SECRET_FILE_DEFAULTS, ...r.File, Name: r.File?.Name || defaultName };
    return { ID: o.ID, Name: name, File: file };
  });
  if (failed.length > 0) {
    throw new ControlError('InvalidArgument', `${failed.length === 1 ? kind : `${kind}s`} not found: ${failed.join(', ')}`);
  }
  const targets = new Map<string, string>();
  for (const r of out) {
    const prev = targets.get(r.File!.Name);
    if (prev !== undefined) {
      throw new ControlError('InvalidArgument', `${kind} references '${prev}' and '${r.Name}' have a conflicting target: '${r.File!.Name}'`);
    }
    targets.set(r.File!.Name, r.Name);
  }
  return out;
}

const portKey = (p: PortConfig) => `${p.PublishedPort}/${p.Protocol ?? 'tcp'}`;
const modeOf = (p: PortConfig) => p.PublishMode ?? 'ingress';

/**
 * SwarmKit's checkPortConflicts: a published port another service holds, in its spec or as
 * allocated (Endpoint.Ports), is refused; host-mode ports may be shared by host-mode services.
 */
function checkPortConflicts(tx: ReadTx, spec: ServiceSpec, serviceId: string | undefined): void {
  const ingress = new Set<string>();
  const host = new Set<string>();
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    if (!p.PublishedPort) continue;
    (modeOf(p) === 'host' ? host : ingress).add(portKey(p));
  }
  if (ingress.size === 0 && host.size === 0) return;
  const inUse = (p: PortConfig, s: ServiceObject) => {
    if (!p.PublishedPort) return;
    const key = portKey(p);
    const name = s.Spec.Name ?? '';
    if (modeOf(p) === 'host') {
      if (ingress.has(key)) {
        throw new ControlError('InvalidArgument', `port '${p.PublishedPort}' is already in use by service '${name}' (${s.ID}) as a host-published port`);
      }
    } else if (ingress.has(key) || host.has(key)) {
      throw new ControlError('InvalidArgument', `port '${p.PublishedPort}' is already in use by service '${name}' (${s.ID}) as an ingress port`);
    }
  };
  for (const s of tx.find('services', (s) => s.ID !== serviceId)) {
    for (const p of s.Spec.EndpointSpec?.Ports ?? []) inUse(p, s);
    for (const p of s.Endpoint?.Ports ?? []) inUse(p, s);
  }
}

/** The spec as it is stored: references resolved and checked. Throws a ControlError otherwise. */
export function resolveServiceRefs(tx: ReadTx, spec: ServiceSpec, serviceId?: string): ServiceSpec {
  const networks = resolveNetworks(tx, spec);
  const c = spec.TaskTemplate.ContainerSpec;
  const secrets = c.Secrets?.length
    ? resolveFileRefs(tx, 'secret', c.Secrets.map((r) => ({ ID: r.SecretID, Name: r.SecretName, File: r.File }))).map(
        (r): SecretReference => ({ File: r.File, SecretID: r.ID, SecretName: r.Name }),
      )
    : c.Secrets;
  const configs = c.Configs?.length
    ? resolveFileRefs(tx, 'config', c.Configs.map((r) => ({ ID: r.ConfigID, Name: r.ConfigName, File: r.File }))).map(
        (r): ConfigReference => ({ File: r.File, ConfigID: r.ID, ConfigName: r.Name }),
      )
    : c.Configs;
  checkPortConflicts(tx, spec, serviceId);
  const containerSpec = { ...c };
  if (secrets) containerSpec.Secrets = secrets;
  if (configs) containerSpec.Configs = configs;
  const taskTemplate = { ...spec.TaskTemplate, ContainerSpec: containerSpec };
  if (networks) taskTemplate.Networks = networks;
  return { ...spec, TaskTemplate: taskTemplate };
}
