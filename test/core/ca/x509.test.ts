// Our DER and X.509 writer (core/ca/der.ts, x509.ts), checked against known encodings, against
// itself by round trips, and against three independent readers: OpenSSL's command line, node:crypto
// and @peculiar/x509.

import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerTlsBundle, createNodeKeyAndCSR, createRootCA, signNodeCSR, type RootCA } from '../../../core/ca/index.ts';
import {
  children,
  contentOf,
  DerError,
  oid,
  readNode,
  readOid,
  readWhole,
  TAG,
  time,
  tlv,
  unsignedInteger,
} from '../../../core/ca/der.ts';
import { fromPem, toPem } from '../../../core/ca/pem.ts';
import { createCertificationRequest, issuerOf, keyIdentifier, readCertificationRequest } from '../../../core/ca/x509.ts';
import { CLUSTER_ID, issueNode } from './fixtures.ts';
import { x509 } from './peculiar.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
let root: RootCA;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swarmlab-x509-'));
  root = await createRootCA();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs openssl with files made from `files`, and returns its output (stdout and stderr). */
function runOpenssl(args: string[], files: Record<string, string> = {}): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('DER', () => {
  it('writes lengths in their shortest form', () => {
    expect(hex(tlv(0x04, new Uint8Array(0)))).toBe('0400');
    expect(hex(tlv(0x04, new Uint8Array(127))).slice(0, 4)).toBe('047f');
    expect(hex(tlv(0x04, new Uint8Array(128))).slice(0, 6)).toBe('048180');
    expect(hex(tlv(0x04, new Uint8Array(255))).slice(0, 6)).toBe('0481ff');
    expect(hex(tlv(0x04, new Uint8Array(256))).slice(0, 8)).toBe('04820100');
    expect(hex(tlv(0x04, new Uint8Array(65536))).slice(0, 10)).toBe('0483010000');
  });

  it('writes object identifiers as X.690 says', () => {
    expect(hex(oid('1.2.840.113549'))).toBe('06062a864886f70d');
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(oid('2.5.29.17'))).toBe('0603551d11');
    expect(hex(oid('2.999.3'))).toBe('0603883703');
    expect(() => oid('3.1')).toThrow();
    expect(() => oid('1.40')).toThrow();
    expect(() => oid('1')).toThrow();
  });

  it('reads back the object identifiers it writes', () => {
    const arc = fc.bigInt({ min: 0n, max: 2n ** 70n });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.bigInt({ min: 0n, max: 39n }), fc.array(arc, { maxLength: 6 }), (a, b, rest) => {
        const dotted = [a, a === 2 ? b * 1000n : b, ...rest].join('.');
        const der = oid(dotted);
        expect(readOid(der, readWhole(der, TAG.OID))).toBe(dotted);
      }),
    );
  });

  it('writes non-negative integers in minimal two’s complement', () => {
    expect(hex(unsignedInteger('0'))).toBe('020100');
    expect(hex(unsignedInteger('7f'))).toBe('02017f');
    expect(hex(unsignedInteger('80'))).toBe('02020080');
    expect(hex(unsignedInteger('000102'))).toBe('02020102');
    expect(hex(unsignedInteger('abc'))).toBe('02020abc');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 200n }), (n) => {
        const der = unsignedInteger(n.toString(16));
        const content = contentOf(der, readWhole(der, TAG.INTEGER));
        expect(content[0]! & 0x80).toBe(0);
        if (content.length > 1) expect(content[0] === 0 && !(content[1]! & 0x80)).toBe(false);
        expect(BigInt(`0x${hex(content)}`)).toBe(n);
      }),
    );
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050, in whole seconds', () => {
    expect(Buffer.from(time(new Date('2026-11-23T12:00:00.999Z'))).toString('latin1').slice(2)).toBe('261123120000Z');
    expect(time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(TAG.UTC_TIME);
    expect(Buffer.from(time(new Date('2050-01-01T00:00:00Z'))).toString('latin1').slice(2)).toBe('20500101000000Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(TAG.GENERALIZED_TIME);
    expect(Buffer.from(time(new Date('1950-01-01T00:00:00Z'))).toString('latin1').slice(2)).toBe('500101000000Z');
    expect(() => time(new Date('1949-12-31T23:59:59Z'))).toThrow();
    expect(() => time(new Date(NaN))).toThrow();
  });

  it('reads nested values back, whatever their lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 5 }), (items) => {
        const der = tlv(TAG.SEQUENCE, ...items.map((i) => tlv(TAG.OCTET_STRING, i)));
        const kids = children(der, readWhole(der, TAG.SEQUENCE));
        expect(kids.map((k) => hex(contentOf(der, k)))).toEqual(items.map(hex));
      }),
    );
  });

  it('refuses what is not DER: indefinite or long-winded lengths, truncation, trailing bytes, big tags', () => {
    expect(() => readNode(unhex('3080 0000'), 0)).toThrow(DerError);
    expect(() => readNode(unhex('0481 05 0102030405'), 0)).toThrow('shortest form');
    expect(() => readNode(unhex('0482 0080' + '00'.repeat(128)), 0)).toThrow('shortest form');
    expect(() => readNode(unhex('0405 0102'), 0)).toThrow('truncated');
    expect(() => readNode(unhex('04'), 0)).toThrow('truncated');
    expect(() => readWhole(unhex('0400 00'), 0x04)).toThrow('trailing data');
    expect(() => readNode(unhex('1f01 00'), 0)).toThrow('multi-byte tags');
    // A child that runs past its parent's end.
    expect(() => children(unhex('3003 0405 01'), readNode(unhex('3003 0405 01'), 0))).toThrow('truncated');
  });
});

describe('PEM', () => {
  it('writes 64-character lines ending in a newline, as OpenSSL', () => {
    const der = new Uint8Array(100).map((_, i) => i);
    const pem = toPem(der, 'CERTIFICATE');
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines[1]).toHaveLength(64);
    expect(lines.at(-2)).toBe('-----END CERTIFICATE-----');
    expect(pem.endsWith('\n')).toBe(true);
    expect(toPem(der.subarray(10, 20), 'CERTIFICATE')).toBe(toPem(Uint8Array.from(der.subarray(10, 20)), 'CERTIFICATE'));
  });

  it('reads the first block of its label, whatever the line endings and the text around it', () => {
    const a = unhex('0102030405');
    const b = unhex('0607');
    const text = `junk\r\n${toPem(b, 'PRIVATE KEY').replace(/\n/g, '\r\n')}${toPem(a, 'CERTIFICATE')}${toPem(b, 'CERTIFICATE')}`;
    expect(hex(fromPem(text, 'CERTIFICATE')!)).toBe(hex(a));
    expect(hex(fromPem(text, 'PRIVATE KEY')!)).toBe(hex(b));
    expect(fromPem(text, 'CERTIFICATE REQUEST')).toBeUndefined();
    expect(fromPem('-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n', 'CERTIFICATE')).toBeUndefined();
    expect(fromPem('-----BEGIN CERTIFICATE-----\nAQID', 'CERTIFICATE')).toBeUndefined();
  });

  it('reads what OpenSSL and node:crypto write', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(toPem(fromPem(pem, 'PRIVATE KEY')!, 'PRIVATE KEY')).toBe(pem);
  });
});

describe('certificates', () => {
  it('carry the extensions @peculiar/x509 reads as SwarmKit has them', async () => {
    const { certPem } = await issueNode(root, 'm1', 'manager');
    const cert = new x509.X509Certificate(certPem);
    const rootCert = new x509.X509Certificate(root.certPem);
    expect(cert.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
    expect(rootCert.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, critical: true });
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    expect(cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([
      { type: 'dns', value: 'swarm-manager' },
      { type: 'dns', value: 'm1' },
      { type: 'dns', value: 'swarm-ca' },
    ]);
    // The key identifiers are the library's own (SHA-1 of the key bits), so the chain links by them.
    const ski = await x509.SubjectKeyIdentifierExtension.create(cert.publicKey);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(ski.keyId);
    const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootCert.publicKey);
    expect(rootCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(rootSki.keyId);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(rootSki.keyId);
    expect(cert.issuer).toBe(rootCert.subject);
    expect(await cert.verify({ publicKey: rootCert.publicKey, signatureOnly: true })).toBe(true);
    expect(await rootCert.verify({ signatureOnly: true })).toBe(true);
  });

  it.skipIf(!openssl)('pass OpenSSL’s strict chain verification, for mutual TLS', async () => {
    const worker = await issueNode(root, 'w1', 'worker');
    const manager = await issueNode(root, 'm1', 'manager');
    const files = { 'root.pem': root.certPem, 'worker.pem': worker.certPem, 'manager.pem': manager.certPem };
    for (const purpose of ['sslserver', 'sslclient']) {
      expect(runOpenssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', 'root.pem', 'worker.pem', 'manager.pem'], files)).toBe(
        'worker.pem: OK\nmanager.pem: OK\n',
      );
    }
    const text = runOpenssl(['x509', '-in', 'manager.pem', '-noout', '-text']);
    expect(text).toContain('Subject: O = c5wgd2d8z3dq1c6hfhgq7bz9a, OU = swarm-manager, CN = m1');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+DNS:swarm-manager, DNS:m1, DNS:swarm-ca/);
    const rootText = runOpenssl(['x509', '-in', 'root.pem', '-noout', '-text']);
    expect(rootText).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(rootText).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
  });

  it.skipIf(!openssl)('make a Docker TLS bundle OpenSSL accepts, with IPv4 and IPv6 addresses', async () => {
    const b = await createDockerTlsBundle(['10.1.2.3', '::1', 'fe80::1:2', '::ffff:1.2.3.4', 'node.example']);
    const files = { 'ca.pem': b.caPem, 'server.pem': b.serverCertPem, 'client.pem': b.clientCertPem };
    expect(runOpenssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'server.pem'], files)).toBe('server.pem: OK\n');
    expect(runOpenssl(['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'ca.pem', 'client.pem'], files)).toBe('client.pem: OK\n');
    expect(new X509Certificate(b.serverCertPem).subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:1:2, ' +
        'IP Address:0:0:0:0:0:FFFF:102:304, DNS:node.example',
    );
    expect(new X509Certificate(b.clientCertPem).subjectAltName).toBeUndefined();
    expect(new X509Certificate(b.serverCertPem).checkPrivateKey(createPrivateKey(b.serverKeyPem))).toBe(true);
  });

  it.skipIf(!openssl)('issue under a root made by @peculiar/x509 (the swarms of earlier versions), naming it to the byte', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const old = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      // A UTF8String name, which ours would write as a PrintableString: the issuer must be copied, not rebuilt.
      name: new x509.Name([{ CN: [{ utf8String: 'swarm-ca' }] }]),
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 24 * 3600_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const oldRoot = { certPem: toPem(old.rawData, 'CERTIFICATE'), keyPem: toPem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
    const { certPem } = await issueNode(oldRoot, 'w1', 'worker');
    const oldSubject = issuerOf(new Uint8Array(old.rawData)).subject;
    expect(hex(oldSubject)).toContain(`0c08${hex(Buffer.from('swarm-ca'))}`);
    const leaf = fromPem(certPem, 'CERTIFICATE')!;
    // tbsCertificate: [0] version, serial, signature algorithm, issuer, ...
    const issuer = children(leaf, children(leaf, readWhole(leaf, TAG.SEQUENCE))[0]!)[3]!;
    expect(hex(leaf.subarray(issuer.start, issuer.end))).toBe(hex(oldSubject));
    expect(runOpenssl(['verify', '-x509_strict', '-CAfile', 'old.pem', 'leaf.pem'], { 'old.pem': oldRoot.certPem, 'leaf.pem': certPem })).toBe('leaf.pem: OK\n');
  });
});

describe('certification requests', () => {
  it.skipIf(!openssl)('are ones OpenSSL verifies, with an empty subject and the key they carry', async () => {
    const { keyPem, csrPem } = await createNodeKeyAndCSR();
    const out = runOpenssl(['req', '-in', 'node.csr', '-noout', '-verify', '-subject', '-pubkey'], { 'node.csr': csrPem });
    expect(out).toContain('subject=');
    const pub = out.slice(out.indexOf('-----BEGIN PUBLIC KEY-----'));
    expect(createPublicKey(pub).export({ type: 'spki', format: 'der' }).equals(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  it.skipIf(!openssl)('from OpenSSL are signed too: its subject and extensions are ignored', async () => {
    runOpenssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem']);
    const csrPem = runOpenssl(['req', '-new', '-key', 'k.pem', '-subj', '/CN=admin/OU=swarm-manager', '-addext', 'subjectAltName=DNS:evil.example']);
    const certPem = await signNodeCSR(root, csrPem, { nodeId: 'n5', role: 'worker', clusterId: CLUSTER_ID });
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe(`O=${CLUSTER_ID}\nOU=swarm-worker\nCN=n5`);
    expect(cert.subjectAltName).toBe('DNS:swarm-worker, DNS:n5');
    expect(cert.checkPrivateKey(createPrivateKey(runOpenssl(['pkey', '-in', 'k.pem'])))).toBe(true);
  });

  it.skipIf(!openssl)('signed with RSA are refused, saying why', async () => {
    runOpenssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa.pem']);
    const csrPem = runOpenssl(['req', '-new', '-key', 'rsa.pem', '-subj', '/CN=x']);
    await expect(signNodeCSR(root, csrPem, { nodeId: 'n', role: 'worker', clusterId: CLUSTER_ID })).rejects.toThrow(
      'invalid certificate signing request: unsupported signature algorithm 1.2.840.113549.1.1.11 (swarm nodes sign with ECDSA)',
    );
  });

  it('read back: the key, and whether the signature holds', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const der = createCertificationRequest(spki, privateKey);
    const read = readCertificationRequest(der);
    expect(read.signatureValid).toBe(true);
    expect(hex(read.publicKey)).toBe(hex(spki));
    // Another key signed it.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(readCertificationRequest(createCertificationRequest(spki, other)).signatureValid).toBe(false);
    expect(() => readCertificationRequest(der.subarray(0, der.length - 1))).toThrow();
    expect(() => createCertificationRequest(spki, generateKeyPairSync('ed25519').privateKey)).toThrow('the signing key must be an ECDSA P-256 private key');
  });

  it('that are not well-formed DER are refused with the reason', async () => {
    const der = fromPem((await createNodeKeyAndCSR()).csrPem, 'CERTIFICATE REQUEST')!;
    const bad = toPem(Uint8Array.from([...der, 0]), 'CERTIFICATE REQUEST');
    await expect(signNodeCSR(root, bad, { nodeId: 'n', role: 'worker', clusterId: CLUSTER_ID })).rejects.toThrow(
      'invalid certificate signing request: trailing data',
    );
  });
});

describe('key identifiers', () => {
  it('are the SHA-1 of the key bits, as OpenSSL computes them', () => {
    const cert = new X509Certificate(root.certPem);
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
    const text = openssl ? runOpenssl(['x509', '-in', 'r.pem', '-noout', '-ext', 'subjectKeyIdentifier'], { 'r.pem': root.certPem }) : '';
    if (openssl) expect(text.replace(/[\s:]/g, '').toLowerCase()).toContain(hex(keyIdentifier(spki)));
    expect(keyIdentifier(spki)).toHaveLength(20);
  });
});
