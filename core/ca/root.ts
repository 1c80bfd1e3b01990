// The swarm's root CA: a self-signed ECDSA P-256 certificate named swarm-ca, made once when the
// swarm is created. Its digest is what join tokens carry.

import { createHash, X509Certificate } from 'node:crypto';
import { CERT_BACKDATE_MS, ROOT_CA_EXPIRY_MS } from './expiry.ts';
import { generateKeyPair, privateKeyToPem, randomSerial, spkiOf } from './keys.ts';
import { toPem } from './pem.ts';
import { ROOT_CN } from './roles.ts';
import { basicConstraints, createCertificate, distinguishedName, KEY_USAGE, keyUsage, subjectKeyIdentifier } from './x509.ts';

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
  const { publicKey, privateKey } = await generateKeyPair();
  const spki = spkiOf(publicKey);
  const name = distinguishedName([['CN', ROOT_CN]]);
  const der = createCertificate({
    serial: randomSerial(),
    issuer: name,
    subject: name,
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + (options.expiryMs ?? ROOT_CA_EXPIRY_MS)),
    publicKey: spki,
    signingKey: privateKey,
    extensions: [basicConstraints(true), keyUsage(KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign), subjectKeyIdentifier(spki)],
  });
  return { certPem: toPem(der, 'CERTIFICATE'), keyPem: privateKeyToPem(privateKey) };
}

/**
 * SHA-256 of the root certificate's DER, as 64 lowercase hex digits. DER rather than the PEM text
 * (which SwarmKit hashes) so that line endings or a trailing newline cannot change the digest.
 */
export function rootDigest(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}
