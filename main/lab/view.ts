// The LabView made from one read of the swarm and the lab's machines: pure, so that what the
// renderer draws is a function of what was observed. Lists come out sorted the way the protocol
// says, so that two reads of the same cluster give equal views (and an empty delta).

import type { TaskState } from '../../core/api/objects.ts';
import { isTerminal, stateRank } from '../../core/api/task-state.ts';
import { isTaskDirty } from '../../core/manager/orchestrator/tasks.ts';
import type { ApiNetwork, ApiNode, ApiService, ApiTask, ClusterState } from './cluster-state.ts';
import type { LabPhase, LabView, MachineView, NetworkView, NodeView, PortView, QuorumView, ServiceView, TaskView, VipView } from './protocol.ts';

export interface ViewInput {
  phase: LabPhase;
  name?: string;
  via?: string;
  stale: boolean;
  /** The lab's machines as the drivers report them (nodeId is filled in here). */
  machines: MachineView[];
  /** The last read of the swarm (undefined before the first one answers). */
  cluster?: ClusterState;
  /** Service ID → colour index (assignColors). */
  colors: ReadonlyMap<string, number>;
}

export function buildView(i: ViewInput): LabView {
  const cluster = i.cluster ?? { nodes: [], services: [], tasks: [] };
  const machineNames = new Set(i.machines.map((m) => m.name));
  const hosts = hostnames(cluster.nodes, i.machines);
  const nodes = cluster.nodes.map((n) => nodeView(n, hosts.get(n.ID), machineNames)).sort(byNode);
  const nodeOfHost = nodeByHostname(cluster.nodes, hosts);
  const machines = i.machines
    .map((m): MachineView => {
      const { nodeId: _old, ...rest } = m;
      const node = nodeOfHost.get(m.name);
      return node ? { ...rest, nodeId: node.ID } : rest;
    })
    .sort(byMachine);
  const liveTasks = cluster.tasks.filter(isLive);
  const serviceById = new Map(cluster.services.map((s) => [s.ID, s]));
  // Comparing specs is the costly part of a big swarm's view: once per task.
  const outdated = new Set<string>();
  for (const t of liveTasks) {
    const s = serviceById.get(t.ServiceID);
    if (s && isTaskDirty(s, t)) outdated.add(t.ID);
  }
  const netIds = networkIds(cluster);
  const services = cluster.services.map((s) => serviceView(s, liveTasks, outdated, i.colors, netIds)).sort(byService);
  const tasks = liveTasks.map((t) => taskView(t, outdated.has(t.ID))).sort(byTask);
  const networks = networkViews(cluster.networks ?? [], services);
  const leader = nodes.find((n) => n.leader);
  return {
    phase: i.phase,
    ...(i.name !== undefined ? { name: i.name } : {}),
    ...(i.via !== undefined ? { via: i.via } : {}),
    stale: i.stale,
    ...(leader ? { leaderId: leader.id } : {}),
    quorum: quorumOf(nodes, machines),
    machines,
    nodes,
    services,
    tasks,
    networks,
  };
}

// ---------------------------------------------------------------------------------------------

export const byMachine = (a: MachineView, b: MachineView) => cmp(a.name, b.name);
export const byNode = (a: NodeView, b: NodeView) => cmp(a.hostname, b.hostname) || cmp(a.id, b.id);
export const byService = (a: ServiceView, b: ServiceView) => cmp(a.name, b.name) || cmp(a.id, b.id);
export const byNetwork = (a: NetworkView, b: NetworkView) => cmp(a.name, b.name) || cmp(a.id, b.id);
export const byTask = (a: TaskView, b: TaskView) =>
  cmp(a.serviceId, b.serviceId) || (a.slot ?? 0) - (b.slot ?? 0) || cmp(a.nodeId ?? '', b.nodeId ?? '') || cmp(a.id, b.id);

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A hostname's node. A machine that left and joined again has an old node (down) beside the new
 * one: the one that is not down wins, then the newest.
 */
function nodeByHostname(nodes: ApiNode[], hosts: ReadonlyMap<string, string>): Map<string, ApiNode> {
  const out = new Map<string, ApiNode>();
  for (const n of nodes) {
    const host = hosts.get(n.ID);
    if (!host) continue;
    const seen = out.get(host);
    if (!seen || better(n, seen)) out.set(host, n);
  }
  return out;
}

function better(a: ApiNode, b: ApiNode): boolean {
  const aDown = a.Status.State === 'down';
  const bDown = b.Status.State === 'down';
  if (aDown !== bDown) return bDown;
  return a.CreatedAt > b.CreatedAt;
}

/**
 * Each node's hostname. A node that has just joined has not sent its description yet: until it
 * does, it is known by its address, when exactly one of the lab's machines has it.
 */
function hostnames(nodes: ApiNode[], machines: MachineView[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    const host = n.Description?.Hostname || n.Spec.Name;
    if (host) {
      out.set(n.ID, host);
      continue;
    }
    const addr = n.Status.Addr ?? n.ManagerStatus?.Addr.replace(/:\d+$/, '');
    const owners = addr ? machines.filter((m) => m.address === addr) : [];
    if (owners.length === 1) out.set(n.ID, owners[0]!.name);
  }
  return out;
}

function nodeView(n: ApiNode, host: string | undefined, machines: ReadonlySet<string>): NodeView {
  const hostname = host ?? n.ID;
  const ms = n.ManagerStatus;
  return {
    id: n.ID,
    hostname,
    ...(machines.has(hostname) ? { machine: hostname } : {}),
    // The role its certificate carries is what it is; Spec.Role is what it was asked to become.
    role: n.Role ?? n.Spec.Role,
    leader: ms?.Leader === true,
    ...(ms ? { reachability: ms.Reachability } : {}),
    state: n.Status.State,
    availability: n.Spec.Availability,
    addr: n.Status.Addr ?? ms?.Addr ?? '',
    labels: { ...(n.Spec.Labels ?? {}) },
    ...(n.Status.Message ? { message: n.Status.Message } : {}),
  };
}

/** A task the orchestrator still wants, or one still running on its way out. */
function isLive(t: ApiTask): boolean {
  return stateRank(t.DesiredState) <= stateRank('running') || !isTerminal(t.Status.State);
}

function meantToRun(t: ApiTask): boolean {
  return stateRank(t.DesiredState) <= stateRank('running');
}

const STACK_LABEL = 'com.docker.stack.namespace';

/** A network's ID by its ID or name (a spec's Target may name it either way). */
function networkIds(c: ClusterState): (target: string) => string {
  const byName = new Map<string, string>();
  for (const n of c.networks ?? []) byName.set(n.Name, n.Id);
  for (const t of c.tasks) for (const a of t.NetworksAttachments ?? []) if (a.Network.Spec.Name) byName.set(a.Network.Spec.Name, a.Network.ID);
  const ids = new Set([...byName.values()]);
  return (target) => (ids.has(target) ? target : (byName.get(target) ?? target));
}

/** The networks a service is on: its spec's, then those its VIPs are on (the ingress network for a mesh-published port). */
function serviceNetworks(s: ApiService, idOf: (target: string) => string): string[] {
  const out: string[] = [];
  for (const n of s.Spec.TaskTemplate.Networks ?? []) {
    const id = idOf(n.Target);
    if (!out.includes(id)) out.push(id);
  }
  for (const v of s.Endpoint?.VirtualIPs ?? []) if (!out.includes(v.NetworkID)) out.push(v.NetworkID);
  return out;
}

/** The swarm-scoped networks, each with the services attached to it. */
function networkViews(list: ApiNetwork[], services: ServiceView[]): NetworkView[] {
  const out: NetworkView[] = [];
  for (const n of list) {
    if (n.Scope !== undefined && n.Scope !== 'swarm') continue;
    const config = n.IPAM?.Config?.[0];
    const stack = n.Labels?.[STACK_LABEL];
    out.push({
      id: n.Id,
      name: n.Name,
      driver: n.Driver ?? 'overlay',
      ...(config?.Subnet ? { subnet: config.Subnet } : {}),
      ...(config?.Gateway ? { gateway: config.Gateway } : {}),
      ingress: n.Ingress === true,
      attachable: n.Attachable === true,
      ...(stack ? { stack } : {}),
      services: services.filter((s) => s.networks?.includes(n.Id)).map((s) => s.id).sort(),
    });
  }
  return out.sort(byNetwork);
}

function serviceView(s: ApiService, tasks: ApiTask[], outdated: ReadonlySet<string>, colors: ReadonlyMap<string, number>, idOf: (target: string) => string): ServiceView {
  const mine = tasks.filter((t) => t.ServiceID === s.ID);
  const running = mine.filter((t) => meantToRun(t) && t.Status.State === 'running');
  const replicated = 'Replicated' in s.Spec.Mode;
  const desired = replicated
    ? ((s.Spec.Mode as { Replicated: { Replicas?: number } }).Replicated.Replicas ?? 1)
    : (s.ServiceStatus?.DesiredTasks ?? mine.filter(meantToRun).length);
  const u = s.UpdateStatus;
  const networks = serviceNetworks(s, idOf);
  const vips: VipView[] = (s.Endpoint?.VirtualIPs ?? []).map((v) => ({ networkId: v.NetworkID, addr: v.Addr }));
  const stack = s.Spec.Labels?.[STACK_LABEL];
  return {
    id: s.ID,
    name: s.Spec.Name ?? s.ID,
    image: s.Spec.TaskTemplate.ContainerSpec.Image,
    mode: replicated ? 'replicated' : 'global',
    desired,
    running: running.length,
    ports: ports(s),
    constraints: [...(s.Spec.TaskTemplate.Placement?.Constraints ?? [])],
    ...(u
      ? {
          update: {
            state: u.State,
            ...(u.Message ? { message: u.Message } : {}),
            ...(u.StartedAt ? { startedAt: u.StartedAt } : {}),
            ...(u.CompletedAt ? { completedAt: u.CompletedAt } : {}),
            updated: running.filter((t) => !outdated.has(t.ID)).length,
            total: desired,
          },
        }
      : {}),
    colorIndex: colors.get(s.ID) ?? 0,
    ...(networks.length ? { networks } : {}),
    ...(vips.length ? { vips } : {}),
    ...(stack ? { stack } : {}),
    createdAt: s.CreatedAt,
    updatedAt: s.UpdatedAt,
  };
}

function ports(s: ApiService): PortView[] {
  const list = s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? [];
  return list.map((p) => ({
    protocol: p.Protocol === 'udp' ? 'udp' : 'tcp',
    targetPort: p.TargetPort,
    ...(p.PublishedPort ? { publishedPort: p.PublishedPort } : {}),
    publishMode: p.PublishMode ?? 'ingress',
  }));
}

const WAITING: ReadonlySet<TaskState> = new Set(['new', 'pending', 'assigned']);

function taskView(t: ApiTask, outdated: boolean): TaskView {
  const waiting = WAITING.has(t.Status.State) && !t.NodeID;
  const addresses: { networkId: string; addr: string }[] = [];
  for (const a of t.NetworksAttachments ?? []) for (const addr of a.Addresses) addresses.push({ networkId: a.Network.ID, addr });
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    ...(t.Slot !== undefined ? { slot: t.Slot } : {}),
    ...(t.NodeID ? { nodeId: t.NodeID } : {}),
    state: t.Status.State,
    desiredState: t.DesiredState,
    message: t.Status.Message,
    ...(t.Status.Err ? { error: t.Status.Err } : {}),
    timestamp: t.Status.Timestamp,
    ...(waiting && t.Status.Err ? { pendingReason: t.Status.Err } : {}),
    ...(outdated ? { outdated: true } : {}),
    ...(addresses.length ? { addresses } : {}),
  };
}

/**
 * Raft's arithmetic over the managers: a majority is needed, and a manager counts only while the
 * leader reaches it and its machine runs (a killed or frozen machine stops voting at once, before
 * the swarm notices).
 */
export function quorumOf(nodes: NodeView[], machines: MachineView[]): QuorumView {
  const managers = nodes.filter((n) => n.reachability !== undefined);
  if (managers.length === 0) return { managers: 0, reachable: 0, quorum: 0, canLose: 0 };
  const reachable = managers.filter((n) => voting(n, machines)).length;
  const quorum = Math.floor(managers.length / 2) + 1;
  return { managers: managers.length, reachable, quorum, canLose: reachable - quorum };
}

/** Whether a manager node counts toward quorum now. */
export function voting(n: NodeView, machines: MachineView[]): boolean {
  if (n.reachability !== 'reachable') return false;
  const m = n.machine === undefined ? undefined : machines.find((x) => x.name === n.machine);
  return !m || m.state === 'Running';
}

/**
 * Colours stay with their service for its life. A new service takes the lowest index no other
 * service holds, in order of creation, so a lab read afresh gives its services the same colours.
 */
export function assignColors(prev: ReadonlyMap<string, number>, services: readonly { ID: string; CreatedAt: string }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of services) {
    const c = prev.get(s.ID);
    if (c !== undefined) out.set(s.ID, c);
  }
  const taken = new Set(out.values());
  const fresh = services.filter((s) => !out.has(s.ID)).sort((a, b) => cmp(a.CreatedAt, b.CreatedAt) || cmp(a.ID, b.ID));
  let next = 0;
  for (const s of fresh) {
    while (taken.has(next)) next++;
    out.set(s.ID, next);
    taken.add(next);
  }
  return out;
}
