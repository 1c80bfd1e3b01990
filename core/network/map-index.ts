// An index over one network map, rebuilt whenever a new map arrives: names, virtual IPs and task
// addresses by network, as the resolver and the balancer look them up.

import type { MapNode, MapService, MapTask, NetworkMap } from './map.ts';

export class MapIndex {
  readonly services = new Map<string, MapService>();
  readonly nodes = new Map<string, MapNode>();
  /** Running tasks by service ID, in the map's (stable) order. */
  readonly running = new Map<string, MapTask[]>();
  readonly tasks = new Map<string, MapTask>();
  /** `networkId/name` (lower case) → service, for service names and aliases. */
  private readonly names = new Map<string, MapService>();
  /** `networkId/addr` → what lives there. */
  private readonly addrs = new Map<string, { vip: MapService } | { task: MapTask }>();
  readonly ingressId: string | undefined;

  constructor(readonly map: NetworkMap) {
    this.ingressId = map.networks.find((n) => n.ingress)?.id;
    for (const n of map.nodes) this.nodes.set(n.id, n);
    for (const s of map.services) {
      this.services.set(s.id, s);
      for (const v of s.vips) {
        this.addrs.set(`${v.networkId}/${v.addr}`, { vip: s });
        this.names.set(`${v.networkId}/${s.name.toLowerCase()}`, s);
      }
      for (const [networkId, aliases] of Object.entries(s.aliases)) for (const a of aliases) this.names.set(`${networkId}/${a.toLowerCase()}`, s);
    }
    for (const t of map.tasks) {
      this.tasks.set(t.id, t);
      for (const [networkId, addr] of Object.entries(t.addrs)) {
        this.addrs.set(`${networkId}/${addr}`, { task: t });
        // dnsrr services have no virtual IP: their name is known through their tasks.
        const s = this.services.get(t.serviceId);
        if (s && !this.names.has(`${networkId}/${s.name.toLowerCase()}`)) this.names.set(`${networkId}/${s.name.toLowerCase()}`, s);
      }
      if (!t.running) continue;
      const list = this.running.get(t.serviceId) ?? [];
      list.push(t);
      this.running.set(t.serviceId, list);
    }
  }

  serviceByName(networkId: string, name: string): MapService | undefined {
    return this.names.get(`${networkId}/${name.toLowerCase()}`);
  }

  at(networkId: string, addr: string): { vip: MapService } | { task: MapTask } | undefined {
    return this.addrs.get(`${networkId}/${addr}`);
  }

  /** The service's running tasks that have an address on the network. */
  backends(serviceId: string, networkId: string): MapTask[] {
    return (this.running.get(serviceId) ?? []).filter((t) => t.addrs[networkId] !== undefined);
  }

  taskByName(name: string): MapTask | undefined {
    const lower = name.toLowerCase();
    for (const t of this.tasks.values()) if (t.name.toLowerCase() === lower) return t;
    return undefined;
  }
}
