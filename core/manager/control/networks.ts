// Control operations on networks, after SwarmKit's controlapi/network.go and moby's daemon: specs
// validated (overlay only), names unique, a subnet for every network (the caller's, checked for
// overlaps, or the next free /24 of Docker's default pool, 10.0.0.0/8), and removal refused while a
// service or a running task uses the network. The swarm's `ingress` network (10.0.0.0/24) is made
// with the swarm and, for a swarm restored without one, by the leader (see ensureIngress).

import type { NetworkObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { newId } from '../../api/ids.ts';
import { meantToRun, stateRank } from '../../api/task-state.ts';
import { formatCidr, formatIPv4, overlaps, parseCidr, type Subnet } from '../../api/validate/cidr.ts';
import { PREDEFINED_NETWORKS, validateNetworkSpec, type NetworkSpec } from '../../api/validate/network.ts';
import type { Random } from '../../random.ts';
import type { ReadTx, Store, Tx } from '../../store/store.ts';
import type { NetworkFilters } from './api.ts';
import { ControlError } from './errors.ts';
import { matchLabels } from './filters.ts';

export interface NetworkControl {
  store: Store;
  random: Random;
}

export const INGRESS_NAME = 'ingress';
export const INGRESS_SUBNET = '10.0.0.0/24';
export const INGRESS_GATEWAY = '10.0.0.1';
/** Docker's default address pool and subnet size. */
const POOL = parseCidr('10.0.0.0/8')!;
const POOL_SUBNET_BITS = 24;
/** The first VXLAN ID Docker's overlay driver hands out (the ingress network usually has it). */
export const FIRST_VXLAN_ID = 4096;
export const VXLAN_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';

export const isIngress = (n: NetworkObject): boolean => n.Spec.Ingress === true;

/** The subnets a network has: allocated (IPAM), else the ones its spec asked for. */
export function networkSubnets(n: NetworkObject): string[] {
  const configs = n.IPAM?.Configs ?? n.Spec.IPAMOptions?.Configs ?? [];
  return configs.map((c) => c.Subnet).filter((s): s is string => !!s);
}

/** A network by ID, name or unambiguous ID prefix, as moby's findNetwork resolves them. */
export function findNetwork(tx: ReadTx, ref: string): NetworkObject {
  const byId = tx.get('networks', ref);
  if (byId) return byId;
  const byName = tx.find('networks', (n) => n.Spec.Name === ref);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new ControlError('InvalidArgument', `network ${ref} is ambiguous (${byName.length} matches found based on name)`);
  const byPrefix = ref === '' ? [] : tx.find('networks', (n) => n.ID.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw new ControlError('InvalidArgument', `network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
  throw new ControlError('NotFound', `network ${ref} not found`);
}

export const resolveNetwork = (store: Store, ref: string): NetworkObject => store.view((tx) => findNetwork(tx, ref));

function anyPrefix(prefixes: string[] | undefined, value: string): boolean {
  return !prefixes?.length || prefixes.some((p) => value.startsWith(p));
}

export function matchNetwork(n: NetworkObject, f: NetworkFilters): boolean {
  return (
    anyPrefix(f.ids, n.ID) &&
    anyPrefix(f.names, n.Spec.Name ?? '') &&
    (!f.exactNames?.length || f.exactNames.includes(n.Spec.Name ?? '')) &&
    matchLabels(n.Spec.Labels, f.labels)
  );
}

const OVERLAP = 'invalid pool request: Pool overlaps with other one on this address space';

/** Every subnet in use, with the network that has it. */
function subnetsInUse(tx: ReadTx): { subnet: Subnet; text: string; network: NetworkObject }[] {
  const out: { subnet: Subnet; text: string; network: NetworkObject }[] = [];
  for (const n of tx.find('networks')) {
    for (const text of networkSubnets(n)) {
      const subnet = parseCidr(text);
      if (subnet) out.push({ subnet, text, network: n });
    }
  }
  return out;
}

/** The next /24 of 10.0.0.0/8 that overlaps no network's subnet; 10.0.0.0/24 only for the ingress network. */
function nextFreeSubnet(tx: ReadTx, ingress: boolean): Subnet {
  const used = subnetsInUse(tx).map((u) => u.subnet);
  const size = 2 ** (32 - POOL_SUBNET_BITS);
  const first = ingress ? POOL.base : POOL.base + size;
  for (let base = first; base < POOL.base + 2 ** (32 - POOL.bits); base += size) {
    const candidate = { base, bits: POOL_SUBNET_BITS };
    if (!used.some((u) => overlaps(u, candidate))) return candidate;
  }
  throw new ControlError('FailedPrecondition', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

function nextVxlanId(tx: ReadTx): number {
  const used = new Set(tx.find('networks').map((n) => Number(n.DriverState?.Options?.[VXLAN_OPTION] ?? NaN)));
  let id = FIRST_VXLAN_ID;
  while (used.has(id)) id++;
  return id;
}

/** The allocated IPAM configs: the spec's (checked for overlaps, gateway defaulted) or a free /24. */
function allocateIpam(tx: ReadTx, spec: NetworkSpec): NonNullable<NetworkObject['IPAM']> {
  const asked = spec.IPAMOptions?.Configs ?? [];
  if (asked.length === 0) {
    const subnet = nextFreeSubnet(tx, spec.Ingress === true);
    return { Configs: [{ Subnet: formatCidr(subnet), Gateway: formatIPv4(subnet.base + 1) }] };
  }
  const used = subnetsInUse(tx);
  const mine: Subnet[] = [];
  const configs = asked.map((c) => {
    const subnet = parseCidr(c.Subnet!)!;
    const clash = used.find((u) => overlaps(u.subnet, subnet));
    if (clash) {
      throw new ControlError(
        'FailedPrecondition',
        `${OVERLAP}: subnet ${c.Subnet} overlaps ${clash.text} of network ${clash.network.Spec.Name ?? clash.network.ID}; choose another --subnet, or leave it out for a free one`,
      );
    }
    if (mine.some((m) => overlaps(m, subnet))) throw new ControlError('InvalidArgument', `${OVERLAP}: subnet ${c.Subnet} is given twice`);
    mine.push(subnet);
    return { Subnet: c.Subnet!, Gateway: c.Gateway || formatIPv4(subnet.base + 1) };
  });
  return { Configs: configs };
}

function networkObject(tx: ReadTx, id: string, spec: NetworkSpec): Omit<NetworkObject, 'Version' | 'CreatedAt' | 'UpdatedAt'> {
  return {
    ID: id,
    Spec: spec,
    IPAM: allocateIpam(tx, spec),
    DriverState: { Name: 'overlay', Options: { ...spec.DriverConfiguration?.Options, [VXLAN_OPTION]: String(nextVxlanId(tx)) } },
  };
}

/** Docker's name conflict, as its daemon words it before asking the swarm. */
export const nameConflict = (name: string) => `network with name ${name} already exists`;

export async function createNetwork(c: NetworkControl, input: unknown): Promise<NetworkObject> {
  const spec = validateNetworkSpec(input);
  const name = spec.Name!;
  if (PREDEFINED_NETWORKS.includes(name)) {
    throw new ControlError('InvalidArgument', `${name} is a pre-defined network and cannot be created`);
  }
  if (spec.Labels && Object.hasOwn(spec.Labels, 'com.docker.swarm.predefined')) {
    throw new ControlError('InvalidArgument', 'label com.docker.swarm.predefined is for internally created predefined networks and cannot be applied by users');
  }
  const id = newId(c.random);
  await c.store.update((tx) => {
    if (tx.find('networks', (n) => n.Spec.Name === name).length > 0) throw new ControlError('AlreadyExists', nameConflict(name));
    if (spec.Ingress) {
      const existing = tx.find('networks', isIngress)[0];
      if (existing) throw new ControlError('AlreadyExists', `ingress network (${existing.ID}) is already present`);
    }
    tx.create('networks', networkObject(tx, id, spec));
  });
  return resolveNetwork(c.store, id);
}

/** Whether a service uses the routing mesh: it publishes a port in ingress mode (SwarmKit's IsIngressNetworkNeeded). */
export function needsIngress(s: ServiceObject): boolean {
  const ports = [...(s.Spec.EndpointSpec?.Ports ?? []), ...(s.Endpoint?.Ports ?? [])];
  return ports.some((p) => (p.PublishMode ?? 'ingress') === 'ingress');
}

const usesNetwork = (s: ServiceObject, id: string) => (s.Spec.TaskTemplate.Networks ?? []).some((a) => a.Target === id);
/** SwarmKit's test: a task meant to run that has not finished. */
const taskOnNetwork = (t: TaskObject, id: string) =>
  (t.NetworksAttachments ?? []).some((a) => a.Network.ID === id) && meantToRun(t) && stateRank(t.Status.State) <= stateRank('running');

export async function removeNetwork(c: NetworkControl, ref: string): Promise<void> {
  const n = resolveNetwork(c.store, ref);
  await c.store.update((tx) => {
    if (!tx.get('networks', n.ID)) throw new ControlError('NotFound', `network ${ref} not found`);
    if (isIngress(n)) {
      const user = tx.find('services', needsIngress)[0];
      if (user) throw new ControlError('FailedPrecondition', `ingress network cannot be removed because service ${user.ID} depends on it`);
    } else {
      const user = tx.find('services', (s) => usesNetwork(s, n.ID))[0];
      if (user) throw new ControlError('FailedPrecondition', `network ${n.ID} is in use by service ${user.ID}`);
      // A removed service's tasks are on their way out (the orchestrator stops them just after):
      // they do not hold the network, so `docker stack rm` can remove services and networks in turn.
      const task = tx.find('tasks', (t) => taskOnNetwork(t, n.ID) && tx.get('services', t.ServiceID) !== undefined)[0];
      if (task) throw new ControlError('FailedPrecondition', `network ${n.ID} is in use by task ${task.ID}`);
    }
    tx.delete('networks', n.ID);
  });
}

/** The ingress network as swarm init makes it: overlay, 10.0.0.0/24, gateway 10.0.0.1. */
export function ingressSpec(): NetworkSpec {
  return {
    Name: INGRESS_NAME,
    Labels: {},
    DriverConfiguration: { Name: 'overlay' },
    Ingress: true,
    IPAMOptions: { Configs: [{ Subnet: INGRESS_SUBNET, Gateway: INGRESS_GATEWAY }] },
  };
}

/**
 * Creates the ingress network in `tx` when the swarm has none (and no other network took its name);
 * returns whether it did. Its subnet is 10.0.0.0/24 unless a network already has that range.
 */
export function addIngressIfMissing(tx: Tx, id: string): boolean {
  if (tx.find('networks', (n) => isIngress(n) || n.Spec.Name === INGRESS_NAME).length > 0) return false;
  let spec = ingressSpec();
  const wanted = parseCidr(INGRESS_SUBNET)!;
  if (subnetsInUse(tx).some((u) => overlaps(u.subnet, wanted))) spec = { ...spec, IPAMOptions: undefined };
  tx.create('networks', networkObject(tx, id, spec));
  return true;
}

/** The leader's check that the swarm has its ingress network (made at init; restored state may lack it). */
export async function ensureIngress(store: Store, random: Random): Promise<boolean> {
  const needed = store.view((tx) => tx.find('clusters').length > 0 && tx.find('networks', (n) => isIngress(n) || n.Spec.Name === INGRESS_NAME).length === 0);
  if (!needed) return false;
  return store.update((tx) => (tx.find('clusters').length > 0 ? addIngressIfMissing(tx, newId(random)) : false));
}
