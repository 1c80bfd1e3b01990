// What makes a node a manager: its Raft member (log on disk under the state directory), the
// replicated store, and the leader components that run while it leads. Other managers reach it
// through the cluster port (raft.step); agents reach its dispatcher endpoint.

import { TIMING_PROFILES, nsToMs, type ProfileName } from '../api/defaults.ts';
import type { Clock } from '../clock.ts';
import { DispatcherEndpoint } from '../manager/dispatcher/endpoint.ts';
import { Dispatcher } from '../manager/dispatcher/dispatcher.ts';
import type { ManagerContext } from '../manager/component.ts';
import { leaderComponents } from '../manager/leader-components.ts';
import { Manager } from '../manager/manager.ts';
import { raftMembership, type RaftMembership } from '../manager/membership.ts';
import type { Random } from '../random.ts';
import { RaftNode } from '../raft/node.ts';
import { DekFile } from '../raft/wal/dek-file.ts';
import { DiskStorage } from '../raft/wal/disk-storage.ts';
import type { Message } from '../raft/types.ts';
import type { RpcClient } from '../rpc/client.ts';
import { Store } from '../store/store.ts';
import { RaftTransport } from './raft-transport.ts';
import { raftDekFile } from './state-dir.ts';

export interface ManagerRoleOptions {
  nodeId: string;
  raftDir: string;
  /** The key the Raft log is encrypted with (default: certificates/swarm-raft.dek beside raftDir). */
  dekFile?: string;
  /** This manager's cluster port, as the others reach it. */
  advertiseAddr: string;
  profile: ProfileName;
  clock: Clock;
  random: Random;
  dial: (addr: string) => RpcClient;
  /** Start a new single-manager cluster (swarm init); else restart or join with `members`. */
  bootstrap: boolean;
  /** The members (and their addresses) a join returned. */
  members?: { nodeId: string; addr: string }[];
  logger: (component: string, line: string) => void;
  onFatal: (err: Error) => void;
}

/** A configuration change's context: where the member listens. */
export const memberContext = (addr: string) => JSON.stringify({ addr });

function contextAddr(context: string | undefined): string | undefined {
  if (!context) return undefined;
  try {
    const v = JSON.parse(context) as { addr?: unknown };
    return typeof v.addr === 'string' ? v.addr : undefined;
  } catch {
    return undefined;
  }
}

export class ManagerRole {
  readonly store: Store;
  readonly node: RaftNode;
  readonly transport: RaftTransport;
  readonly endpoint: DispatcherEndpoint;
  readonly membership: RaftMembership;
  readonly ctx: ManagerContext;
  private readonly manager: Manager;
  private readonly storage: DiskStorage;
  private readonly dek: DekFile;

  constructor(private readonly opts: ManagerRoleOptions) {
    const timing = TIMING_PROFILES[opts.profile];
    this.store = new Store({ clock: opts.clock, random: opts.random });
    this.transport = new RaftTransport({
      self: opts.nodeId,
      dial: opts.dial,
      lookup: (id) => this.store.view((tx) => tx.get('nodes', id)?.ManagerStatus?.Addr),
    });
    for (const m of opts.members ?? []) this.transport.learn(m.nodeId, m.addr);
    // Secrets and everything else in the store are encrypted at rest, as Docker does.
    const dekFile = opts.dekFile ?? raftDekFile(opts.raftDir);
    this.dek = new DekFile({
      file: dekFile,
      help: `Put back the key file this manager's Raft state was encrypted with (from a backup of this node's state directory), or remove ${opts.raftDir} and join this node to the swarm again`,
    });
    this.storage = new DiskStorage({ dir: opts.raftDir, encryption: { encrypter: this.dek, decrypter: this.dek } });
    const store = this.store;
    this.node = new RaftNode({
      id: opts.nodeId,
      storage: this.storage,
      transport: this.transport,
      stateMachine: {
        apply: (e) => store.apply(e),
        applyConfChange: (cc) => {
          if (cc.type === 'addNode') {
            const addr = contextAddr(cc.context);
            if (addr) this.transport.learn(cc.nodeId, addr);
          } else if (cc.nodeId !== opts.nodeId) {
            this.transport.forget(cc.nodeId);
          }
        },
        snapshot: () => store.snapshot(),
        restore: (data, index) => store.restore(data, index),
      },
      clock: opts.clock,
      random: opts.random,
      bootstrap: opts.bootstrap ? [opts.nodeId] : undefined,
      tickMs: timing.tickMs,
      electionTick: timing.electionTick,
      heartbeatTick: timing.heartbeatTick,
      preVote: true,
      checkQuorum: true,
      snapshotInterval: 10_000,
      keepEntries: 500,
      requestTimeoutMs: 10_000,
      logger: (line) => opts.logger('raft', line),
      onFatal: opts.onFatal,
    });
    this.store.setProposer(this.node);
    this.membership = raftMembership(this.node);
    this.endpoint = new DispatcherEndpoint({ self: opts.nodeId, leader: () => this.leaderPeer() });
    this.ctx = { store: this.store, clock: opts.clock, random: opts.random, logger: opts.logger };
    this.manager = new Manager({
      node: this.node,
      ctx: this.ctx,
      components: (c) =>
        leaderComponents(c, this.membership, [
          new Dispatcher(c, {
            endpoint: this.endpoint,
            defaultHeartbeatPeriodMs: nsToMs(timing.dispatcherHeartbeat),
            graceMultiplier: timing.heartbeatGraceMultiplier,
            managers: () => this.managerPeers(),
          }),
        ]),
    });
  }

  async start(): Promise<void> {
    await this.dek.load();
    if (this.dek.created) this.opts.logger('raft', `made a new data encryption key ${this.dek.keyId} in ${this.dek.file}`);
    await this.node.start();
    const encrypted = this.storage.recovery?.encrypted;
    if (encrypted) {
      this.opts.logger('raft', `encrypted the Raft state written before encryption at rest: ${encrypted.records} WAL records, ${encrypted.snapshots} snapshots`);
    }
    this.manager.start();
    // A new swarm's only manager need not wait out an election timeout (10 s in the swarm profile)
    // to lead: SwarmKit campaigns at once as well, once its bootstrap membership is applied.
    if (this.opts.bootstrap) {
      const off = this.node.onApplied(() => {
        off();
        // After this Ready is done with: Raft counts the entry applied only then.
        this.opts.clock.setTimeout(() => {
          if (!this.node.isLeader()) this.node.campaign();
        }, 0);
      });
    }
  }

  async stop(): Promise<void> {
    this.manager.stop();
    this.node.stop();
    this.transport.close();
    await this.storage.close();
  }

  step(m: Message): void {
    this.node.step(m);
  }

  /** The leader's node ID and cluster port, when one is known. */
  leaderPeer(): { nodeId: string; addr: string } | undefined {
    const id = this.node.leader();
    if (!id) return undefined;
    const addr = id === this.opts.nodeId ? this.opts.advertiseAddr : this.transport.addrOf(id);
    return addr ? { nodeId: id, addr } : undefined;
  }

  /** Every voter with its cluster port: where agents fail over to. */
  managerPeers(): { nodeId: string; addr: string }[] {
    return this.node
      .voters()
      .map((id) => ({ nodeId: id, addr: id === this.opts.nodeId ? this.opts.advertiseAddr : this.transport.addrOf(id) ?? '' }))
      .filter((p) => p.addr !== '');
  }
}
