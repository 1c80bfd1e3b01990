// Certificates for a node's Docker API on TCP, as docker-machine makes them: a CA of the node's own,
// a server certificate for the addresses the API listens on, and a client certificate that the
// docker CLI finds in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem). Only a client holding that
// certificate gets in: the TCP endpoint is as private as the unix socket.

import { isIP } from 'node:net';
import { CERT_BACKDATE_MS } from './expiry.ts';
import { EC_SIGNING, generateKeyPair, privateKeyFromPem, privateKeyToPem, randomSerial } from './keys.ts';
import { toPem } from './pem.ts';
import { createRootCA } from './root.ts';
import { x509 } from './x509.ts';

export interface DockerTlsBundle {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** Three years, as docker-machine's certificates. */
const LIFETIME_MS = 3 * 365 * 24 * 3_600_000;

async function leaf(ca: { certPem: string; keyPem: string }, cn: string, usage: 'server' | 'client', hosts: string[]) {
  const keys = await generateKeyPair();
  const caCert = new x509.X509Certificate(ca.certPem);
  const now = Date.now();
  const names = hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [cn] }],
    issuer: caCert.subjectName,
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + LIFETIME_MS),
    publicKey: keys.publicKey,
    signingKey: await privateKeyFromPem(ca.keyPem),
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: toPem(cert.rawData, 'CERTIFICATE'), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** A CA, a server certificate valid for `hosts` (IPs or names), and one client certificate. */
export async function createDockerTlsBundle(hosts: string[]): Promise<DockerTlsBundle> {
  const ca = await createRootCA();
  const server = await leaf(ca, 'swarmlab docker api', 'server', [...new Set(['localhost', '127.0.0.1', ...hosts])]);
  const client = await leaf(ca, 'swarmlab docker client', 'client', []);
  return { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem };
}
