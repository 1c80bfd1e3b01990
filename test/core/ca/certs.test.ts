import { createPublicKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CERT_BACKDATE_MS,
  createNodeKeyAndCSR,
  createRootCA,
  parseNodeCert,
  ROOT_CA_EXPIRY_MS,
  signNodeCSR,
  verifyNodeCert,
  type RootCA,
} from '../../../core/ca/index.ts';
import { x509 } from './peculiar.ts';
import { CLUSTER_ID, issueNode } from './fixtures.ts';

const DAY = 24 * 3600 * 1000;
const NOW = new Date('2026-11-23T12:00:00Z');
const seconds = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);

let root: RootCA;
let otherRoot: RootCA;
beforeAll(async () => {
  [root, otherRoot] = await Promise.all([createRootCA({ now: NOW }), createRootCA({ now: NOW })]);
});

// The certificates are read back with node:crypto, an implementation independent of the one
// that wrote them.
describe('createRootCA', () => {
  it('is a self-signed P-256 CA named swarm-ca that lives twenty years', () => {
    const cert = new X509Certificate(root.certPem);
    expect(cert.subject).toBe('CN=swarm-ca');
    expect(cert.issuer).toBe('CN=swarm-ca');
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(seconds(cert.validFrom)).toBe(seconds(new Date(NOW.getTime() - CERT_BACKDATE_MS)));
    expect(seconds(cert.validTo)).toBe(seconds(new Date(NOW.getTime() + ROOT_CA_EXPIRY_MS)));
    expect(ROOT_CA_EXPIRY_MS).toBe(20 * 365 * DAY);
  });

  it('may only sign certificates and CRLs', () => {
    const cert = new x509.X509Certificate(root.certPem);
    const usage = cert.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(usage.critical).toBe(true);
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.critical).toBe(true);
  });

  it('gives a private key node:crypto can load, matching the certificate', () => {
    const pub = createPublicKey(root.keyPem).export({ format: 'der', type: 'spki' });
    expect(pub.equals(new X509Certificate(root.certPem).publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
  });

  it('takes a custom lifetime', async () => {
    const short = await createRootCA({ now: NOW, expiryMs: 2 * DAY });
    expect(seconds(new X509Certificate(short.certPem).validTo)).toBe(seconds(new Date(NOW.getTime() + 2 * DAY)));
  });
});

describe('signNodeCSR', () => {
  it('puts the node ID, role and cluster in CN, OU and O, and the role and ID in the SANs', async () => {
    const worker = new X509Certificate((await issueNode(root, 'w1nodeid', 'worker', { now: NOW })).certPem);
    expect(worker.subject).toBe(`O=${CLUSTER_ID}\nOU=swarm-worker\nCN=w1nodeid`);
    expect(worker.subjectAltName).toBe('DNS:swarm-worker, DNS:w1nodeid');

    const manager = new X509Certificate((await issueNode(root, 'm1nodeid', 'manager', { now: NOW })).certPem);
    expect(manager.subject).toBe(`O=${CLUSTER_ID}\nOU=swarm-manager\nCN=m1nodeid`);
    // Managers also answer as the CA.
    expect(manager.subjectAltName).toBe('DNS:swarm-manager, DNS:m1nodeid, DNS:swarm-ca');
  });

  it('issues a leaf for both ends of mutual TLS, signed by the root', async () => {
    const { certPem } = await issueNode(root, 'n1', 'worker', { now: NOW });
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(root.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const usage = new x509.X509Certificate(certPem).getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
  });

  it("certifies the CSR's key, which stays with the node", async () => {
    const { keyPem, csrPem } = await createNodeKeyAndCSR();
    const certPem = await signNodeCSR(root, csrPem, { nodeId: 'n1', role: 'worker', clusterId: CLUSTER_ID });
    const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: 'der', type: 'spki' });
    expect(spki(new X509Certificate(certPem).publicKey).equals(spki(createPublicKey(keyPem)))).toBe(true);
  });

  it('ignores the subject the node asked for', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=root-of-all-evil, OU=swarm-manager, O=another-cluster',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }])],
    });
    const certPem = await signNodeCSR(root, csr.toString('pem'), { nodeId: 'w2', role: 'worker', clusterId: CLUSTER_ID });
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe(`O=${CLUSTER_ID}\nOU=swarm-worker\nCN=w2`);
    expect(cert.subjectAltName).toBe('DNS:swarm-worker, DNS:w2');
  });

  it('refuses a CSR whose signature does not verify', async () => {
    const der = new Uint8Array(x509.PemConverter.decodeFirst((await createNodeKeyAndCSR()).csrPem));
    der[der.length - 1]! ^= 0x01; // the last byte of the signature's s
    const forged = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await expect(signNodeCSR(root, forged, { nodeId: 'n', role: 'worker', clusterId: CLUSTER_ID })).rejects.toThrow(
      'invalid certificate signing request: its signature does not match its public key',
    );
  });

  it('refuses something that is not a CSR', async () => {
    await expect(signNodeCSR(root, 'hello', { nodeId: 'n', role: 'worker', clusterId: CLUSTER_ID })).rejects.toThrow(
      /^invalid certificate signing request: /,
    );
  });

  it('backdates by an hour and lasts the requested time, 90 days by default', async () => {
    const { certPem } = await issueNode(root, 'n1', 'worker', { now: NOW });
    const cert = parseNodeCert(certPem);
    expect(seconds(cert.notBefore)).toBe(seconds(new Date(NOW.getTime() - 3600_000)));
    expect(seconds(cert.notAfter)).toBe(seconds(new Date(NOW.getTime() + 90 * DAY)));
    const short = parseNodeCert((await issueNode(root, 'n1', 'worker', { now: NOW, expiryMs: 3600_000 })).certPem);
    expect(seconds(short.notAfter)).toBe(seconds(new Date(NOW.getTime() + 3600_000)));
  });

  it("refuses a lifetime under an hour, with Docker's message", async () => {
    await expect(issueNode(root, 'n1', 'worker', { expiryMs: 30 * 60_000 })).rejects.toThrow('minimum certificate expiry time is: 1h0m0s');
  });

  it('gives every certificate its own serial number', async () => {
    const { csrPem } = await createNodeKeyAndCSR();
    const opts = { nodeId: 'n1', role: 'worker' as const, clusterId: CLUSTER_ID, now: NOW };
    const [a, b] = await Promise.all([signNodeCSR(root, csrPem, opts), signNodeCSR(root, csrPem, opts)]);
    expect(parseNodeCert(a!).serial).not.toBe(parseNodeCert(b!).serial);
  });
});

describe('parseNodeCert', () => {
  it('reads the identity, validity and serial, from PEM or DER', async () => {
    const { certPem } = await issueNode(root, 'm1', 'manager', { now: NOW });
    const info = parseNodeCert(certPem);
    expect(info).toEqual({
      nodeId: 'm1',
      role: 'manager',
      clusterId: CLUSTER_ID,
      notBefore: new Date(new X509Certificate(certPem).validFrom),
      notAfter: new Date(new X509Certificate(certPem).validTo),
      serial: new X509Certificate(certPem).serialNumber.toLowerCase(),
    });
    expect(parseNodeCert(new X509Certificate(certPem).raw)).toEqual(info);
  });

  it('refuses a certificate that is not a node certificate', () => {
    expect(() => parseNodeCert(root.certPem)).toThrow('not a swarm node certificate: subject "CN=swarm-ca" needs CN=<node id>');
    expect(() => parseNodeCert('garbage')).toThrow(/^failed to parse certificate: /);
  });
});

describe('verifyNodeCert', () => {
  it('accepts a certificate from this root, in its lifetime', async () => {
    const { certPem } = await issueNode(root, 'w1', 'worker', { now: NOW });
    await expect(verifyNodeCert(certPem, root.certPem, new Date(NOW.getTime() + DAY))).resolves.toMatchObject({ nodeId: 'w1', role: 'worker' });
  });

  it('refuses a certificate signed by another root', async () => {
    const { certPem } = await issueNode(otherRoot, 'w1', 'worker', { now: NOW });
    await expect(verifyNodeCert(certPem, root.certPem, NOW)).rejects.toThrow(
      "x509: certificate signed by unknown authority: the certificate of node w1 was not issued by this swarm's root CA",
    );
  });

  it('refuses an expired certificate, saying when it expired', async () => {
    const { certPem } = await issueNode(root, 'w1', 'worker', { now: NOW });
    const later = new Date(NOW.getTime() + 91 * DAY);
    await expect(verifyNodeCert(certPem, root.certPem, later)).rejects.toThrow(
      'certificate (1 - w1) not valid after Sun, 21 Feb 2027 12:00:00 UTC, and it is currently Mon, 22 Feb 2027 12:00:00 UTC',
    );
  });

  it('refuses a certificate not valid yet', async () => {
    const { certPem } = await issueNode(root, 'w1', 'worker', { now: NOW });
    await expect(verifyNodeCert(certPem, root.certPem, new Date(NOW.getTime() - 2 * 3600_000))).rejects.toThrow(
      /^certificate \(1 - w1\) not valid before Mon, 23 Nov 2026 11:00:00 UTC/,
    );
  });

  it('refuses a certificate whose root has expired', async () => {
    const shortRoot = await createRootCA({ now: NOW, expiryMs: 2 * DAY });
    const { certPem } = await issueNode(shortRoot, 'w1', 'worker', { now: NOW });
    await expect(verifyNodeCert(certPem, shortRoot.certPem, new Date(NOW.getTime() + 3 * DAY))).rejects.toThrow(
      /^certificate \(2 - swarm-ca\) not valid after/,
    );
  });
});
