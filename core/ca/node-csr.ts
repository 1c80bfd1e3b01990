// The node side of getting a certificate: a fresh key that never leaves the node, and a CSR
// carrying its public key. The subject is left empty because the CA decides the node's identity.

import { EC_SIGNING, generateKeyPair, privateKeyToPem } from './keys.ts';
import { toPem } from './pem.ts';
import { x509 } from './x509.ts';

export interface NodeKeyAndCSR {
  keyPem: string;
  csrPem: string;
}

export async function createNodeKeyAndCSR(): Promise<NodeKeyAndCSR> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ keys, signingAlgorithm: EC_SIGNING });
  return { keyPem: await privateKeyToPem(keys.privateKey), csrPem: toPem(csr.rawData, 'CERTIFICATE REQUEST') };
}
