// Accepts connections on the cluster port and hands them to an RpcServer: TLS in swarmd, plain TCP
// only in tests of the RPC layer itself.

import net from 'node:net';
import tls from 'node:tls';
import type { RpcServer } from './server.ts';

export interface Listening {
  /** The address actually bound (host:port; the port is real when 0 was asked for). */
  addr: string;
  close(): Promise<void>;
}

export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid address "${addr}": expected HOST:PORT`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in address "${addr}"`);
  return { host: host || '0.0.0.0', port };
}

export function listen(server: RpcServer, addr: string, tlsOptions: tls.TlsOptions | undefined): Promise<Listening> {
  const { host, port } = splitHostPort(addr);
  const srv = tlsOptions
    ? tls.createServer(tlsOptions, (s) => server.accept(s))
    : net.createServer((s) => server.accept(s));
  // A failed handshake (no such peer, a port scanner) is not this node's problem.
  srv.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => {
      srv.off('error', reject);
      const a = srv.address() as net.AddressInfo;
      resolve({
        addr: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        close: () =>
          new Promise<void>((res) => {
            server.closeAll();
            srv.close(() => res());
          }),
      });
    });
  });
}
