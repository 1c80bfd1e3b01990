// swarmd as the Docker API server sees it (EngineBackend): this node's info, swarm init/join/leave
// by `docker swarm ...`, the control API while it is a manager, cluster-wide task logs and events.

import os from 'node:os';
import type { EngineBackend, EngineInfo, LocalSwarmInfo, LogOptions, LogSelector, ServiceLogLine, SwarmInitRequest, SwarmJoinRequest } from '../dockerapi/backend.ts';
import { ApiError } from '../dockerapi/errors.ts';
import { EventLog, type EngineEvent, type EventQuery } from '../dockerapi/events.ts';
import { publishStoreEvents } from '../dockerapi/store-events.ts';
import type { ClusterSpec } from '../api/objects.ts';
import type { ControlApi } from '../manager/control/api.ts';
import { splitHostPort } from '../rpc/listener.ts';
import { ENGINE_VERSION } from './agent-role.ts';
import type { ManagerRole } from './manager-role.ts';
import { clusterLogs, hasLogs } from './task-logs.ts';
import { SwarmStateError, type Swarmd } from './daemon.ts';

/** The port `docker swarm init|join` send when the user gave no --listen-addr. */
const CLI_DEFAULT_LISTEN = '0.0.0.0:2377';

export class SwarmdEngine implements EngineBackend {
  private readonly eventLog: EventLog;
  private unwatch: (() => void) | undefined;

  constructor(private readonly d: Swarmd) {
    this.eventLog = new EventLog({ clock: d.opts.clock });
    // Every manager's store replicates every change: each one can tell `docker events` about them.
    const follow = (m: ManagerRole | undefined) => {
      this.unwatch?.();
      this.unwatch = m ? publishStoreEvents(m.store, this.eventLog, d.opts.clock) : undefined;
    };
    d.onManager = follow;
    follow(d.managerRole);
  }

  info(): EngineInfo {
    const st = this.d.state;
    const mgr = this.d.managerRole;
    const swarm: LocalSwarmInfo = {
      NodeID: st?.nodeId ?? '',
      NodeAddr: st ? splitHostPort(st.advertiseAddr).host : '',
      LocalNodeState: this.d.nodeState,
      ControlAvailable: !!mgr,
      Error: this.d.error,
      RemoteManagers: mgr ? mgr.managerPeers().map((p) => ({ NodeID: p.nodeId, Addr: p.addr })) : (st?.managers ?? []).map((a) => ({ NodeID: '', Addr: a })),
    };
    return {
      ID: st?.nodeId ?? this.d.opts.hostname,
      Name: this.d.opts.hostname,
      ServerVersion: ENGINE_VERSION,
      OperatingSystem: 'swarmlab',
      KernelVersion: os.release(),
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      DockerRootDir: this.d.opts.stateDir,
      Swarm: swarm,
    };
  }

  version() {
    return { Version: ENGINE_VERSION, GitCommit: 'swarmlab' };
  }

  control(): ControlApi | undefined {
    return this.d.control();
  }

  async swarmInit(req: SwarmInitRequest): Promise<string> {
    return this.translate(() =>
      this.d.init({
        listenAddr: this.listenAddr(req.ListenAddr),
        advertiseAddr: req.AdvertiseAddr || undefined,
        spec: (req.Spec ?? {}) as ClusterSpec,
      }),
    );
  }

  async swarmJoin(req: SwarmJoinRequest): Promise<void> {
    return this.translate(() =>
      this.d.join({
        remoteAddrs: req.RemoteAddrs ?? [],
        joinToken: req.JoinToken ?? '',
        listenAddr: this.listenAddr(req.ListenAddr),
        advertiseAddr: req.AdvertiseAddr || undefined,
      }),
    );
  }

  async swarmLeave(force: boolean): Promise<void> {
    return this.translate(() => this.d.leave(force));
  }

  async swarmUnlockKey(): Promise<string> {
    return '';
  }

  serviceLogs(selector: LogSelector, opts: LogOptions, signal: AbortSignal): AsyncIterable<ServiceLogLine> {
    const control = this.control();
    const st = this.d.state;
    if (!control || !st) throw ApiError.unavailable('This node is not a swarm manager.');
    const exec = this.d.taskExecutor;
    return clusterLogs({ control, dialer: this.d.dialer, selfId: st.nodeId, local: hasLogs(exec) ? exec : undefined }, selector, opts, signal);
  }

  events(query: EventQuery, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return this.eventLog.stream(query, signal);
  }

  /**
   * Docker's CLI always sends a listen address (0.0.0.0:2377 by default). Nodes of a lab share a
   * machine, so the port swarmd was started with wins over the CLI's default.
   */
  private listenAddr(requested: string | undefined): string | undefined {
    if (!requested || requested === CLI_DEFAULT_LISTEN) return undefined;
    // `--listen-addr eth0` or `--listen-addr 10.0.0.1` without a port: the default port.
    return /:\d+$/.test(requested) ? requested : `${requested}:${splitHostPort(this.d.opts.listenAddr).port}`;
  }

  private async translate<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SwarmStateError) throw new ApiError(err.status, err.message);
      throw err;
    }
  }
}
