// Raft's messages between managers, over the cluster port. A peer's address comes from what this
// manager has learned (the members list a join returned, configuration changes as they apply) and
// otherwise from the replicated node table (ManagerStatus.Addr), so it survives restarts and
// snapshots. A message to a peer whose link is down is dropped: Raft retries on its own.

import type { Message } from '../raft/types.ts';
import type { Transport } from '../raft/node.ts';
import type { RpcClient } from '../rpc/client.ts';
import type { RpcServer } from '../rpc/server.ts';

export interface RaftTransportOptions {
  self: string;
  /** Dials a manager's cluster port with this node's credentials. */
  dial: (addr: string) => RpcClient;
  /** A manager's address from the replicated state, when nothing fresher is known. */
  lookup: (nodeId: string) => string | undefined;
}

export class RaftTransport implements Transport {
  private readonly addrs = new Map<string, string>();
  private readonly clients = new Map<string, { addr: string; client: RpcClient }>();

  constructor(private readonly opts: RaftTransportOptions) {}

  /** Records where a member listens (a join's members list, a configuration change). */
  learn(nodeId: string, addr: string): void {
    if (nodeId === this.opts.self || !addr) return;
    if (this.addrs.get(nodeId) === addr) return;
    this.addrs.set(nodeId, addr);
    const c = this.clients.get(nodeId);
    if (c && c.addr !== addr) {
      c.client.close();
      this.clients.delete(nodeId);
    }
  }

  addrOf(nodeId: string): string | undefined {
    return this.addrs.get(nodeId) ?? this.opts.lookup(nodeId);
  }

  send(messages: Message[]): void {
    for (const m of messages) {
      const c = this.client(m.to);
      c?.cast('raft.step', m);
    }
  }

  /** Forgets a member that left the cluster. */
  forget(nodeId: string): void {
    this.addrs.delete(nodeId);
    this.clients.get(nodeId)?.client.close();
    this.clients.delete(nodeId);
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }

  private client(nodeId: string): RpcClient | undefined {
    const addr = this.addrOf(nodeId);
    if (!addr) return undefined;
    const cur = this.clients.get(nodeId);
    if (cur && cur.addr === addr) return cur.client;
    cur?.client.close();
    const client = this.opts.dial(addr);
    this.clients.set(nodeId, { addr, client });
    return client;
  }
}

/** Serves Raft messages to the local node; a manager may only send messages as itself. */
export function serveRaft(server: RpcServer, step: (m: Message) => void): void {
  server.cast('raft.step', 'manager', (p, ctx) => {
    const m = p as Message;
    if (!m || typeof m !== 'object' || m.from !== ctx.peer?.nodeId) return;
    step(m);
  });
}
