// Reading and checking node certificates, with node:crypto's X509Certificate. The identity is all
// in the subject: CN is the node ID, OU the role, O the cluster ID, as SwarmKit issues them.

import { X509Certificate } from 'node:crypto';
import { rootDigest } from './root.ts';
import { ouToRole, type NodeRole } from './roles.ts';

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
  let signed = false;
  try {
    signed = leaf.verify(root.publicKey);
  } catch {
    signed = false;
  }
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

function load(cert: CertInput): X509Certificate {
  try {
    return new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength));
  } catch (err) {
    throw new Error(`failed to parse certificate: ${(err as Error).message}`);
  }
}

/** The identity a certificate claims (whoever signed it), or undefined if it is not a node certificate. */
export function nodeIdentityOf(cert: X509Certificate): NodeIdentity | undefined {
  const subject = subjectFields(cert.subject);
  const nodeId = subject.get('CN') ?? '';
  const clusterId = subject.get('O') ?? '';
  const role = ouToRole(subject.get('OU') ?? '');
  return nodeId && clusterId && role ? { nodeId, role, clusterId } : undefined;
}

function describeNodeCert(cert: X509Certificate): NodeCertInfo {
  const id = nodeIdentityOf(cert);
  if (!id) {
    const subject = cert.subject.split('\n').join(', ');
    throw new Error(`not a swarm node certificate: subject "${subject}" needs CN=<node id>, OU=swarm-manager or swarm-worker, O=<cluster id>`);
  }
  return { ...id, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), serial: cert.serialNumber.toLowerCase() };
}

/**
 * The first value of each attribute in node:crypto's subject text: one `TYPE=value` per line (line
 * breaks and special characters inside values come escaped), `TYPE=a + TYPE=b` for an RDN of
 * several attributes, which no certificate of ours has and which is read as one (odd) value.
 */
function subjectFields(subject: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !fields.has(line.slice(0, eq))) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

function checkValidity(cert: X509Certificate, index: number, now: Date): void {
  const name = `(${index} - ${subjectFields(cert.subject).get('CN') ?? ''})`;
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) {
    throw new Error(`certificate ${name} not valid before ${rfc1123(notBefore)}, and it is currently ${rfc1123(now)}`);
  }
  if (now > notAfter) {
    throw new Error(`certificate ${name} not valid after ${rfc1123(notAfter)}, and it is currently ${rfc1123(now)}`);
  }
}

/** Go's time.RFC1123 for a UTC time, as in SwarmKit's messages. */
const rfc1123 = (d: Date) => d.toUTCString().replace(/GMT$/, 'UTC');
