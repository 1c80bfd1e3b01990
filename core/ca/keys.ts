// ECDSA P-256 keys, as SwarmKit uses for both the root and the nodes. Private keys travel as
// PKCS#8 PEM, which node:tls accepts directly.

import type { webcrypto } from 'node:crypto';
import { toPem } from './pem.ts';
import { x509 } from './x509.ts';

type CryptoKey = webcrypto.CryptoKey;

export const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const EC_SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  // Extractable, since the private key has to be written out as PEM for node:tls.
  return crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return toPem(der, 'PRIVATE KEY');
}

export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  const blocks = x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'PRIVATE KEY');
  const der = blocks[0]?.rawData;
  if (!der) throw new Error('invalid private key: expected a PEM block "PRIVATE KEY" (PKCS#8)');
  return crypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

/**
 * A positive 128-bit serial number in hex. Random serials are what CAs use so that two
 * certificates issued in the same second can never share one.
 */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // Clear the sign bit (a negative serial is invalid) and set the next one so the DER encoding
  // is always exactly 16 bytes, with no leading zero to strip.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}
