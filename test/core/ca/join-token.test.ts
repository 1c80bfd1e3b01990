import { createHash, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkRootAgainstToken,
  createRootCA,
  generateJoinToken,
  parseJoinToken,
  rootDigest,
  tokenMatchesRoot,
  type RootCA,
} from '../../../core/ca/index.ts';

const SHAPE = 'expected SWMTKN-1-<50 chars>-<25 chars>';
const zeros = (n: number) => '0'.repeat(n);

let root: RootCA;
let otherRoot: RootCA;
beforeAll(async () => {
  [root, otherRoot] = await Promise.all([createRootCA(), createRootCA()]);
});

describe('rootDigest', () => {
  it('is the SHA-256 of the certificate DER, in hex', () => {
    const der = new X509Certificate(root.certPem).raw;
    expect(rootDigest(root.certPem)).toBe(createHash('sha256').update(der).digest('hex'));
  });

  it('does not depend on how the PEM is laid out', () => {
    expect(rootDigest(`\n${root.certPem.replace(/\n/g, '\r\n')}\n\n`)).toBe(rootDigest(root.certPem));
  });
});

describe('generateJoinToken', () => {
  it("has SwarmKit's v1 shape: SWMTKN-1-<50 base-36 chars>-<25 base-36 chars>", () => {
    expect(generateJoinToken(root.certPem)).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  });

  it('encodes the root digest in base 36 and 128 random bits as the secret', () => {
    const token = generateJoinToken(root.certPem, () => new Uint8Array(16).fill(0xff));
    const [, , digest, secret] = token.split('-');
    expect(BigInt(`0x${rootDigest(root.certPem)}`).toString(36).padStart(50, '0')).toBe(digest);
    // 2^128 - 1 is the largest secret and needs all 25 digits.
    expect(secret).toBe((2n ** 128n - 1n).toString(36));
    expect(secret).toHaveLength(25);
  });

  it('left-pads a small secret with zeros', () => {
    const bytes = new Uint8Array(16);
    bytes[15] = 35;
    expect(generateJoinToken(root.certPem, () => bytes).endsWith(`-${zeros(24)}z`)).toBe(true);
  });

  it('draws a fresh secret each time', () => {
    const a = generateJoinToken(root.certPem);
    const b = generateJoinToken(root.certPem);
    expect(a.slice(0, 60)).toBe(b.slice(0, 60));
    expect(a).not.toBe(b);
  });

  it('refuses a random source that gives the wrong number of bytes', () => {
    expect(() => generateJoinToken(root.certPem, () => new Uint8Array(8))).toThrow('expected 16 random bytes, got 8');
  });
});

describe('parseJoinToken', () => {
  it('round-trips the digest and the secret', () => {
    const token = generateJoinToken(root.certPem);
    const parsed = parseJoinToken(token);
    expect(parsed.digest).toBe(rootDigest(root.certPem));
    expect(parsed.secret).toBe(token.slice(-25));
  });

  it("reads a token as Docker's documentation prints it", () => {
    const parsed = parseJoinToken('SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx');
    expect(parsed.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.secret).toBe('1awxwuwd3z9j1z3puu7rcgdbx');
  });

  it('keeps leading zeros of the digest', () => {
    expect(parseJoinToken(`SWMTKN-1-${zeros(49)}1-${zeros(25)}`).digest).toBe(`${zeros(63)}1`);
  });

  it('accepts surrounding whitespace and upper case, as pasted', () => {
    const token = generateJoinToken(root.certPem);
    const [, , digest, secret] = token.split('-');
    expect(parseJoinToken(`  SWMTKN-1-${digest!.toUpperCase()}-${secret}\n`)).toEqual(parseJoinToken(token));
  });

  it.each([
    ['', `invalid join token: ${SHAPE}, got an empty string`],
    ['hello', `invalid join token: ${SHAPE}, got a string starting "hello"`],
    ['SWMTKN', `invalid join token: ${SHAPE}, got a string starting "SWMTKN"`],
    [`SWMTKN-3-${zeros(50)}-${zeros(25)}`, `invalid join token: unknown version "3", ${SHAPE}`],
    [`SWMTKN-2-1-${zeros(50)}-${zeros(25)}`, 'invalid join token: version 2 (FIPS) join tokens are not supported; use a SWMTKN-1 token'],
    [`SWMTKN-1-${zeros(50)}`, `invalid join token: ${SHAPE}, got 3 parts separated by "-" instead of 4`],
    [`SWMTKN-1-${zeros(50)}-${zeros(25)}-x`, `invalid join token: ${SHAPE}, got 5 parts separated by "-" instead of 4`],
    [`SWMTKN-1-${zeros(49)}-${zeros(25)}`, `invalid join token: the root CA digest has 49 characters instead of 50 (${SHAPE})`],
    [`SWMTKN-1-${zeros(50)}-${zeros(24)}`, `invalid join token: the secret has 24 characters instead of 25 (${SHAPE})`],
    [`SWMTKN-1-${zeros(49)}_-${zeros(25)}`, `invalid join token: the root CA digest may only contain 0-9 and a-z (${SHAPE})`],
    [`SWMTKN-1-${zeros(50)}-${zeros(24)}!`, `invalid join token: the secret may only contain 0-9 and a-z (${SHAPE})`],
    [`SWMTKN-1-${'z'.repeat(50)}-${zeros(25)}`, 'invalid join token: the root CA digest is larger than a SHA-256 digest'],
  ])('rejects %j with a message saying what is wrong', (token, message) => {
    expect(() => parseJoinToken(token)).toThrow(message);
  });

  it('never repeats the secret in its errors', () => {
    const secret = 'k3d8s0qpw9x7m2n4b6v1c5z8y';
    try {
      parseJoinToken(`SWMTKN-1-${zeros(49)}-${secret}`);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain(secret.slice(0, 6));
      expect((err as Error).name).toBe('JoinTokenError');
    }
  });
});

describe('matching a token to a root', () => {
  it('matches the root it was made from and no other', () => {
    const token = generateJoinToken(root.certPem);
    expect(tokenMatchesRoot(token, root.certPem)).toBe(true);
    expect(tokenMatchesRoot(token, otherRoot.certPem)).toBe(false);
    expect(tokenMatchesRoot('not a token', root.certPem)).toBe(false);
  });

  it("fails with SwarmKit's fingerprint message when the root differs", () => {
    const token = generateJoinToken(root.certPem);
    expect(checkRootAgainstToken(token, root.certPem)).toBe(root.certPem);
    expect(() => checkRootAgainstToken(token, otherRoot.certPem)).toThrow(
      `remote CA does not match fingerprint. Expected: ${rootDigest(root.certPem)}`,
    );
  });
});
