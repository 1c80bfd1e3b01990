// The CA side: turning a node's CSR into its certificate. As SwarmKit's signing policy, only the
// public key is taken from the CSR; the identity (node ID, role, cluster) comes from the CA's own
// records, and the CSR's signature must prove the requester holds the private key.

import { msToNs } from '../api/defaults.ts';
import { CERT_BACKDATE_MS, DEFAULT_NODE_CERT_EXPIRY_MS, validateCertExpiry } from './expiry.ts';
import { EC_SIGNING, privateKeyFromPem, randomSerial } from './keys.ts';
import { toPem } from './pem.ts';
import type { RootCA } from './root.ts';
import { CA_SAN, MANAGER_OU, roleToOU, type NodeRole } from './roles.ts';
import { x509 } from './x509.ts';

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
  if (!(await csr.verify().catch(() => false))) {
    throw new Error('invalid certificate signing request: its signature does not match its public key');
  }

  const rootCert = new x509.X509Certificate(root.certPem);
  const signingKey = await privateKeyFromPem(root.keyPem);
  const ou = roleToOU(role);
  // The role names are DNS names so a client can demand a manager whatever IP it dialled; managers
  // also answer as the CA.
  const dnsNames = [ou, nodeId, ...(ou === MANAGER_OU ? [CA_SAN] : [])];
  const now = (options.now ?? new Date()).getTime();

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ O: [clusterId] }, { OU: [ou] }, { CN: [nodeId] }],
    issuer: rootCert.subjectName,
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + expiryMs),
    publicKey: csr.publicKey,
    signingKey,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootCert.publicKey),
    ],
  });
  return toPem(cert.rawData, 'CERTIFICATE');
}

function parseCSR(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new Error(`invalid certificate signing request: ${(err as Error).message}`);
  }
}
