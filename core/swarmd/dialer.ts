// This node's outgoing connections on the cluster port, all made with its current certificate.
// A renewed certificate (or a new role) replaces every connection, so no peer keeps seeing the old one.
// They leave from the node's own address when it listens on one, as from a host with one address:
// peers then know the node by its address on incoming connections too (which network faults need).

import net from 'node:net';
import tls from 'node:tls';
import { tlsCredentials } from '../ca/index.ts';
import type { Clock } from '../clock.ts';
import { RpcClient } from '../rpc/client.ts';
import type { LinkFaults } from '../rpc/link-faults.ts';
import { splitHostPort } from '../rpc/listener.ts';
import type { Credentials } from './state-dir.ts';

export interface DialerOptions {
  /** The host the node listens on (its cluster port's), if it listens yet. */
  ownHost?: () => string | undefined;
  faults?: LinkFaults;
}

export class Dialer {
  private creds: Credentials | undefined;
  private readonly pool = new Map<string, RpcClient>();
  private readonly owned = new Set<RpcClient>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: DialerOptions = {},
  ) {}

  setCredentials(c: Credentials | undefined): void {
    this.creds = c;
    for (const client of [...this.pool.values(), ...this.owned]) client.close();
    this.pool.clear();
    this.owned.clear();
  }

  get credentials(): Credentials | undefined {
    return this.creds;
  }

  /** A shared connection to a manager (forwarded requests, the agent's session). */
  shared(addr: string): RpcClient {
    let c = this.pool.get(addr);
    if (!c) {
      c = this.fresh(addr);
      this.owned.delete(c);
      this.pool.set(addr, c);
    }
    return c;
  }

  /** A connection of the caller's own (Raft keeps one per peer), closed with the others on renewal. */
  fresh(addr: string, serverName?: string): RpcClient {
    const creds = this.creds;
    if (!creds) throw new Error('this node has no certificate yet');
    const { host, port } = splitHostPort(addr);
    const opts = tlsCredentials(creds.keyPem, creds.certPem, creds.rootPem, serverName ? { serverName } : {}).client;
    const localAddress = this.localAddressFor(host);
    const client = new RpcClient({
      dial: () => tls.connect({ ...opts, host, port, servername: undefined, ...(localAddress ? { localAddress } : {}) }),
      readyEvent: 'secureConnect',
      clock: this.clock,
      faults: this.opts.faults,
    });
    this.owned.add(client);
    return client;
  }

  close(): void {
    this.setCredentials(undefined);
  }

  /** The node's own IP when it listens on one, and the peer is reached in the same family. */
  private localAddressFor(peerHost: string): string | undefined {
    const own = this.opts.ownHost?.();
    if (!own || own === '0.0.0.0' || own === '::') return undefined;
    const family = net.isIP(own);
    return family !== 0 && family === net.isIP(peerHost) ? own : undefined;
  }
}
