// swarmd: one swarm node. It keeps its identity and certificates in its state directory, listens on
// the cluster port (mutual TLS), runs an agent and an executor, and — while it is a manager — a Raft
// member with the leader components. It starts a new swarm, joins one, or (inactive) waits for
// `docker swarm init|join` on its control socket; it follows promotions and demotions by changing
// its certificate and starting or stopping its manager.

import type { TLSSocket } from 'node:tls';
import type { Agent, AgentEvent } from '../agent/agent.ts';
import type { Executor } from '../agent/executor.ts';
import type { ProfileName } from '../api/defaults.ts';
import { newId } from '../api/ids.ts';
import type { NodeRole } from '../api/objects.ts';
import { createNodeKeyAndCSR, createRootCA, generateJoinToken, parseNodeCert, peerIdentity, renewalTime, signNodeCSR, tlsCredentials } from '../ca/index.ts';
import { DEFAULT_NODE_CERT_EXPIRY_MS } from '../ca/index.ts';
import type { Clock, Timer } from '../clock.ts';
import { serveDispatcher } from '../dispatcher/rpc-transport.ts';
import type { Random } from '../random.ts';
import { listen, splitHostPort, type Listening } from '../rpc/listener.ts';
import { RpcError } from '../rpc/errors.ts';
import type { LinkFaults } from '../rpc/link-faults.ts';
import { RpcServer, type Peer } from '../rpc/server.ts';
import type { ControlApi } from '../manager/control/api.ts';
import { localControl } from '../manager/control/local.ts';
import { addIngressIfMissing } from '../manager/control/networks.ts';
import { NodeNetwork } from '../network/node-network.ts';
import { startAgent } from './agent-role.ts';
import { controlProxy, serveControl } from './control-proxy.ts';
import { hasLogs, serveTaskLogs } from './task-logs.ts';
import { defaultClusterSpec, PROFILE_LABEL, requestedProfile } from './cluster-defaults.ts';
import { clusterSpecFromClient } from '../manager/control/cluster.ts';
import { leaveRefusal } from '../dockerapi/messages.ts';
import { serveCluster } from './cluster-rpc.ts';
import { Dialer } from './dialer.ts';
import { joinSwarm, JoinError } from './join.ts';
import { ManagerRole } from './manager-role.ts';
import { serveRaft } from './raft-transport.ts';
import { StateDir, type Credentials, type NodeState } from './state-dir.ts';

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface SwarmdOptions {
  stateDir: string;
  hostname: string;
  /** The cluster port to listen on when the flags or the init/join request give none. */
  listenAddr: string;
  advertiseAddr?: string;
  profile: ProfileName;
  clock: Clock;
  random: Random;
  /**
   * Makes the executor for this node (the process executor in swarmd, a test executor in tests);
   * `network` is the node's networking, when it runs a data plane.
   */
  makeExecutor: (node: { nodeId: string; hostname: string; network?: NodeNetwork }) => Executor;
  /** Runs the data plane (overlay tunnel, routing mesh) with its tunnel on this port (4789; 0: any). */
  dataPathPort?: number;
  log: (level: 'debug' | 'info' | 'warn' | 'error', component: string, line: string) => void;
  /** Network faults on the cluster port's frames (a lab machine's emulated network). */
  faults?: LinkFaults;
}

export interface InitRequest {
  listenAddr?: string;
  advertiseAddr?: string;
  /** The cluster spec as a client sent it (zeros mean defaults); validated here. */
  spec?: unknown;
}

export interface JoinRequest {
  remoteAddrs: string[];
  joinToken: string;
  listenAddr?: string;
  advertiseAddr?: string;
}

/** A request the node cannot honour in its current state (Docker answers these with 503 / 400). */
export class SwarmStateError extends Error {
  constructor(
    readonly status: 400 | 404 | 406 | 409 | 500 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'SwarmStateError';
  }
}

export const ALREADY_IN_SWARM = 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';
export const NOT_IN_SWARM = 'This node is not part of a swarm';
export const BUSY = 'This node is already joining or creating a swarm: wait for it to finish';

export class Swarmd {
  readonly dir: StateDir;
  readonly dialer: Dialer;
  private readonly server: RpcServer;
  private listening: Listening | undefined;
  private st: NodeState | undefined;
  private mgr: ManagerRole | undefined;
  private agent: Agent | undefined;
  private executor: Executor | undefined;
  private network: NodeNetwork | undefined;
  private localState: LocalNodeState = 'inactive';
  private lastError = '';
  private roleChange: Promise<void> | undefined;
  private controls: { local: ControlApi; proxy: ControlApi } | undefined;
  /** Called with each new manager role (the engine feeds its events from the store). */
  onManager: ((m: ManagerRole | undefined) => void) | undefined;
  private stopped = false;
  private renewTimer: Timer | undefined;

  constructor(readonly opts: SwarmdOptions) {
    this.dir = new StateDir(opts.stateDir);
    this.dialer = new Dialer(opts.clock, {
      ownHost: () => (this.listening ? splitHostPort(this.listening.addr).host : undefined),
      faults: opts.faults,
    });
    this.server = new RpcServer({
      identify: (s) => this.identify(s as TLSSocket),
      refuse: (p) => this.refuse(p),
      logger: (line) => opts.log('warn', 'rpc', line),
      faults: opts.faults,
    });
    serveRaft(this.server, (m) => this.mgr?.step(m));
    serveDispatcher(this.server, {
      session: (r) => this.manager().endpoint.session(r),
      heartbeat: (r) => this.manager().endpoint.heartbeat(r),
      updateTaskStatus: (r) => this.manager().endpoint.updateTaskStatus(r),
      assignments: (r, o) => {
        if (!this.mgr) {
          o.end(new RpcError('unavailable', 'this node is not a swarm manager') as never);
          return { close() {} };
        }
        return this.mgr.endpoint.assignments(r, o);
      },
    });
    serveCluster(this.server, { manager: () => this.mgr, dialer: this.dialer, random: opts.random });
    serveControl(this.server, () => this.controls?.local, () => !!this.mgr?.node.isLeader());
    serveTaskLogs(this.server, () => (hasLogs(this.executor) ? this.executor : undefined));
  }

  /** The control API while this node is a manager (forwarded to the leader when it is not one). */
  control(): ControlApi | undefined {
    return this.controls?.proxy;
  }

  // ---- what the node is ----------------------------------------------------------------------------

  get state(): NodeState | undefined {
    return this.st;
  }

  get nodeState(): LocalNodeState {
    return this.localState;
  }

  get error(): string {
    return this.lastError;
  }

  /** The manager role while this node is a manager. */
  manager(): ManagerRole {
    if (!this.mgr) throw new RpcError('unavailable', 'this node is not a swarm manager');
    return this.mgr;
  }

  get managerRole(): ManagerRole | undefined {
    return this.mgr;
  }

  get clusterAddr(): string | undefined {
    return this.listening?.addr;
  }

  get runningAgent(): Agent | undefined {
    return this.agent;
  }

  get taskExecutor(): Executor | undefined {
    return this.executor;
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Resumes the node from its state directory; returns whether it was part of a swarm. */
  async resume(): Promise<boolean> {
    await this.dir.ensure();
    const st = await this.dir.loadState();
    if (!st) {
      // An init or join that did not finish: start over as a node outside any swarm.
      await this.dir.clear();
      return false;
    }
    const creds = await this.dir.loadCredentials();
    this.st = st;
    this.useCredentials(creds);
    await this.listenCluster(st.listenAddr, creds);
    if (st.role === 'manager') await this.startManager({ bootstrap: false });
    await this.startWorker();
    this.localState = 'active';
    this.log('info', `resumed as ${st.role} ${st.nodeId} of cluster ${st.clusterId}`);
    return true;
  }

  async init(req: InitRequest = {}): Promise<string> {
    if (this.st) throw new SwarmStateError(503, ALREADY_IN_SWARM);
    if (this.localState === 'pending') throw new SwarmStateError(503, BUSY);
    this.localState = 'pending';
    try {
      return await this.doInit(req);
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }

  private async doInit(req: InitRequest): Promise<string> {
    // Checked before anything is made, so a bad spec leaves the node as it was.
    const profile = requestedProfile(req.spec) ?? this.opts.profile;
    const spec = clusterSpecFromClient(req.spec ?? {}, defaultClusterSpec(profile));
    // Labels given replace the default ones: the profile's must stay, for the managers joining later.
    spec.Labels = { ...spec.Labels, [PROFILE_LABEL]: profile };
    const listenAddr = req.listenAddr ?? this.opts.listenAddr;
    const nodeId = newId(this.opts.random);
    const clusterId = newId(this.opts.random);
    const root = await createRootCA();
    const { keyPem, csrPem } = await createNodeKeyAndCSR();
    const certPem = await signNodeCSR(root, csrPem, { nodeId, role: 'manager', clusterId, expiryMs: DEFAULT_NODE_CERT_EXPIRY_MS });
    const creds: Credentials = { keyPem, certPem, rootPem: root.certPem };
    await this.dir.clear();
    await this.dir.saveCredentials(creds);
    this.useCredentials(creds);
    await this.listenCluster(listenAddr, creds);
    const advertiseAddr = this.advertise(req.advertiseAddr, listenAddr);
    const st: NodeState = { version: 1, nodeId, clusterId, role: 'manager', listenAddr: this.listening!.addr, advertiseAddr, managers: [advertiseAddr], profile };
    this.st = st;
    await this.startManager({ bootstrap: true });
    const m = this.mgr!;
    await this.waitFor(() => m.node.isLeader(), 10_000, 'the new swarm did not elect its first manager');
    await m.store.update((tx) => {
      tx.create('clusters', {
        ID: clusterId,
        Spec: spec,
        JoinTokens: { Worker: generateJoinToken(root.certPem), Manager: generateJoinToken(root.certPem) },
        RootCA: { CACert: root.certPem, CAKey: root.keyPem },
        TLSInfo: { TrustRoot: root.certPem },
      });
      tx.create('nodes', {
        ID: nodeId,
        Spec: { Role: 'manager', Availability: 'active' },
        Role: 'manager',
        Status: { State: 'unknown' },
        ManagerStatus: { Reachability: 'reachable', Addr: advertiseAddr },
      });
      // The routing mesh's network exists from the start, as in Docker: services created right
      // after init publish through it.
      addIngressIfMissing(tx, newId(this.opts.random));
    });
    // Written last: a node killed before this point starts afresh instead of half-initialised.
    await this.dir.saveState(st);
    await this.startWorker();
    this.localState = 'active';
    this.log('info', `swarm initialized: node ${nodeId} is the first manager of cluster ${clusterId}`);
    return nodeId;
  }

  async join(req: JoinRequest): Promise<void> {
    if (this.st) throw new SwarmStateError(503, ALREADY_IN_SWARM);
    if (this.localState === 'pending') throw new SwarmStateError(503, BUSY);
    try {
      await this.doJoin(req);
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }

  private async doJoin(req: JoinRequest): Promise<void> {
    const addrs = req.remoteAddrs.filter((a) => a);
    if (addrs.length === 0) throw new SwarmStateError(400, 'at least 1 RemoteAddr is required to join');
    this.localState = 'pending';
    let joined;
    let lastErr: Error | undefined;
    for (const addr of addrs) {
      try {
        joined = await joinSwarm({ addr, token: req.joinToken, hostname: this.opts.hostname, clock: this.opts.clock });
        break;
      } catch (err) {
        lastErr = err as Error;
      }
    }
    if (!joined) {
      this.localState = 'inactive';
      throw new SwarmStateError(lastErr instanceof JoinError && /token|fingerprint|CA/i.test(lastErr.message) ? 400 : 503, lastErr?.message ?? 'could not join');
    }
    await this.dir.clear();
    await this.dir.saveCredentials(joined.credentials);
    this.useCredentials(joined.credentials);
    const listenAddr = req.listenAddr ?? this.opts.listenAddr;
    await this.listenCluster(listenAddr, joined.credentials);
    const advertiseAddr = this.advertise(req.advertiseAddr, listenAddr, addrs[0]);
    const managers = joined.managers.length > 0 ? joined.managers : addrs;
    const st: NodeState = { version: 1, nodeId: joined.nodeId, clusterId: joined.clusterId, role: joined.role, listenAddr: this.listening!.addr, advertiseAddr, managers, profile: joined.profile };
    this.st = st;
    await this.dir.saveState(st);
    if (joined.role === 'manager') await this.becomeManager(managers);
    await this.startWorker();
    this.localState = 'active';
    this.log('info', `joined cluster ${joined.clusterId} as ${joined.role} ${joined.nodeId}`);
  }

  /** After a failed init or join: outside the swarm again, or in error if it got half way. */
  private failed(err: unknown): void {
    if (this.st) {
      this.localState = 'error';
      this.lastError = (err as Error).message;
    } else {
      this.localState = 'inactive';
    }
  }

  async leave(force: boolean): Promise<void> {
    const st = this.st;
    if (!st) throw new SwarmStateError(503, NOT_IN_SWARM);
    if (this.mgr && !force) {
      const voters = this.mgr.node.voters().length;
      // Only the leader knows who is reachable; a follower counts the managers as reachable.
      const reachable = this.mgr.node.isLeader() ? this.mgr.membership.reachable().length : voters;
      throw new SwarmStateError(503, leaveRefusal(reachable, voters - reachable));
    }
    await this.stopRoles();
    await this.dir.clear();
    this.st = undefined;
    this.localState = 'inactive';
    this.log('info', 'left the swarm');
  }

  /** Stops the node: the session, the manager and the cluster port. Tasks stop with it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopRoles();
  }

  // ---- roles -------------------------------------------------------------------------------------

  private async startManager(o: { bootstrap: boolean; members?: { nodeId: string; addr: string }[] }): Promise<void> {
    const st = this.st!;
    const m = new ManagerRole({
      nodeId: st.nodeId,
      raftDir: this.dir.raftDir,
      advertiseAddr: st.advertiseAddr,
      profile: st.profile,
      clock: this.opts.clock,
      random: this.opts.random,
      dial: (addr) => this.dialer.fresh(addr),
      bootstrap: o.bootstrap,
      members: o.members,
      logger: (component, line) => this.opts.log(component === 'raft' ? 'debug' : 'info', component, line),
      onFatal: (err) => {
        this.lastError = err.message;
        this.localState = 'error';
        this.log('error', `manager stopped: ${err.message}`);
      },
    });
    this.mgr = m;
    const local = localControl({
      store: m.store,
      membership: m.membership,
      random: this.opts.random,
      leader: () => m.node.leader(),
      managerAddr: (id) => m.managerPeers().find((p) => p.nodeId === id)?.addr,
      clusterDefaults: () => defaultClusterSpec(st.profile),
      rotateToken: () => {
        const root = m.store.view((tx) => tx.find('clusters')[0]?.RootCA?.CACert);
        if (!root) throw new Error('the swarm has no root CA');
        return generateJoinToken(root);
      },
    });
    this.controls = { local, proxy: controlProxy({ manager: m, local, dialer: this.dialer, clock: this.opts.clock }) };
    this.onManager?.(m);
    await m.start();
  }

  private async stopManager(): Promise<void> {
    const m = this.mgr;
    this.mgr = undefined;
    this.controls = undefined;
    this.onManager?.(undefined);
    await m?.stop();
  }

  /** A node with a manager certificate joins Raft through a manager it knows. */
  private async becomeManager(managers: string[]): Promise<void> {
    const st = this.st!;
    await this.startManager({ bootstrap: false });
    let lastErr: unknown;
    const deadline = this.opts.clock.now() + 30_000;
    while (this.opts.clock.now() < deadline && !this.stopped) {
      for (const addr of managers.filter((a) => a !== st.advertiseAddr)) {
        try {
          const r = await this.dialer.shared(addr).call<{ members: { nodeId: string; addr: string }[] }>('raft.join', { addr: st.advertiseAddr }, 10_000);
          for (const p of r.members) this.mgr?.transport.learn(p.nodeId, p.addr);
          return;
        } catch (err) {
          lastErr = err;
        }
      }
      await new Promise((res) => this.opts.clock.setTimeout(() => res(undefined), 500));
    }
    throw new SwarmStateError(503, `could not join the managers' Raft cluster: ${(lastErr as Error)?.message ?? 'no manager answered'}`);
  }

  private async startWorker(): Promise<void> {
    const st = this.st!;
    if (this.opts.dataPathPort !== undefined && !this.network) {
      const network = new NodeNetwork({
        nodeId: st.nodeId,
        host: splitHostPort(st.advertiseAddr).host,
        dataPort: this.opts.dataPathPort,
        clock: this.opts.clock,
        logger: (line) => this.opts.log('info', 'network', line),
      });
      await network.start();
      this.network = network;
    }
    this.executor ??= this.opts.makeExecutor({ nodeId: st.nodeId, hostname: this.opts.hostname, ...(this.network ? { network: this.network } : {}) });
    const network = this.network;
    this.agent = startAgent({
      nodeId: st.nodeId,
      hostname: this.opts.hostname,
      advertiseAddr: st.advertiseAddr,
      clusterAddr: st.advertiseAddr,
      managers: st.managers,
      clock: this.opts.clock,
      random: this.opts.random,
      dialer: this.dialer,
      executor: this.executor,
      onEvent: (e) => this.onAgentEvent(e),
      logger: (line) => this.opts.log('debug', 'agent', line),
      ...(network ? { dataPathAddr: network.plane.dataAddr, onExtras: (x) => network.apply(x) } : {}),
    });
  }

  private onAgentEvent(e: AgentEvent): void {
    const st = this.st;
    if (!st) return;
    if (e.type === 'managers') {
      this.st = { ...st, managers: e.managers };
      void this.dir.saveState(this.st).catch((err: Error) => this.log('warn', `could not save the managers list: ${err.message}`));
    } else if (e.type === 'role' && e.role !== st.role && !this.roleChange) {
      this.roleChange = this.changeRole(e.role)
        .catch((err: Error) => this.log('warn', `role change to ${e.role} failed (will retry): ${err.message}`))
        .finally(() => (this.roleChange = undefined));
    } else if (e.type === 'removed') {
      this.log('warn', `${e.message}; this node has left the swarm`);
      void this.stopRoles().then(() => this.dir.clear()).then(() => {
        this.st = undefined;
        this.localState = 'inactive';
      });
    } else if (e.type === 'connected') {
      this.log('debug', `session with ${e.manager}`);
    }
  }

  /** Promotion or demotion: a certificate for the new role, then the manager starts or stops. */
  private async changeRole(role: NodeRole): Promise<void> {
    const st = this.st!;
    this.log('info', `the managers made this node a ${role}: renewing its certificate`);
    const { keyPem, csrPem } = await createNodeKeyAndCSR();
    const target = this.agentManager() ?? st.managers[0]!;
    const r = await this.dialer.shared(target).call<{ certPem: string; role: NodeRole }>('ca.renew', { csrPem });
    if (r.role !== role) return;
    const creds: Credentials = { keyPem, certPem: r.certPem, rootPem: this.dialer.credentials!.rootPem };
    await this.dir.saveCredentials(creds);
    const next: NodeState = { ...this.st!, role };
    this.st = next;
    await this.dir.saveState(next);
    // New connections, with the new certificate; the listener presents it to new peers.
    this.useCredentials(creds);
    await this.relisten(creds);
    if (role === 'manager' && !this.mgr) {
      await this.becomeManager(next.managers);
    } else if (role === 'worker' && this.mgr) {
      await this.stopManager();
      await this.dir.clearRaft();
    }
    // The agent's session was made with the old certificate.
    this.agent?.stop();
    await this.startWorker();
  }

  // ---- certificate renewal -----------------------------------------------------------------------

  /** Renews at a random point between 50% and 80% of the certificate's life, as SwarmKit does. */
  private scheduleRenewal(): void {
    this.renewTimer?.cancel();
    const creds = this.dialer.credentials;
    if (!creds || this.stopped) return;
    const at = renewalTime(parseNodeCert(creds.certPem), this.opts.random).getTime();
    // Timers cannot wait more than ~24 days: look again daily until it is time.
    const wait = Math.min(Math.max(0, at - this.opts.clock.now()), 24 * 3_600_000);
    this.renewTimer = this.opts.clock.setTimeout(() => {
      if (this.opts.clock.now() < at) return this.scheduleRenewal();
      this.renewCertificate().catch((err: Error) => {
        this.log('warn', `certificate renewal failed (retrying in 30 s): ${err.message}`);
        this.renewTimer = this.opts.clock.setTimeout(() => this.scheduleRenewal(), 30_000);
      });
    }, wait);
  }

  /** A new certificate for this node's key role from the CA, used from now on. */
  async renewCertificate(): Promise<void> {
    const st = this.st;
    if (!st) throw new SwarmStateError(503, NOT_IN_SWARM);
    const { keyPem, csrPem } = await createNodeKeyAndCSR();
    const r = await this.dialer.shared(this.agentManager() ?? st.managers[0]!).call<{ certPem: string; role: NodeRole }>('ca.renew', { csrPem });
    if (r.role !== st.role) return; // a role change is on its way; it renews for itself
    const creds: Credentials = { keyPem, certPem: r.certPem, rootPem: this.dialer.credentials!.rootPem };
    await this.dir.saveCredentials(creds);
    this.useCredentials(creds);
    await this.relisten(creds);
    this.log('info', `certificate renewed: valid until ${parseNodeCert(r.certPem).notAfter.toISOString()}`);
  }

  private useCredentials(creds: Credentials | undefined): void {
    this.dialer.setCredentials(creds);
    this.scheduleRenewal();
  }

  private agentManager(): string | undefined {
    return this.agent?.knownManagers()[0];
  }

  private async stopRoles(): Promise<void> {
    this.agent?.stop();
    this.agent = undefined;
    const exec = this.executor as (Executor & { close?: () => Promise<void> }) | undefined;
    this.executor = undefined;
    // Tasks die with the node, as containers die with their machine.
    await exec?.close?.();
    await this.network?.close();
    this.network = undefined;
    await this.stopManager();
    await this.listening?.close();
    this.listening = undefined;
    this.renewTimer?.cancel();
    this.dialer.setCredentials(undefined);
  }

  // ---- the cluster port ------------------------------------------------------------------------------

  private async listenCluster(addr: string, creds: Credentials): Promise<void> {
    await this.listening?.close();
    this.listening = await listen(this.server, addr, tlsCredentials(creds.keyPem, creds.certPem, creds.rootPem).server);
  }

  private async relisten(creds: Credentials): Promise<void> {
    await this.listenCluster(this.st!.listenAddr, creds);
  }

  private identify(socket: TLSSocket): Peer | undefined {
    const id = peerIdentity(socket);
    if (!id || !this.st || id.clusterId !== this.st.clusterId) return undefined;
    return id;
  }

  private refuse(p: Peer): string | undefined {
    const removed = this.mgr?.store.view((tx) => !!tx.find('clusters')[0]?.BlacklistedCertificates?.[p.nodeId]);
    return removed ? `node ${p.nodeId} was removed from the swarm` : undefined;
  }

  /** The address to advertise: the request's (a bare IP takes the listen port), else a concrete listen address. */
  private advertise(requested: string | undefined, listenAddr: string, reachedThrough?: string): string {
    const listenPort = this.listening ? splitHostPort(this.listening.addr).port : splitHostPort(listenAddr).port;
    const given = requested ?? this.opts.advertiseAddr;
    if (given) return /:\d+$/.test(given) && !given.endsWith(']') ? given : `${given}:${listenPort}`;
    const { host } = splitHostPort(listenAddr);
    if (host !== '0.0.0.0' && host !== '::' && host !== '') return `${host}:${listenPort}`;
    // Listening on every interface: the address this node reached the swarm from is a good guess,
    // as Docker's is the address of the interface with the default route.
    const via = reachedThrough ? splitHostPort(reachedThrough).host : '127.0.0.1';
    return `${via === '0.0.0.0' ? '127.0.0.1' : via}:${listenPort}`;
  }

  private async waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = this.opts.clock.now() + ms;
    while (!pred()) {
      if (this.opts.clock.now() > deadline) throw new SwarmStateError(500, what);
      await new Promise((res) => this.opts.clock.setTimeout(() => res(undefined), 20));
    }
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', line: string): void {
    this.opts.log(level, 'swarmd', line);
  }
}

