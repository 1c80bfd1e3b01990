// The certificates and certification requests the swarm's CA deals in, written (and requests read)
// with DER of our own (der.ts) and node:crypto's keys and signatures: ECDSA P-256 with SHA-256, v3
// certificates with the handful of extensions SwarmKit's carry. Small enough to check by eye; an
// ASN.1 library and its dependency injection cost a node more to load (~70 ms of CPU, ~5 MiB) than
// everything here. Certificates are read with node:crypto's X509Certificate (node-cert.ts).

import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  children,
  contentOf,
  directoryString,
  explicit,
  ascii,
  octetString,
  oid,
  readBitStringBytes,
  readOid,
  readWhole,
  sequence,
  set,
  smallInteger,
  TAG,
  time,
  tlv,
  unsignedInteger,
  wholeOf,
  type Der,
} from './der.ts';

export const OID = {
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** The hash each ECDSA signature algorithm we accept in a request uses. */
const ECDSA_HASH: Record<string, string> = {
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};

const ECDSA_SHA256 = sequence(oid(OID.ecdsaWithSHA256));

// ---- names and extensions ---------------------------------------------------------------------------

const ATTRIBUTE = { CN: OID.commonName, O: OID.organizationName, OU: OID.organizationalUnitName } as const;

/** A distinguished name of single-attribute RDNs, in the order given (the most significant first). */
export const distinguishedName = (rdns: [keyof typeof ATTRIBUTE, string][]): Der =>
  sequence(...rdns.map(([type, value]) => set(sequence(oid(ATTRIBUTE[type]), directoryString(value)))));

const extension = (id: string, critical: boolean, value: Der): Der => sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));

/** Critical, as RFC 5280 asks of a CA and as SwarmKit's certificates have it for leaves too. */
export const basicConstraints = (ca: boolean): Der => extension(OID.basicConstraints, true, sequence(...(ca ? [boolean(true)] : [])));

/** The KeyUsage bits, numbered as in RFC 5280. */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** Critical; a named bit list, so DER drops its trailing zero bits. */
export function keyUsage(...bits: number[]): Der {
  const bytes = new Uint8Array(2);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  let len = bytes.length;
  while (len > 0 && bytes[len - 1] === 0) len--;
  const last = len > 0 ? bytes[len - 1]! : 0;
  let unused = 0;
  while (len > 0 && unused < 7 && !(last & (1 << unused))) unused++;
  return extension(OID.keyUsage, true, bitString(bytes.subarray(0, len), unused));
}

export const extKeyUsage = (...purposes: string[]): Der => extension(OID.extKeyUsage, false, sequence(...purposes.map(oid)));

/** DNS names and IP addresses (v4 or v6), as a host name given to us is one or the other. */
export const subjectAltName = (hosts: string[]): Der =>
  extension(OID.subjectAltName, false, sequence(...hosts.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, ascii(h))))));

/** RFC 5280's first method: the SHA-1 of the subjectPublicKey bits. */
export const keyIdentifier = (spki: Der): Der => createHash('sha1').update(publicKeyBits(spki)).digest();

export const subjectKeyIdentifier = (spki: Der): Der => extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki)));

export const authorityKeyIdentifier = (issuerSpki: Der): Der =>
  extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(issuerSpki))));

function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split('.').map(Number));
  // IPv6: expand "::", and a trailing dotted quad.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

// ---- certificates -----------------------------------------------------------------------------------

export interface CertificateSpec {
  /** Hex, positive. */
  serial: string;
  /** The issuer's subject, as DER, copied from its certificate so that the names match to the byte. */
  issuer: Der;
  subject: Der;
  notBefore: Date;
  notAfter: Date;
  /** The certified key's SubjectPublicKeyInfo (DER). */
  publicKey: Der;
  /** The issuer's ECDSA P-256 private key. */
  signingKey: KeyObject;
  extensions: Der[];
}

/** A v3 certificate signed with ECDSA-SHA256, as DER. */
export function createCertificate(spec: CertificateSpec): Der {
  checkSigningKey(spec.signingKey);
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(spec.serial),
    ECDSA_SHA256,
    spec.issuer,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.publicKey,
    explicit(3, sequence(...spec.extensions)),
  );
  return signed(tbs, spec.signingKey);
}

/** A PKCS#10 request for `publicKey` with an empty subject and no attributes: the CA decides the rest. */
export function createCertificationRequest(publicKey: Der, privateKey: KeyObject): Der {
  checkSigningKey(privateKey);
  const info = sequence(smallInteger(0), sequence(), publicKey, tlv(0xa0));
  return signed(info, privateKey);
}

function signed(toBeSigned: Der, key: KeyObject): Der {
  // node:crypto's ECDSA signatures are DER (r, s), as X.509 wants them.
  return sequence(toBeSigned, ECDSA_SHA256, bitString(sign('sha256', toBeSigned, key)));
}

function checkSigningKey(key: KeyObject): void {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the signing key must be an ECDSA P-256 private key');
  }
}

/** The parts of an issuer's certificate that go into what it issues: its subject (DER) and its key. */
export function issuerOf(certDer: Der): { subject: Der; publicKey: Der } {
  const cert = readWhole(certDer, TAG.SEQUENCE);
  const [tbsNode] = children(certDer, cert, [TAG.SEQUENCE, TAG.SEQUENCE, TAG.BIT_STRING]);
  const tbs = children(certDer, tbsNode!);
  // The version is optional (absent means v1).
  const at = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const subject = tbs[at + 4];
  const spki = tbs[at + 5];
  if (subject?.tag !== TAG.SEQUENCE || spki?.tag !== TAG.SEQUENCE) throw new Error('not an X.509 certificate');
  return { subject: wholeOf(certDer, subject), publicKey: wholeOf(certDer, spki) };
}

// ---- certification requests -------------------------------------------------------------------------

export interface CertificationRequest {
  /** The requested key's SubjectPublicKeyInfo (DER), as the request has it. */
  publicKey: Der;
  /** Whether the request is signed by the private key of the key it carries. */
  signatureValid: boolean;
}

/** Reads a PKCS#10 request (DER), signed with ECDSA. Throws on a malformed one or another signature algorithm. */
export function readCertificationRequest(der: Der): CertificationRequest {
  const req = readWhole(der, TAG.SEQUENCE);
  const [infoNode, algNode, sigNode] = children(der, req, [TAG.SEQUENCE, TAG.SEQUENCE, TAG.BIT_STRING]);
  const info = children(der, infoNode!, [TAG.INTEGER, TAG.SEQUENCE, TAG.SEQUENCE]);
  if (contentOf(der, info[0]!).length !== 1 || contentOf(der, info[0]!)[0] !== 0) throw new Error('unknown version (expected 0)');
  const publicKey = wholeOf(der, info[2]!);
  const key = (() => {
    try {
      return createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    } catch (err) {
      throw new Error(`unreadable public key: ${(err as Error).message}`);
    }
  })();
  const [algOid] = children(der, algNode!, [TAG.OID]);
  const algorithm = readOid(der, algOid!);
  const hash = ECDSA_HASH[algorithm];
  if (!hash) throw new Error(`unsupported signature algorithm ${algorithm} (swarm nodes sign with ECDSA)`);
  const signature = readBitStringBytes(der, sigNode!);
  let signatureValid = false;
  try {
    signatureValid = key.asymmetricKeyType === 'ec' && verify(hash, wholeOf(der, infoNode!), key, signature);
  } catch {
    signatureValid = false;
  }
  return { publicKey, signatureValid };
}

/** The subjectPublicKey bits of a SubjectPublicKeyInfo. */
function publicKeyBits(spki: Der): Der {
  const [, bits] = children(spki, readWhole(spki, TAG.SEQUENCE), [TAG.SEQUENCE, TAG.BIT_STRING]);
  return readBitStringBytes(spki, bits!);
}
