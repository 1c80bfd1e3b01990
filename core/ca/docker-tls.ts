// Certificates for a node's Docker API on TCP, as docker-machine makes them: a CA of the node's own,
// a server certificate for the addresses the API listens on, and a client certificate that the
// docker CLI finds in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem). Only a client holding that
// certificate gets in: the TCP endpoint is as private as the unix socket.

import { CERT_BACKDATE_MS } from './expiry.ts';
import { loadIssuer } from './issue.ts';
import { generateKeyPair, privateKeyFromPem, privateKeyToPem, randomSerial, spkiOf } from './keys.ts';
import { toPem } from './pem.ts';
import { createRootCA } from './root.ts';
import { authorityKeyIdentifier, basicConstraints, createCertificate, distinguishedName, extKeyUsage, KEY_USAGE, keyUsage, OID, subjectAltName } from './x509.ts';

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
  const { publicKey, privateKey } = await generateKeyPair();
  const issuer = loadIssuer(ca.certPem);
  const now = Date.now();
  const der = createCertificate({
    serial: randomSerial(),
    subject: distinguishedName([['CN', cn]]),
    issuer: issuer.subject,
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + LIFETIME_MS),
    publicKey: spkiOf(publicKey),
    signingKey: privateKeyFromPem(ca.keyPem),
    extensions: [
      basicConstraints(false),
      keyUsage(KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment),
      extKeyUsage(usage === 'server' ? OID.serverAuth : OID.clientAuth),
      ...(hosts.length > 0 ? [subjectAltName(hosts)] : []),
      authorityKeyIdentifier(issuer.publicKey),
    ],
  });
  return { certPem: toPem(der, 'CERTIFICATE'), keyPem: privateKeyToPem(privateKey) };
}

/** A CA, a server certificate valid for `hosts` (IPs or names), and one client certificate. */
export async function createDockerTlsBundle(hosts: string[]): Promise<DockerTlsBundle> {
  const ca = await createRootCA();
  const server = await leaf(ca, 'swarmlab docker api', 'server', [...new Set(['localhost', '127.0.0.1', ...hosts])]);
  const client = await leaf(ca, 'swarmlab docker client', 'client', []);
  return { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem };
}
