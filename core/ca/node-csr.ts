// The node side of getting a certificate: a fresh key that never leaves the node, and a CSR
// carrying its public key. The subject is left empty because the CA decides the node's identity.

import { generateKeyPair, privateKeyToPem, spkiOf } from './keys.ts';
import { toPem } from './pem.ts';
import { createCertificationRequest } from './x509.ts';

export interface NodeKeyAndCSR {
  keyPem: string;
  csrPem: string;
}

export async function createNodeKeyAndCSR(): Promise<NodeKeyAndCSR> {
  const { publicKey, privateKey } = await generateKeyPair();
  const csr = createCertificationRequest(spkiOf(publicKey), privateKey);
  return { keyPem: privateKeyToPem(privateKey), csrPem: toPem(csr, 'CERTIFICATE REQUEST') };
}
