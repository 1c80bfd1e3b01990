// node:tls options for the swarm's mutual TLS, and reading who is on the other end.
//
// Every node uses its one certificate both ways. The server asks for a client certificate but
// does not insist on one: a node that has not joined yet must still reach the CA to ask for its
// first certificate, so the server looks at `socket.authorized` and the role (peerIdentity) per
// request instead. Clients dial managers by IP, so the hostname check is replaced by a check that
// the peer, already verified against our root, carries the role name it is supposed to have.

import type { ConnectionOptions, DetailedPeerCertificate, PeerCertificate, TLSSocket, TlsOptions } from 'node:tls';
import { checkRootAgainstToken, parseJoinToken } from './join-token.ts';
import { nodeIdentityOf, verifyNodeCert, type NodeCertInfo, type NodeIdentity } from './node-cert.ts';
import { CA_SAN, MANAGER_OU } from './roles.ts';
import { toPem } from './pem.ts';

const MIN_VERSION = 'TLSv1.2';

export interface TlsCredentials {
  server: TlsOptions;
  client: ConnectionOptions;
}

export interface TlsCredentialsOptions {
  /**
   * The DNS name the server's certificate must carry: `swarm-manager` (the default; nodes only ever
   * dial managers), or `swarm-ca` to reach the CA.
   */
  serverName?: string;
}

export function tlsCredentials(
  nodeKeyPem: string,
  nodeCertPem: string,
  rootCertPem: string,
  options: TlsCredentialsOptions = {},
): TlsCredentials {
  const serverName = options.serverName ?? MANAGER_OU;
  // The root travels in the chain too, so a joining node can pin it against its token from the
  // handshake alone (rootFromPeer).
  const cert = `${nodeCertPem.trim()}\n${rootCertPem.trim()}\n`;
  return {
    server: { key: nodeKeyPem, cert, ca: rootCertPem, requestCert: true, rejectUnauthorized: false, minVersion: MIN_VERSION },
    client: {
      key: nodeKeyPem,
      cert,
      ca: rootCertPem,
      rejectUnauthorized: true,
      minVersion: MIN_VERSION,
      // Called by node:tls only once the chain has verified against `ca`.
      checkServerIdentity: (host, peer) => checkSwarmName(host, peer, serverName),
    },
  };
}

/**
 * Options for a node that has no certificate and no root yet: it cannot verify the server during
 * the handshake, so it must call rootFromPeer before it sends anything, its join token above all.
 */
export const joinClientOptions = (): ConnectionOptions => ({ rejectUnauthorized: false, minVersion: MIN_VERSION });

/** The verified peer's swarm identity; undefined when it sent no certificate or one our root did not sign. */
export function peerIdentity(socket: TLSSocket): NodeIdentity | undefined {
  if (!socket.authorized) return undefined;
  // The X509Certificate over the handshake's own parsed certificate: nothing is parsed again, and
  // none of getPeerCertificate()'s fingerprints are computed.
  const cert = socket.getPeerX509Certificate();
  return cert ? nodeIdentityOf(cert) : undefined;
}

export interface PinnedPeer {
  rootCertPem: string;
  peer: NodeCertInfo;
}

/**
 * For a joining node on a joinClientOptions connection: the root CA the server presented, once it
 * matches the join token's digest and the server's certificate is a manager's signed by it. A man
 * in the middle has either another root (the digest differs) or no certificate signed by ours.
 */
export async function rootFromPeer(socket: TLSSocket, token: string): Promise<PinnedPeer> {
  const leaf = socket.getPeerCertificate(true);
  if (!leaf?.raw) throw new Error('the server presented no certificate');
  const top = topOfChain(leaf);
  if (top.issuerCertificate !== top) {
    const { digest } = parseJoinToken(token);
    throw new Error(`remote CA does not match fingerprint. Expected: ${digest} (the server sent no root CA that its certificate chains to)`);
  }
  const rootCertPem = checkRootAgainstToken(token, toPem(top.raw, 'CERTIFICATE'));
  const peer = await verifyNodeCert(leaf.raw, rootCertPem);
  if (peer.role !== 'manager') throw new Error(`the server is node ${peer.nodeId}, a worker; only managers can admit nodes`);
  return { rootCertPem, peer };
}

function topOfChain(cert: DetailedPeerCertificate): DetailedPeerCertificate {
  let top = cert;
  // node:tls links each certificate to its issuer among those sent by name and key identifier
  // (not by signature, which rootFromPeer checks), and a self-issued one to itself.
  for (let i = 0; i < 10 && top.issuerCertificate?.raw && top.issuerCertificate !== top; i++) top = top.issuerCertificate;
  return top;
}


function checkSwarmName(host: string, peer: PeerCertificate, serverName: string): Error | undefined {
  const names = (peer.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  if (names.includes(serverName)) return undefined;
  const who = peer.subject?.CN ? `node ${peer.subject.CN} (${peer.subject.OU ?? 'no role'})` : 'a certificate without a node ID';
  const what = serverName === CA_SAN ? 'the swarm CA' : serverName === MANAGER_OU ? 'a swarm manager' : serverName;
  return new Error(`${host} is not ${what}: it presented ${who}, whose names are ${names.join(', ') || 'none'}`);
}
