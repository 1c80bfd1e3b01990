// The CA side: turning a node's CSR into its certificate. As SwarmKit's signing policy, only the
// public key is taken from the CSR; the identity (node ID, role, cluster) comes from the CA's own
// records, and the CSR's signature must prove the requester holds the private key.

import { msToNs } from '../api/defaults.ts';
import { CERT_BACKDATE_MS, DEFAULT_NODE_CERT_EXPIRY_MS, validateCertExpiry } from './expiry.ts';
import { privateKeyFromPem, randomSerial } from './keys.ts';
import { fromPem, toPem } from './pem.ts';
import type { RootCA } from './root.ts';
import { CA_SAN, MANAGER_OU, roleToOU, type NodeRole } from './roles.ts';
import {
  authorityKeyIdentifier,
  basicConstraints,
  createCertificate,
  distinguishedName,
  extKeyUsage,
  issuerOf,
  KEY_USAGE,
  keyUsage,
  OID,
  readCertificationRequest,
  subjectAltName,
  subjectKeyIdentifier,
  type CertificationRequest,
} from './x509.ts';

export interface SignNodeOptions {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** Lifetime after issue; default 90 days, minimum 1 hour. */
  expiryMs?: number;
  now?: Date;
}

export async function signNodeCSR(root: RootCA, csrPem: string, options: SignNodeOptions): Promise<string> {
  const { nodeId, role, clusterId } = options;
  if (!nodeId || !clusterId) throw new Error('cannot sign a node certificate without a node ID and a cluster ID');
  if (role !== 'manager' && role !== 'worker') throw new Error(`invalid node role ${JSON.stringify(role)}: expected manager or worker`);
  const expiryMs = options.expiryMs ?? DEFAULT_NODE_CERT_EXPIRY_MS;
  validateCertExpiry(msToNs(expiryMs));

  const csr = parseCSR(csrPem);
  if (!csr.signatureValid) {
    throw new Error('invalid certificate signing request: its signature does not match its public key');
  }

  const issuer = loadIssuer(root.certPem);
  const signingKey = privateKeyFromPem(root.keyPem);
  const ou = roleToOU(role);
  // The role names are DNS names so a client can demand a manager whatever IP it dialled; managers
  // also answer as the CA.
  const dnsNames = [ou, nodeId, ...(ou === MANAGER_OU ? [CA_SAN] : [])];
  const now = (options.now ?? new Date()).getTime();

  const der = createCertificate({
    serial: randomSerial(),
    subject: distinguishedName([['O', clusterId], ['OU', ou], ['CN', nodeId]]),
    issuer: issuer.subject,
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + expiryMs),
    publicKey: csr.publicKey,
    signingKey,
    extensions: [
      basicConstraints(false),
      keyUsage(KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment),
      extKeyUsage(OID.serverAuth, OID.clientAuth),
      subjectAltName(dnsNames),
      subjectKeyIdentifier(csr.publicKey),
      authorityKeyIdentifier(issuer.publicKey),
    ],
  });
  return toPem(der, 'CERTIFICATE');
}

function parseCSR(csrPem: string): CertificationRequest {
  try {
    const der = fromPem(csrPem, 'CERTIFICATE REQUEST');
    if (!der) throw new Error('expected a PEM block "CERTIFICATE REQUEST"');
    return readCertificationRequest(der);
  } catch (err) {
    throw new Error(`invalid certificate signing request: ${(err as Error).message}`);
  }
}

/** The issuing certificate's subject and key, to name it in what it signs. */
export function loadIssuer(certPem: string): { subject: Uint8Array; publicKey: Uint8Array } {
  try {
    const der = fromPem(certPem, 'CERTIFICATE');
    if (!der) throw new Error('expected a PEM block "CERTIFICATE"');
    return issuerOf(der);
  } catch (err) {
    throw new Error(`invalid CA certificate: ${(err as Error).message}`);
  }
}
