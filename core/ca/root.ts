// The swarm's root CA: a self-signed ECDSA P-256 certificate named swarm-ca, made once when the
// swarm is created. Its digest is what join tokens carry.

import { createHash } from 'node:crypto';
import { CERT_BACKDATE_MS, ROOT_CA_EXPIRY_MS } from './expiry.ts';
import { EC_SIGNING, generateKeyPair, privateKeyToPem, randomSerial } from './keys.ts';
import { toPem } from './pem.ts';
import { ROOT_CN } from './roles.ts';
import { x509 } from './x509.ts';

export interface RootCA {
  certPem: string;
  keyPem: string;
}

export interface CreateRootCAOptions {
  now?: Date;
  expiryMs?: number;
}

export async function createRootCA(options: CreateRootCAOptions = {}): Promise<RootCA> {
  const now = (options.now ?? new Date()).getTime();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [ROOT_CN] }],
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + (options.expiryMs ?? ROOT_CA_EXPIRY_MS)),
    signingAlgorithm: EC_SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: toPem(cert.rawData, 'CERTIFICATE'), keyPem: await privateKeyToPem(keys.privateKey) };
}

/**
 * SHA-256 of the root certificate's DER, as 64 lowercase hex digits. DER rather than the PEM text
 * (which SwarmKit hashes) so that line endings or a trailing newline cannot change the digest.
 */
export function rootDigest(certPem: string): string {
  const der = new x509.X509Certificate(certPem).rawData;
  return createHash('sha256').update(new Uint8Array(der)).digest('hex');
}
