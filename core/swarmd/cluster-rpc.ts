// What a node serves on its cluster port besides Raft and the dispatcher: the CA (a joining node's
// certificate, renewals), admission of a new manager into Raft, and the control API forwarded from
// other managers. Whatever writes to the store runs on the leader: another manager forwards it there.

import { timingSafeEqual } from 'node:crypto';
import { newId } from '../api/ids.ts';
import { signNodeCSR } from '../ca/index.ts';
import { nsToMs, DEFAULT_NODE_CERT_EXPIRY } from '../api/defaults.ts';
import type { Random } from '../random.ts';
import { RpcError } from '../rpc/errors.ts';
import type { CallContext, RpcServer } from '../rpc/server.ts';
import type { Dialer } from './dialer.ts';
import type { IssueRequest, IssueResponse } from './join.ts';
import { memberContext, type ManagerRole } from './manager-role.ts';
import { profileOf } from './cluster-defaults.ts';

export interface ClusterRpcHost {
  manager(): ManagerRole | undefined;
  dialer: Dialer;
  random: Random;
}

export const NOT_A_MANAGER = 'this node is not a swarm manager';
export const INVALID_TOKEN = 'A valid join token is necessary to join this cluster';

/** Compares in constant time, so the answer's timing tells nothing about the secret. */
function sameToken(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function mgr(host: ClusterRpcHost): ManagerRole {
  const m = host.manager();
  if (!m) throw new RpcError('unavailable', NOT_A_MANAGER);
  return m;
}

/** Runs `local` on the leader: here if this manager leads, else forwarded to it as the same method. */
async function onLeader<T>(host: ClusterRpcHost, method: string, params: unknown, local: (m: ManagerRole) => Promise<T>): Promise<T> {
  const m = mgr(host);
  if (m.node.isLeader()) return local(m);
  const leader = m.leaderPeer();
  if (!leader) throw new RpcError('unavailable', 'the swarm does not have a leader: it may be electing one, or it has lost quorum (a majority of managers is unreachable)');
  return host.dialer.shared(leader.addr).call<T>(method, params);
}

function certExpiryMs(m: ManagerRole): number {
  const ns = m.store.view((tx) => tx.find('clusters')[0]?.Spec.CAConfig?.NodeCertExpiry);
  return nsToMs(ns && ns > 0 ? ns : DEFAULT_NODE_CERT_EXPIRY);
}

function rootCA(m: ManagerRole) {
  const cluster = m.store.view((tx) => tx.find('clusters')[0]);
  if (!cluster?.RootCA) throw new RpcError('unavailable', 'the swarm has no root CA yet');
  return { cluster, root: { certPem: cluster.RootCA.CACert, keyPem: cluster.RootCA.CAKey } };
}

export function serveCluster(server: RpcServer, host: ClusterRpcHost): void {
  server.call('ca.issue', 'anyone', (p) =>
    onLeader(host, 'ca.issue', p, async (m): Promise<IssueResponse> => {
      const req = p as Partial<IssueRequest>;
      if (typeof req?.csrPem !== 'string' || typeof req.token !== 'string') throw new RpcError('invalid-argument', 'ca.issue needs a CSR and a join token');
      const { cluster, root } = rootCA(m);
      const role = sameToken(req.token, cluster.JoinTokens?.Manager) ? 'manager' : sameToken(req.token, cluster.JoinTokens?.Worker) ? 'worker' : undefined;
      if (!role) throw new RpcError('invalid-argument', INVALID_TOKEN);
      const nodeId = newId(host.random);
      const certPem = await signNodeCSR(root, req.csrPem, { nodeId, role, clusterId: cluster.ID, expiryMs: certExpiryMs(m) });
      const hostname = typeof req.hostname === 'string' && req.hostname ? req.hostname : nodeId;
      await m.store.update((tx) => {
        tx.create('nodes', {
          ID: nodeId,
          Spec: { Role: role, Availability: 'active' },
          Role: role,
          Description: { Hostname: hostname, Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: {}, Engine: {} },
          Status: { State: 'unknown' },
        });
      });
      return { nodeId, clusterId: cluster.ID, role, certPem, managers: m.managerPeers().map((x) => x.addr), profile: profileOf(cluster) };
    }),
  );

  // A node renews its certificate, or gets one for the role it was promoted or demoted to.
  server.call('ca.renew', 'node', (p, ctx: CallContext) =>
    onLeader(host, 'ca.renew', { ...(p as object), nodeId: ctx.peer!.nodeId }, async (m) => {
      const req = p as { csrPem?: unknown; nodeId?: unknown };
      // A forwarded renewal names the node; a direct one is the caller itself.
      const nodeId = ctx.peer!.role === 'manager' && typeof req.nodeId === 'string' ? req.nodeId : ctx.peer!.nodeId;
      if (typeof req.csrPem !== 'string') throw new RpcError('invalid-argument', 'ca.renew needs a CSR');
      const { cluster, root } = rootCA(m);
      const node = m.store.view((tx) => tx.get('nodes', nodeId));
      if (!node) throw new RpcError('permission-denied', `node ${nodeId} was removed from the swarm`);
      const role = node.Role ?? node.Spec.Role;
      const certPem = await signNodeCSR(root, req.csrPem, { nodeId, role, clusterId: cluster.ID, expiryMs: certExpiryMs(m) });
      return { certPem, role };
    }),
  );

  // A manager (a joined or promoted node) asks to become a Raft member.
  server.call('raft.join', 'manager', (p, ctx) =>
    onLeader(host, 'raft.join', { ...(p as object), nodeId: (p as { nodeId?: string })?.nodeId ?? ctx.peer!.nodeId }, async (m) => {
      const req = p as { addr?: unknown; nodeId?: unknown };
      const nodeId = typeof req.nodeId === 'string' ? req.nodeId : ctx.peer!.nodeId;
      if (typeof req.addr !== 'string' || !/^.+:\d+$/.test(req.addr)) throw new RpcError('invalid-argument', 'raft.join needs the address (HOST:PORT) the new manager listens on');
      const node = m.store.view((tx) => tx.get('nodes', nodeId));
      if (!node) throw new RpcError('permission-denied', `node ${nodeId} was removed from the swarm`);
      if ((node.Role ?? node.Spec.Role) !== 'manager') throw new RpcError('permission-denied', `node ${nodeId} is not a manager`);
      const addr = req.addr;
      await m.store.update((tx) => {
        const n = tx.get('nodes', nodeId);
        if (n) tx.update('nodes', { ...n, ManagerStatus: { Reachability: 'reachable', Addr: addr } });
      });
      m.transport.learn(nodeId, addr);
      if (!m.node.voters().includes(nodeId)) {
        await m.node.proposeConfChange({ type: 'addNode', nodeId, context: memberContext(addr) });
      }
      return { members: m.managerPeers() };
    }),
  );
}
