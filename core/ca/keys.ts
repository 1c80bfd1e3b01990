// ECDSA P-256 keys, as SwarmKit uses for both the root and the nodes, as node:crypto KeyObjects.
// Private keys travel as PKCS#8 PEM, which node:tls accepts directly.

import { createPrivateKey, generateKeyPair as generateKeyPairCallback, getRandomValues, type KeyObject } from 'node:crypto';
import { fromPem } from './pem.ts';

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** A fresh P-256 key pair, made off the main thread. */
export function generateKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPairCallback('ec', { namedCurve: 'P-256' }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))),
  );
}

export const privateKeyToPem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/** The SubjectPublicKeyInfo (DER) of a key, as certificates and requests carry it. */
export const spkiOf = (key: KeyObject): Uint8Array => key.export({ type: 'spki', format: 'der' });

export function privateKeyFromPem(pem: string): KeyObject {
  const der = fromPem(pem, 'PRIVATE KEY');
  if (!der) throw new Error('invalid private key: expected a PEM block "PRIVATE KEY" (PKCS#8)');
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new Error(`invalid private key: ${(err as Error).message}`);
  }
}

/**
 * A positive 128-bit serial number in hex. Random serials are what CAs use so that two
 * certificates issued in the same second can never share one.
 */
export function randomSerial(): string {
  const bytes = getRandomValues(new Uint8Array(16));
  // Clear the sign bit (a negative serial is invalid) and set the next one so the DER encoding
  // is always exactly 16 bytes, with no leading zero to strip.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}
