// A node's data plane: what Docker builds from VXLAN, IPVS and its embedded DNS server, made of
// userland parts the process executor's tasks can use.
//
// - The tunnel (tunnel.ts) on the node's data path port carries overlay connections from other
//   nodes to this node's tasks.
// - Each task gets a TaskNetwork: names resolve on the task's own networks (service name → virtual
//   IP, `tasks.NAME` → task addresses, dnsrr → task addresses), and a connection to a virtual IP is
//   balanced round robin across the service's running tasks on every node; addresses on networks
//   the task is not attached to are unreachable.
// - The routing mesh: every published ingress port listens on the node's address, including nodes
//   with no task of the service, and spreads connections across the service's running tasks;
//   host-mode ports listen only where a task runs and go to the local tasks.
// All of it follows the network map the leader sends with the node's assignments.

import net, { type Server, type Socket } from 'node:net';
import type { TaskObject } from '../api/objects.ts';
import type { Clock } from '../clock.ts';
import type { ListenedAddress, TaskNetwork } from '../executor/program.ts';
import { Balancer } from './balancer.ts';
import { contains, ipToNumber, parseCidr, stripPrefix } from './cidr.ts';
import { MapIndex } from './map-index.ts';
import { EMPTY_NETWORK_MAP, type MapService, type MapTask, type NetworkMap } from './map.ts';
import { splice } from './splice.ts';
import { connectTcp, dialTunnel, dialTunnelEarly, EarlyData, serveTunnel, TunnelError, type TunnelTarget } from './tunnel.ts';

/** Docker's data path port. */
export const DEFAULT_DATA_PATH_PORT = 4789;

const CONNECT_TIMEOUT_MS = 3000;
/** How long a stopping task's open connections are given to finish before it is signalled. */
const DRAIN_MAX_MS = 2000;

export interface LocalTasks {
  /** Where this node's task serves its container port, while it does. */
  endpoint(taskId: string, containerPort: number): ListenedAddress | undefined;
  /**
   * The task's server itself, when it runs in this process (a built-in program): the data plane
   * hands it connections directly instead of through a loopback connection.
   */
  server?(taskId: string, containerPort: number): Server | undefined;
}

/** What the mesh's connect returns when the client went to a task of this process directly. */
const DELIVERED = Symbol('delivered');

export interface DataPlaneOptions {
  nodeId: string;
  /** The node's address: published ports and the tunnel listen here. */
  host: string;
  /** The tunnel's port (0: any free port). */
  dataPort: number;
  clock: Clock;
  local: LocalTasks;
  logger?: (line: string) => void;
}

interface PublishedListener {
  server: Server;
  serviceId: string;
  targetPort: number;
  mode: 'ingress' | 'host';
}

/**
 * A tunnelled socket comes back paused (its header read): it starts flowing when the task first
 * listens for data, so nothing is lost in between.
 */
function flowWhenRead(socket: Socket): Socket {
  if (!socket.isPaused()) return socket;
  const onListener = (event: string | symbol) => {
    if (event !== 'data') return;
    socket.off('newListener', onListener);
    process.nextTick(() => socket.resume());
  };
  socket.on('newListener', onListener);
  return socket;
}

const refused = (message: string) => new TunnelError('ECONNREFUSED', message);

export class DataPlane {
  private index = new MapIndex(EMPTY_NETWORK_MAP);
  private readonly balancer: Balancer;
  private tunnel: Server | undefined;
  private dataAddress: string | undefined;
  private readonly published = new Map<string, PublishedListener>();
  /** Published ports that could not be bound, so the failure is logged once. */
  private readonly unbindable = new Set<string>();
  private readonly draining = new Set<string>();
  private readonly active = new Map<string, Set<Socket>>();
  private closed = false;

  constructor(private readonly opts: DataPlaneOptions) {
    this.balancer = new Balancer(opts.clock, opts.nodeId);
  }

  /**
   * Starts the tunnel on the data path port or, when that is taken (several nodes on one address),
   * on any free port; resolves with its HOST:PORT, which the node's description carries.
   */
  async start(): Promise<string> {
    const server = serveTunnel(
      (t) => this.openLocal(t),
      (err) => this.log(`tunnel: ${err.message}`),
      (t) => this.handFor(t),
    );
    const listenOn = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.opts.host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      await listenOn(this.opts.dataPort);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || this.opts.dataPort === 0) throw err;
      this.log(`data path port ${this.opts.host}:${this.opts.dataPort} is in use; the tunnel takes another port`);
      await listenOn(0);
    }
    server.on('error', (err) => this.log(`tunnel: ${err.message}`));
    this.tunnel = server;
    const port = (server.address() as net.AddressInfo).port;
    this.dataAddress = `${this.opts.host}:${port}`;
    return this.dataAddress;
  }

  get dataAddr(): string | undefined {
    return this.dataAddress;
  }

  get map(): NetworkMap {
    return this.index.map;
  }

  setMap(map: NetworkMap): void {
    if (this.closed || map.version < this.index.map.version) return;
    this.index = new MapIndex(map);
    this.reconcilePublished();
  }

  /** The network a local task sees, from its attachments. */
  taskNetwork(task: TaskObject): TaskNetwork {
    const all = task.NetworksAttachments ?? [];
    // Names resolve on the task's own networks; the ingress network only carries the mesh's traffic.
    const networks = all.filter((a) => a.Network.Spec.Ingress !== true).map((a) => a.Network.ID);
    const addresses = all.flatMap((a) => (a.Addresses[0] ? [stripPrefix(a.Addresses[0])] : []));
    return {
      addresses,
      lookup: async (name) => this.lookup(networks, name),
      connect: (host, port) => this.connectFrom(task.ID, networks, host, port),
    };
  }

  /**
   * A local task is stopping: no new connection reaches it, and those open are given a moment to
   * finish (so a rolling update loses no request).
   */
  async drain(taskId: string): Promise<void> {
    this.draining.add(taskId);
    const deadline = Date.now() + DRAIN_MAX_MS;
    while ((this.active.get(taskId)?.size ?? 0) > 0 && Date.now() < deadline && !this.closed) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The task is gone from this node. */
  forget(taskId: string): void {
    this.draining.delete(taskId);
    this.active.delete(taskId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const servers = [this.tunnel, ...[...this.published.values()].map((p) => p.server)].filter((s): s is Server => !!s);
    this.published.clear();
    for (const sockets of this.active.values()) for (const s of sockets) s.destroy();
    this.active.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  // ---- names -------------------------------------------------------------------------------------

  private lookup(networks: readonly string[], name: string): string[] {
    const n = name.replace(/\.$/, '').toLowerCase();
    if (ipToNumber(n) !== undefined) return [n];
    if (n === 'localhost') return ['127.0.0.1'];
    for (const networkId of networks) {
      if (n.startsWith('tasks.')) {
        const s = this.index.serviceByName(networkId, n.slice('tasks.'.length));
        if (s) {
          const addrs = this.index.backends(s.id, networkId).map((t) => t.addrs[networkId]!);
          if (addrs.length > 0) return addrs;
        }
        continue;
      }
      const s = this.index.serviceByName(networkId, n);
      if (s) {
        const vip = s.vips.find((v) => v.networkId === networkId);
        if (s.endpointMode === 'vip' && vip) return [vip.addr];
        const addrs = this.balancer.order(`dns/${s.id}/${networkId}`, this.index.backends(s.id, networkId)).map((t) => t.addrs[networkId]!);
        if (addrs.length > 0) return addrs;
        continue;
      }
      const t = this.index.taskByName(n);
      if (t?.addrs[networkId]) return [t.addrs[networkId]];
    }
    throw Object.assign(new Error(`lookup ${name}: no such host`), { code: 'ENOTFOUND' });
  }

  // ---- connections from tasks ---------------------------------------------------------------------

  private async connectFrom(taskId: string, networks: readonly string[], host: string, port: number): Promise<Socket> {
    const addrs = this.lookup(networks, host);
    let last: Error | undefined;
    for (const addr of addrs) {
      try {
        return flowWhenRead(await this.connectAddr(taskId, networks, addr, port));
      } catch (err) {
        last = err as Error;
      }
    }
    throw last ?? refused(`connect to ${host}:${port}: connection refused`);
  }

  private async connectAddr(taskId: string, networks: readonly string[], addr: string, port: number): Promise<Socket> {
    if (addr.startsWith('127.')) {
      const self = this.opts.local.endpoint(taskId, port);
      if (!self) throw refused(`connect to ${addr}:${port}: connection refused`);
      return connectTcp(self.host, self.port, CONNECT_TIMEOUT_MS);
    }
    for (const networkId of networks) {
      const hit = this.index.at(networkId, addr);
      if (!hit) continue;
      if ('vip' in hit) return this.balanced(hit.vip, networkId, port);
      return this.toTask(hit.task, port, networkId);
    }
    const n = ipToNumber(addr)!;
    const other = this.index.map.networks.find((net) => {
      const s = parseCidr(net.subnet);
      return s && contains(s, n);
    });
    if (other) throw new TunnelError('EHOSTUNREACH', `connect to ${addr}:${port}: no route to host (the task is not attached to network ${other.name})`);
    return connectTcp(addr, port, CONNECT_TIMEOUT_MS);
  }

  /**
   * A connection to one of the service's running tasks on the network, trying the next on failure
   * (with `early`, the mesh's client bytes already read: the next is tried unless they may have
   * reached a task).
   */
  private balanced(service: MapService, networkId: string, port: number): Promise<Socket>;
  private balanced(service: MapService, networkId: string, port: number, early: EarlyData): Promise<Socket | typeof DELIVERED>;
  private async balanced(service: MapService, networkId: string, port: number, early?: EarlyData): Promise<Socket | typeof DELIVERED> {
    const backends = this.balancer.order(`${service.id}/${networkId}`, this.index.backends(service.id, networkId).filter((t) => !this.draining.has(t.id)));
    let last: Error | undefined;
    for (const t of backends) {
      try {
        const socket = await this.toTask(t, port, networkId, early);
        this.balancer.succeeded(t.id);
        return socket;
      } catch (err) {
        if (this.balancer.failed(t.id)) this.log(`task ${t.name} (node ${t.nodeId}) refused a connection to port ${port}: ${(err as Error).message}; it is passed over for a while`);
        last = err as Error;
        // The client's bytes went to a node that failed without refusing: they may have reached the task.
        if (early?.lost) break;
      }
    }
    throw last ?? refused(`connect to ${service.name}:${port}: connection refused (no running task of service ${service.name})`);
  }

  private toTask(t: MapTask, port: number, networkId: string): Promise<Socket>;
  private toTask(t: MapTask, port: number, networkId: string, early?: EarlyData): Promise<Socket | typeof DELIVERED>;
  private async toTask(t: MapTask, port: number, networkId: string, early?: EarlyData): Promise<Socket | typeof DELIVERED> {
    const target: TunnelTarget = { taskId: t.id, port, networkId };
    if (t.nodeId === this.opts.nodeId) {
      const hand = early ? this.handFor(target) : undefined;
      if (hand) {
        hand(early!.handBack());
        return DELIVERED;
      }
      const socket = await this.openLocal(target);
      early?.sendTo(socket);
      early?.commit();
      return socket;
    }
    const node = this.index.nodes.get(t.nodeId);
    if (!node?.dataAddr) throw new TunnelError('EHOSTUNREACH', `no route to task ${t.name}: its node has no data path address`);
    return early ? dialTunnelEarly(node.dataAddr, target, early, CONNECT_TIMEOUT_MS) : dialTunnel(node.dataAddr, target, CONNECT_TIMEOUT_MS);
  }

  /** Hands a connection to a task of this process's own server, if it has one and takes connections. */
  private handFor(target: TunnelTarget): ((socket: Socket) => void) | undefined {
    if (this.draining.has(target.taskId)) return undefined;
    const server = this.opts.local.server?.(target.taskId, target.port);
    if (!server?.listening) return undefined;
    return (socket) => {
      let set = this.active.get(target.taskId);
      if (!set) this.active.set(target.taskId, (set = new Set()));
      set.add(socket);
      socket.once('close', () => set.delete(socket));
      server.emit('connection', socket);
      socket.resume();
    };
  }

  /** A connection to a task of this node (for the tunnel, the mesh and local tasks). */
  private async openLocal(target: TunnelTarget): Promise<Socket> {
    if (this.draining.has(target.taskId)) throw refused(`task ${target.taskId} is stopping`);
    const at = this.opts.local.endpoint(target.taskId, target.port);
    if (!at) throw refused(`task ${target.taskId} does not listen on port ${target.port}`);
    const socket = await connectTcp(at.host, at.port, CONNECT_TIMEOUT_MS);
    let set = this.active.get(target.taskId);
    if (!set) this.active.set(target.taskId, (set = new Set()));
    set.add(socket);
    socket.once('close', () => set.delete(socket));
    return socket;
  }

  // ---- published ports ---------------------------------------------------------------------------

  private reconcilePublished(): void {
    const want = new Map<string, Omit<PublishedListener, 'server'>>();
    const localRunning = new Set(this.index.map.tasks.filter((t) => t.nodeId === this.opts.nodeId && t.running).map((t) => t.serviceId));
    for (const s of this.index.map.services) {
      for (const p of s.ports) {
        if ((p.Protocol ?? 'tcp') !== 'tcp' || !p.PublishedPort) continue;
        const mode = p.PublishMode ?? 'ingress';
        if (mode === 'host' && !localRunning.has(s.id)) continue;
        want.set(`${p.PublishedPort}`, { serviceId: s.id, targetPort: p.TargetPort, mode });
      }
    }
    for (const [key, l] of this.published) {
      const w = want.get(key);
      if (w && w.serviceId === l.serviceId && w.targetPort === l.targetPort && w.mode === l.mode) continue;
      l.server.close();
      this.published.delete(key);
    }
    for (const [key, w] of want) {
      if (this.published.has(key)) continue;
      const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (client) => this.accept(key, client));
      const l: PublishedListener = { ...w, server };
      this.published.set(key, l);
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (this.published.get(key) === l) this.published.delete(key);
        if (!this.unbindable.has(key)) this.log(`published port ${key} (${w.mode}) cannot listen on ${this.opts.host}: ${err.code ?? err.message}`);
        this.unbindable.add(key);
      });
      server.listen({ host: this.opts.host, port: Number(key) }, () => this.unbindable.delete(key));
    }
  }

  private accept(key: string, client: Socket): void {
    client.on('error', () => client.destroy());
    const l = this.published.get(key);
    if (!l) return void client.destroy();
    const service = this.index.services.get(l.serviceId);
    if (!service) return void client.destroy();
    // Ingress: the client's first bytes travel with the tunnel's header (see tunnel.ts).
    const connect =
      l.mode === 'ingress' && this.index.ingressId
        ? this.balanced(service, this.index.ingressId, l.targetPort, new EarlyData(client))
        : this.localBalanced(service, l.targetPort, client);
    connect.then(
      (backend) => {
        if (backend === DELIVERED) return;
        if (client.destroyed) return void backend.destroy();
        splice(client, backend);
      },
      () => client.destroy(),
    );
  }

  /** Host mode: one of the service's tasks on this node (the client, not yet read, handed to it when it can be). */
  private async localBalanced(service: MapService, port: number, client: Socket): Promise<Socket | typeof DELIVERED> {
    const local = (this.index.running.get(service.id) ?? []).filter((t) => t.nodeId === this.opts.nodeId);
    let last: Error | undefined;
    for (const t of this.balancer.order(`host/${service.id}`, local)) {
      const hand = this.handFor({ taskId: t.id, port, networkId: '' });
      if (hand) {
        hand(client);
        return DELIVERED;
      }
      try {
        return await this.openLocal({ taskId: t.id, port, networkId: '' });
      } catch (err) {
        last = err as Error;
      }
    }
    throw last ?? refused(`no task of ${service.name} runs on this node`);
  }

  private log(line: string): void {
    this.opts.logger?.(line);
  }
}
