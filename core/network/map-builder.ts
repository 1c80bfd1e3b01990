// Builds the network map from the store: the facts every node's data plane needs, and nothing of
// the tasks that are not on a network.

import type { NetworkObject, NodeObject, ServiceObject, TaskObject } from '../api/objects.ts';
import type { ReadTx } from '../store/store.ts';
import { stripPrefix } from './cidr.ts';
import type { MapNetwork, MapNode, MapService, MapTask, NetworkMap } from './map.ts';

export function networkSubnet(n: NetworkObject): string | undefined {
  return n.IPAM?.Configs[0]?.Subnet ?? n.Spec.IPAMOptions?.Configs?.[0]?.Subnet;
}

export function buildNetworkMap(tx: ReadTx, version: number): NetworkMap {
  const networks: MapNetwork[] = [];
  for (const n of tx.find('networks')) {
    const subnet = networkSubnet(n);
    if (subnet) networks.push({ id: n.ID, name: n.Spec.Name ?? n.ID, subnet, ingress: n.Spec.Ingress === true });
  }
  const services: MapService[] = tx
    .find('services', (s) => (s.Endpoint?.VirtualIPs?.length ?? 0) > 0 || (s.Endpoint?.Ports?.length ?? 0) > 0 || (s.Spec.TaskTemplate.Networks?.length ?? 0) > 0)
    .map(mapService);
  // Tasks of services with host-mode ports only have no attachments, but their nodes publish them.
  const listed = new Set(services.map((s) => s.id));
  const tasks: MapTask[] = tx.find('tasks', (t) => ((t.NetworksAttachments?.length ?? 0) > 0 || listed.has(t.ServiceID)) && isLive(t)).map(mapTask);
  const nodes: MapNode[] = tx.find('nodes').map(mapNode);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { version, networks: networks.sort(byId), services: services.sort(byId), tasks: tasks.sort(byId), nodes: nodes.sort(byId) };
}

/** Whether two maps say the same (their versions aside). */
export function sameMap(a: NetworkMap, b: NetworkMap): boolean {
  return JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });
}

/** Tasks that hold their addresses: meant to run, and not yet stopped. */
function isLive(t: TaskObject): boolean {
  return t.DesiredState === 'running' && ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'].includes(t.Status.State);
}

function mapService(s: ServiceObject): MapService {
  const aliases: Record<string, string[]> = {};
  for (const n of s.Spec.TaskTemplate.Networks ?? []) if (n.Aliases?.length) aliases[n.Target] = [...n.Aliases];
  return {
    id: s.ID,
    name: s.Spec.Name ?? s.ID,
    endpointMode: s.Spec.EndpointSpec?.Mode ?? 'vip',
    vips: (s.Endpoint?.VirtualIPs ?? []).map((v) => ({ networkId: v.NetworkID, addr: stripPrefix(v.Addr) })),
    aliases,
    ports: (s.Endpoint?.Ports ?? []).map((p) => ({ ...p })),
  };
}

function mapTask(t: TaskObject): MapTask {
  const addrs: Record<string, string> = {};
  for (const a of t.NetworksAttachments ?? []) if (a.Addresses[0]) addrs[a.Network.ID] = stripPrefix(a.Addresses[0]);
  const serviceName = t.ServiceName ?? t.ServiceID;
  const slot = t.Slot !== undefined && t.Slot !== 0 ? String(t.Slot) : (t.NodeID ?? '');
  return {
    id: t.ID,
    name: t.Name ?? `${serviceName}.${slot}.${t.ID}`,
    serviceId: t.ServiceID,
    nodeId: t.NodeID ?? '',
    running: t.Status.State === 'running',
    addrs,
  };
}

function mapNode(n: NodeObject): MapNode {
  return {
    id: n.ID,
    addr: n.Status.Addr ?? '',
    ...(n.Description?.DataPathAddr ? { dataAddr: n.Description.DataPathAddr } : {}),
    ready: n.Status.State === 'ready',
  };
}
