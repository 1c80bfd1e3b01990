// The network map: what every node's data plane needs to know of the swarm's networks to resolve
// names, balance virtual IPs and run the routing mesh. The leader builds it from the store and the
// dispatcher hands it to every node with its assignments (Docker spreads the same facts by gossip).

import type { PortConfig } from '../api/objects.ts';

export interface MapNetwork {
  id: string;
  name: string;
  /** CIDR, "10.0.1.0/24". */
  subnet: string;
  ingress: boolean;
}

export interface MapService {
  id: string;
  name: string;
  endpointMode: 'vip' | 'dnsrr';
  /** One per attached network (ingress included when ports are published in ingress mode); plain addresses. */
  vips: { networkId: string; addr: string }[];
  /** Network aliases by network ID (the service's name always resolves). */
  aliases: Record<string, string[]>;
  /** Published ports, with PublishedPort allocated. */
  ports: PortConfig[];
}

export interface MapTask {
  id: string;
  /** service.slot.id */
  name: string;
  serviceId: string;
  nodeId: string;
  /** Running (observed) with desired state running: a backend for balancing. */
  running: boolean;
  /** Plain addresses by network ID. */
  addrs: Record<string, string>;
}

export interface MapNode {
  id: string;
  /** The node's address (Status.Addr). */
  addr: string;
  /** Its data plane, HOST:PORT. */
  dataAddr?: string;
  ready: boolean;
}

export interface NetworkMap {
  /**
   * Increases with every change published, across leaders too: the Raft index of the state the map
   * was built from (a node ignores a map older than the one it has).
   */
  version: number;
  networks: MapNetwork[];
  services: MapService[];
  tasks: MapTask[];
  nodes: MapNode[];
}

export const EMPTY_NETWORK_MAP: NetworkMap = { version: 0, networks: [], services: [], tasks: [], nodes: [] };
