// Real node:tls servers and clients on 127.0.0.1.

import { connect, createServer, type ConnectionOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRootCA,
  generateJoinToken,
  joinClientOptions,
  peerIdentity,
  rootDigest,
  rootFromPeer,
  tlsCredentials,
  type NodeIdentity,
  type RootCA,
} from '../../../core/ca/index.ts';
import { toPem } from '../../../core/ca/pem.ts';
import { x509 } from './peculiar.ts';
import { CLUSTER_ID, issueNode, type NodeCreds } from './fixtures.ts';

interface Accepted {
  authorized: boolean;
  authorizationError: string | undefined;
  identity: NodeIdentity | undefined;
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that reports what it learnt about each client, and answers "ok". */
async function serve(options: TlsOptions): Promise<{ port: number; accepted: Promise<Accepted> }> {
  let report!: (a: Accepted) => void;
  const accepted = new Promise<Accepted>((resolve) => (report = resolve));
  const server = createServer(options, (socket) => {
    report({
      authorized: socket.authorized,
      authorizationError: socket.authorizationError?.toString(),
      identity: peerIdentity(socket),
    });
    socket.end('ok');
  });
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, accepted };
}

/** Connects and resolves once the handshake is done (or rejects with the client's error). */
function dial(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
    servers.push({ close: () => socket.destroy() });
  });
}

let root: RootCA;
let otherRoot: RootCA;
let manager: NodeCreds;
let worker: NodeCreds;
let stranger: NodeCreds;
let mitm: NodeCreds;
let expiredWorker: NodeCreds;

beforeAll(async () => {
  [root, otherRoot] = await Promise.all([createRootCA(), createRootCA()]);
  [manager, worker, stranger, mitm, expiredWorker] = await Promise.all([
    issueNode(root, 'm1', 'manager'),
    issueNode(root, 'w1', 'worker'),
    issueNode(otherRoot, 'w9', 'worker'),
    issueNode(otherRoot, 'm1', 'manager'),
    issueNode(root, 'w2', 'worker', { now: new Date(Date.now() - 100 * 24 * 3600_000) }),
  ]);
});

const creds = (node: NodeCreds, ca: RootCA, serverName?: string) =>
  tlsCredentials(node.keyPem, node.certPem, ca.certPem, serverName ? { serverName } : {});

describe('mutual TLS between swarm nodes', () => {
  it("lets the server read the client's role, and the client the server's", async () => {
    const { port, accepted } = await serve(creds(manager, root).server);
    const socket = await dial(port, creds(worker, root).client);
    expect(socket.authorized).toBe(true);
    expect(peerIdentity(socket)).toEqual({ nodeId: 'm1', role: 'manager', clusterId: CLUSTER_ID });
    expect(await accepted).toEqual({
      authorized: true,
      authorizationError: undefined,
      identity: { nodeId: 'w1', role: 'worker', clusterId: CLUSTER_ID },
    });
  });

  it('lets a node without a certificate in, unidentified, so it can reach the CA', async () => {
    const { port, accepted } = await serve(creds(manager, root).server);
    const socket = await dial(port, { ca: root.certPem, checkServerIdentity: () => undefined });
    expect(socket.authorized).toBe(true);
    const seen = await accepted;
    expect(seen.authorized).toBe(false);
    expect(seen.identity).toBeUndefined();
  });

  it('does not authorize a client whose certificate comes from another CA', async () => {
    const { port, accepted } = await serve(creds(manager, root).server);
    await dial(port, { key: stranger.keyPem, cert: stranger.certPem, rejectUnauthorized: false });
    const seen = await accepted;
    expect(seen.authorized).toBe(false);
    expect(seen.authorizationError).toBeDefined();
    expect(seen.identity).toBeUndefined();
  });

  it('does not authorize an expired client certificate', async () => {
    const { port, accepted } = await serve(creds(manager, root).server);
    await dial(port, { key: expiredWorker.keyPem, cert: expiredWorker.certPem, rejectUnauthorized: false });
    const seen = await accepted;
    expect(seen).toMatchObject({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED', identity: undefined });
  });

  it("refuses a server from another swarm, though the client dials by IP", async () => {
    const { port } = await serve(creds(mitm, otherRoot).server);
    await expect(dial(port, creds(worker, root).client)).rejects.toThrow(/certificate/);
  });

  it('refuses a worker where it expects a manager', async () => {
    const { port } = await serve(creds(worker, root).server);
    await expect(dial(port, creds(manager, root).client)).rejects.toThrow(
      '127.0.0.1 is not a swarm manager: it presented node w1 (swarm-worker), whose names are swarm-worker, w1',
    );
  });

  it('reaches a manager as the CA by its swarm-ca name', async () => {
    const { port } = await serve(creds(manager, root).server);
    const socket = await dial(port, creds(worker, root, 'swarm-ca').client);
    expect(peerIdentity(socket)?.role).toBe('manager');
  });
});

describe('joining with a token: pinning the root CA', () => {
  it('learns the root from a real manager and checks it against the token', async () => {
    const token = generateJoinToken(root.certPem);
    const { port, accepted } = await serve(creds(manager, root).server);
    const socket = await dial(port, joinClientOptions());
    const pinned = await rootFromPeer(socket, token);
    expect(rootDigest(pinned.rootCertPem)).toBe(rootDigest(root.certPem));
    expect(pinned.peer).toMatchObject({ nodeId: 'm1', role: 'manager' });
    expect((await accepted).identity).toBeUndefined();
  });

  it('detects a man in the middle with its own CA', async () => {
    const token = generateJoinToken(root.certPem);
    const { port } = await serve(creds(mitm, otherRoot).server);
    const socket = await dial(port, joinClientOptions());
    await expect(rootFromPeer(socket, token)).rejects.toThrow(
      `remote CA does not match fingerprint. Expected: ${rootDigest(root.certPem)}`,
    );
  });

  it('detects a man in the middle that sends our (public) root along with its own certificate', async () => {
    const token = generateJoinToken(root.certPem);
    const { port } = await serve({ key: mitm.keyPem, cert: `${mitm.certPem}${root.certPem}` });
    const socket = await dial(port, joinClientOptions());
    await expect(rootFromPeer(socket, token)).rejects.toThrow(
      `remote CA does not match fingerprint. Expected: ${rootDigest(root.certPem)} (the server sent no root CA that its certificate chains to)`,
    );
  });

  it('detects a forged certificate that names our root as its issuer', async () => {
    const token = generateJoinToken(root.certPem);
    const forged = await forgeManagerCert(root, otherRoot);
    const { port } = await serve({ key: forged.keyPem, cert: `${forged.certPem}${root.certPem}` });
    const socket = await dial(port, joinClientOptions());
    // node:tls links the forgery to our root by name and key identifier; only the signature tells.
    const top = socket.getPeerCertificate(true).issuerCertificate;
    expect(top && rootDigest(toPem(top.raw, 'CERTIFICATE'))).toBe(rootDigest(root.certPem));
    await expect(rootFromPeer(socket, token)).rejects.toThrow('x509: certificate signed by unknown authority');
  });

  it('will not join through a worker', async () => {
    const token = generateJoinToken(root.certPem);
    const { port } = await serve(creds(worker, root).server);
    const socket = await dial(port, joinClientOptions());
    await expect(rootFromPeer(socket, token)).rejects.toThrow('the server is node w1, a worker; only managers can admit nodes');
  });

  it('then dials the manager with the pinned root and its new certificate', async () => {
    const token = generateJoinToken(root.certPem);
    const { port, accepted } = await serve(creds(manager, root).server);
    const first = await dial(port, joinClientOptions());
    const { rootCertPem } = await rootFromPeer(first, token);
    // The server has finished its side of the handshake before the client hangs up.
    await accepted;
    first.destroy();
    const { port: port2, accepted: accepted2 } = await serve(creds(manager, root).server);
    const fresh = await issueNode({ certPem: rootCertPem, keyPem: root.keyPem }, 'w7', 'worker');
    const socket = await dial(port2, tlsCredentials(fresh.keyPem, fresh.certPem, rootCertPem).client);
    expect(socket.authorized).toBe(true);
    expect((await accepted2).identity).toEqual({ nodeId: 'w7', role: 'worker', clusterId: CLUSTER_ID });
  });
});

/** A manager certificate that claims to be issued by `victim` but is signed with `attacker`'s key. */
async function forgeManagerCert(victim: RootCA, attacker: RootCA): Promise<NodeCreds> {
  const ec = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = await crypto.subtle.generateKey(ec, true, ['sign', 'verify']);
  const victimCert = new x509.X509Certificate(victim.certPem);
  const attackerKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(attacker.keyPem), ec, false, ['sign']);
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ O: [CLUSTER_ID] }, { OU: ['swarm-manager'] }, { CN: ['m1'] }],
    issuer: victimCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: attackerKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'swarm-manager' }]),
      await x509.AuthorityKeyIdentifierExtension.create(victimCert.publicKey),
    ],
  });
  const keyPem = toPem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { keyPem, certPem: toPem(cert.rawData, 'CERTIFICATE') };
}
