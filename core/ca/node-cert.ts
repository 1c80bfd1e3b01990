// Reading and checking node certificates. The identity is all in the subject: CN is the node ID,
// OU the role, O the cluster ID, as SwarmKit issues them.

import { rootDigest } from './root.ts';
import { ouToRole, type NodeRole } from './roles.ts';
import { x509 } from './x509.ts';

export interface NodeIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
}

export interface NodeCertInfo extends NodeIdentity {
  notBefore: Date;
  notAfter: Date;
  /** Lowercase hex. */
  serial: string;
}

/** PEM (the first certificate of a bundle) or DER, such as `getPeerCertificate().raw`. */
export type CertInput = string | Uint8Array;

export function parseNodeCert(cert: CertInput): NodeCertInfo {
  return describeNodeCert(load(cert));
}

/**
 * Checks that a node certificate was signed by this root and is valid at `now`, and returns what
 * it says. Errors say which certificate failed and why, in SwarmKit's words where it has them.
 */
export async function verifyNodeCert(cert: CertInput, rootCertPem: string, now: Date = new Date()): Promise<NodeCertInfo> {
  const leaf = load(cert);
  const info = describeNodeCert(leaf);
  const root = load(rootCertPem);
  const signed = await leaf.verify({ publicKey: root.publicKey, signatureOnly: true }).catch(() => false);
  if (!signed) {
    throw new Error(
      `x509: certificate signed by unknown authority: the certificate of node ${info.nodeId} was not issued by ` +
        `this swarm's root CA (sha256:${rootDigest(rootCertPem).slice(0, 12)}…)`,
    );
  }
  checkValidity(leaf, 1, now);
  checkValidity(root, 2, now);
  return info;
}

function load(cert: CertInput): x509.X509Certificate {
  try {
    return new x509.X509Certificate(typeof cert === 'string' ? cert : new Uint8Array(cert));
  } catch (err) {
    throw new Error(`failed to parse certificate: ${(err as Error).message}`);
  }
}

function describeNodeCert(cert: x509.X509Certificate): NodeCertInfo {
  const field = (name: string) => cert.subjectName.getField(name)[0] ?? '';
  const nodeId = field('CN');
  const ou = field('OU');
  const clusterId = field('O');
  const role = ouToRole(ou);
  if (!nodeId || !clusterId || !role) {
    throw new Error(`not a swarm node certificate: subject "${cert.subject}" needs CN=<node id>, OU=swarm-manager or swarm-worker, O=<cluster id>`);
  }
  return { nodeId, role, clusterId, notBefore: cert.notBefore, notAfter: cert.notAfter, serial: cert.serialNumber.toLowerCase() };
}

function checkValidity(cert: x509.X509Certificate, index: number, now: Date): void {
  const name = `(${index} - ${cert.subjectName.getField('CN')[0] ?? ''})`;
  if (now < cert.notBefore) {
    throw new Error(`certificate ${name} not valid before ${rfc1123(cert.notBefore)}, and it is currently ${rfc1123(now)}`);
  }
  if (now > cert.notAfter) {
    throw new Error(`certificate ${name} not valid after ${rfc1123(cert.notAfter)}, and it is currently ${rfc1123(now)}`);
  }
}

/** Go's time.RFC1123 for a UTC time, as in SwarmKit's messages. */
const rfc1123 = (d: Date) => d.toUTCString().replace(/GMT$/, 'UTC');
