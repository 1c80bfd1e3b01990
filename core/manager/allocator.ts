// The allocator, after SwarmKit's: before a task can be scheduled it gets its addresses, and
// before that its service gets its endpoint.
//
// - Services: published ports (a port left at 0 gets one from 30000–32767), and in `vip` mode a
//   virtual IP on each network the service is attached to — ingress included when it publishes a
//   port through the routing mesh. Written to ServiceObject.Endpoint whenever the spec's networks
//   or ports change.
// - Tasks: an address on each of their networks (NetworksAttachments), then `pending`, where the
//   scheduler picks them up.
// What is in use is read from the store at each pass, so a new leader allocates from the truth.

import type { NetworkAttachment, NetworkObject, PortConfig, ServiceObject, TaskObject } from '../api/objects.ts';
import { AddressPool, PortPool } from '../network/ipam.ts';
import { networkSubnet } from '../network/map-builder.ts';
import type { ReadTx, Tx } from '../store/store.ts';
import type { LeaderComponent, ManagerContext } from './component.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

/** Tasks per transaction: large batches keep the log short when thousands of tasks arrive. */
const BATCH = 500;

const LIVE_STATES = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);

export class Allocator implements LeaderComponent {
  readonly name = 'allocator';
  private readonly loop: ReconcileLoop;
  private pending = new Set<string>();
  private services = new Set<string>();
  /** A network appeared: services waiting for it may now get their addresses. */
  private scanServices = false;
  /** Tasks that could not get their addresses (a full subnet, a missing network): retried when those change. */
  private readonly waiting = new Set<string>();
  private unwatch: (() => void) | undefined;
  /** Per network: where the next address search starts. */
  private readonly cursors = new Map<string, { next?: number }>();

  constructor(private readonly ctx: ManagerContext) {
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message));
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      for (const c of e.changes) {
        if (c.table === 'tasks' && c.type !== 'delete' && isNew(c.object)) this.pending.add(c.object.ID);
        // The allocator's own writes change only the endpoint, never the spec: no loop.
        if (c.table === 'services' && (c.type === 'create' || (c.type === 'update' && specChanged(c.old, c.object)))) this.services.add(c.object.ID);
        if (c.table === 'networks' && c.type === 'create') this.scanServices = true;
        // A task that stopped or went away frees its addresses for the ones waiting.
        if (this.waiting.size > 0 && (c.table === 'networks' || (c.table === 'tasks' && (c.type === 'delete' || !LIVE_STATES.has(c.object.Status.State))))) {
          for (const id of this.waiting) this.pending.add(id);
          this.waiting.clear();
        }
      }
      if (e.restored || this.scanServices) this.scan();
      if (this.pending.size > 0 || this.services.size > 0) this.loop.trigger();
    });
    this.scan();
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  private scan(): void {
    this.scanServices = false;
    this.ctx.store.view((tx) => {
      tx.find('tasks', isNew).forEach((t) => this.pending.add(t.ID));
      tx.find('services', (s) => !endpointCurrent(s)).forEach((s) => this.services.add(s.ID));
    });
    this.loop.trigger();
  }

  private async pass(): Promise<void> {
    const serviceIds = [...this.services];
    this.services.clear();
    const ids = [...this.pending].slice(0, BATCH);
    for (const id of ids) this.pending.delete(id);
    const now = new Date(this.ctx.clock.now()).toISOString();
    try {
      await this.ctx.store.update((tx) => {
        const pools = new Pools(tx, this.cursors);
        for (const id of serviceIds) {
          const s = tx.get('services', id);
          // A service with no ports and no networks has nothing to allocate (and is not rewritten).
          if (!s || (!s.Endpoint && !s.Spec.EndpointSpec?.Ports?.length && !s.Spec.TaskTemplate.Networks?.length)) continue;
          const endpoint = pools.endpoint(s);
          if (JSON.stringify(endpoint) !== JSON.stringify(s.Endpoint ?? {})) tx.update('services', { ...s, Endpoint: endpoint });
        }
        for (const id of ids) {
          const t = tx.get('tasks', id);
          if (!t || !isNew(t)) continue;
          const attachments = pools.attachments(t);
          if (typeof attachments === 'string') {
            this.waiting.add(id);
            if (t.Status.Message !== attachments) tx.update('tasks', { ...t, Status: { ...t.Status, Message: attachments, Timestamp: now } });
            continue;
          }
          tx.update('tasks', {
            ...t,
            ...(attachments.length > 0 ? { NetworksAttachments: attachments } : {}),
            Status: { ...t.Status, State: 'pending', Message: 'pending task scheduling', Timestamp: now },
          });
        }
      });
    } catch (err) {
      for (const id of ids) this.pending.add(id);
      for (const id of serviceIds) this.services.add(id);
      throw err;
    }
    if (this.pending.size > 0 || this.services.size > 0) this.loop.trigger();
  }
}

function isNew(t: TaskObject): boolean {
  return t.Status.State === 'new' && (t.DesiredState === 'running' || t.DesiredState === 'ready');
}

function ingressPorts(spec: ServiceObject['Spec']): PortConfig[] {
  return (spec.EndpointSpec?.Ports ?? []).filter((p) => (p.PublishMode ?? 'ingress') === 'ingress');
}

function specChanged(a: ServiceObject, b: ServiceObject): boolean {
  return JSON.stringify(a.Spec.EndpointSpec ?? {}) !== JSON.stringify(b.Spec.EndpointSpec ?? {}) || JSON.stringify(a.Spec.TaskTemplate.Networks ?? []) !== JSON.stringify(b.Spec.TaskTemplate.Networks ?? []);
}

/** Whether the service's endpoint was allocated from its current spec (a cheap check for the scan). */
function endpointCurrent(s: ServiceObject): boolean {
  const e = s.Endpoint;
  if (!e) return !s.Spec.EndpointSpec?.Ports?.length && !s.Spec.TaskTemplate.Networks?.length;
  return JSON.stringify(e.Spec ?? {}) === JSON.stringify(s.Spec.EndpointSpec ?? {}) && JSON.stringify(vipTargets(s)) === JSON.stringify((e.VirtualIPs ?? []).map((v) => v.NetworkID));
}

/** The networks the service should have a virtual IP on, in order (ingress first). */
function vipTargets(s: ServiceObject, ingressId?: string): string[] {
  if ((s.Spec.EndpointSpec?.Mode ?? 'vip') !== 'vip') return [];
  const nets = (s.Spec.TaskTemplate.Networks ?? []).map((n) => n.Target);
  const ingress = ingressPorts(s.Spec).length > 0 ? [ingressId ?? s.Endpoint?.VirtualIPs?.[0]?.NetworkID ?? 'ingress'] : [];
  return [...ingress, ...nets];
}

/** Free addresses and ports as the store has them now, handed out within one transaction. */
class Pools {
  private readonly addresses = new Map<string, AddressPool>();
  private readonly ports = new PortPool();
  private readonly portOwner = new Map<number, string>();
  private readonly networks: NetworkObject[];
  private readonly ingress: NetworkObject | undefined;
  private taskAddressesClaimed = false;

  constructor(
    private readonly tx: ReadTx & Pick<Tx, 'update'>,
    private readonly cursors: Map<string, { next?: number }>,
  ) {
    this.networks = tx.find('networks');
    this.ingress = this.networks.find((n) => n.Spec.Ingress === true);
    for (const n of this.networks) {
      const subnet = networkSubnet(n);
      if (!subnet) continue;
      let cursor = cursors.get(n.ID);
      if (!cursor) cursors.set(n.ID, (cursor = {}));
      this.addresses.set(n.ID, new AddressPool(subnet, n.IPAM?.Configs[0]?.Gateway ?? n.Spec.IPAMOptions?.Configs?.[0]?.Gateway, cursor));
    }
    for (const s of tx.find('services')) {
      for (const v of s.Endpoint?.VirtualIPs ?? []) this.addresses.get(v.NetworkID)?.claim(v.Addr);
      for (const p of s.Endpoint?.Ports ?? []) {
        if (!p.PublishedPort) continue;
        this.ports.claim(p.PublishedPort);
        this.portOwner.set(p.PublishedPort, s.ID);
      }
    }
  }

  /**
   * The network's address pool, with every live task's address claimed: read from the store the
   * first time an address is wanted in this pass (most passes, of tasks on no network, need none).
   */
  private pool(networkId: string): AddressPool | undefined {
    if (!this.taskAddressesClaimed) {
      this.taskAddressesClaimed = true;
      for (const t of this.tx.find('tasks', (t) => (t.NetworksAttachments?.length ?? 0) > 0 && LIVE_STATES.has(t.Status.State))) {
        for (const a of t.NetworksAttachments!) for (const addr of a.Addresses) this.addresses.get(a.Network.ID)?.claim(addr);
      }
    }
    return this.addresses.get(networkId);
  }

  /** The network object for a spec's target (an ID, or a name left unresolved). */
  private network(target: string): NetworkObject | undefined {
    if (target === 'ingress') return this.ingress;
    return this.networks.find((n) => n.ID === target) ?? this.networks.find((n) => n.Spec.Name === target);
  }

  endpoint(s: ServiceObject): NonNullable<ServiceObject['Endpoint']> {
    const spec = s.Spec.EndpointSpec ?? {};
    const previous = s.Endpoint?.Ports ?? [];
    const ports: PortConfig[] = (spec.Ports ?? []).map((p) => {
      const mode = p.PublishMode ?? 'ingress';
      const protocol = p.Protocol ?? 'tcp';
      let published = p.PublishedPort ?? 0;
      if (!published) {
        // Keep the port this service was given before, for the same target.
        const kept = previous.find((q) => q.TargetPort === p.TargetPort && (q.Protocol ?? 'tcp') === protocol && (q.PublishMode ?? 'ingress') === mode);
        published = kept?.PublishedPort && this.portOwner.get(kept.PublishedPort) === s.ID ? kept.PublishedPort : (this.ports.allocate() ?? 0);
      }
      this.ports.claim(published);
      this.portOwner.set(published, s.ID);
      return { ...(p.Name ? { Name: p.Name } : {}), Protocol: protocol, TargetPort: p.TargetPort, PublishedPort: published, PublishMode: mode };
    });
    const vips: { NetworkID: string; Addr: string }[] = [];
    for (const target of vipTargets(s, this.ingress?.ID)) {
      const net = this.network(target);
      if (!net) continue;
      const kept = s.Endpoint?.VirtualIPs?.find((v) => v.NetworkID === net.ID);
      const addr = kept?.Addr ?? this.pool(net.ID)?.allocate();
      if (addr) vips.push({ NetworkID: net.ID, Addr: addr });
    }
    // Spec keeps what the endpoint was allocated from; VirtualIPs' network IDs are compared too.
    return { Spec: { ...spec }, ...(ports.length ? { Ports: ports } : {}), ...(vips.length ? { VirtualIPs: vips } : {}) };
  }

  /** The task's network attachments, or why they cannot be made now. */
  attachments(t: TaskObject): NetworkAttachment[] | string {
    const service = this.tx.get('services', t.ServiceID);
    const targets = (t.Spec.Networks ?? []).map((n) => ({ target: n.Target, aliases: n.Aliases }));
    if (service && ingressPorts(service.Spec).length > 0) {
      // Without the ingress network the task could not be reached through the mesh: it waits.
      if (!this.ingress) return 'pending network allocation: the swarm has no ingress network yet';
      targets.unshift({ target: this.ingress.ID, aliases: undefined });
    }
    const out: NetworkAttachment[] = [];
    for (const { target, aliases } of targets) {
      const net = this.network(target);
      if (!net) return `pending network allocation: network ${target} not found`;
      if (out.some((a) => a.Network.ID === net.ID)) continue;
      const addr = this.pool(net.ID)?.allocate();
      if (!addr) return `pending network allocation: no addresses left on network ${net.Spec.Name ?? net.ID}`;
      out.push({ Network: net, Addresses: [addr], ...(aliases?.length ? { Aliases: aliases } : {}) });
    }
    return out;
  }
}
