// Join tokens in SwarmKit's v1 format (ca/config.go, GenerateJoinToken and ParseJoinToken):
//
//   SWMTKN-1-<SHA-256 of the root CA in base 36, zero-padded to 50>-<128-bit secret in base 36, zero-padded to 25>
//
// The digest lets a joining node check the CA it reaches before trusting it; the secret is what
// the CA checks before it signs the node's first certificate.

import { rootDigest } from './root.ts';

const PREFIX = 'SWMTKN';
const VERSION = '1';
const BASE = 36;
const SECRET_BYTES = 16;
/** ceil(log36(2^256)) and ceil(log36(2^128)). */
const DIGEST_LEN = 50;
const SECRET_LEN = 25;
const SHAPE = `SWMTKN-1-<${DIGEST_LEN} chars>-<${SECRET_LEN} chars>`;
const BASE36 = /^[0-9a-z]+$/;

export interface JoinToken {
  /** The root CA digest the token names: SHA-256, 64 lowercase hex digits (as rootDigest). */
  digest: string;
  /** The secret part as it appears in the token. */
  secret: string;
}

export type RandomBytes = (n: number) => Uint8Array;

const secureRandomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export function generateJoinToken(rootCertPem: string, randomBytes: RandomBytes = secureRandomBytes): string {
  const secretBytes = randomBytes(SECRET_BYTES);
  if (secretBytes.length !== SECRET_BYTES) throw new Error(`join token: expected ${SECRET_BYTES} random bytes, got ${secretBytes.length}`);
  const digest = BigInt(`0x${rootDigest(rootCertPem)}`).toString(BASE).padStart(DIGEST_LEN, '0');
  const secret = BigInt(`0x${Buffer.from(secretBytes).toString('hex')}`).toString(BASE).padStart(SECRET_LEN, '0');
  return `${PREFIX}-${VERSION}-${digest}-${secret}`;
}

export class JoinTokenError extends Error {
  constructor(detail: string) {
    // SwarmKit and Docker say just "invalid join token"; the detail says what to fix.
    super(`invalid join token: ${detail}`);
    this.name = 'JoinTokenError';
  }
}

export function parseJoinToken(token: string): JoinToken {
  // A token pasted from a terminal or read from a file often brings a newline along.
  const trimmed = token.trim();
  const parts = trimmed.split('-');
  if (parts[0] !== PREFIX || parts.length < 2) {
    throw new JoinTokenError(`expected ${SHAPE}, got ${trimmed === '' ? 'an empty string' : `a string starting ${JSON.stringify(trimmed.slice(0, 7))}`}`);
  }
  if (parts[1] === '2') {
    throw new JoinTokenError('version 2 (FIPS) join tokens are not supported; use a SWMTKN-1 token');
  }
  if (parts[1] !== VERSION) throw new JoinTokenError(`unknown version ${JSON.stringify(parts[1])}, expected ${SHAPE}`);
  if (parts.length !== 4) throw new JoinTokenError(`expected ${SHAPE}, got ${parts.length} parts separated by "-" instead of 4`);
  // SwarmKit parses both parts with big.Int, which takes either case.
  const digestPart = parts[2]!.toLowerCase();
  const secret = parts[3]!.toLowerCase();
  checkPart('root CA digest', digestPart, DIGEST_LEN);
  checkPart('secret', secret, SECRET_LEN);
  const digest = parseBase36(digestPart).toString(16).padStart(64, '0');
  if (digest.length > 64) throw new JoinTokenError('the root CA digest is larger than a SHA-256 digest');
  return { digest, secret };
}

/** Whether the token names this root CA. A malformed token matches nothing. */
export function tokenMatchesRoot(token: string, rootCertPem: string): boolean {
  let parsed: JoinToken;
  try {
    parsed = parseJoinToken(token);
  } catch {
    return false;
  }
  return parsed.digest === rootDigest(rootCertPem);
}

/**
 * Throws unless the root CA a joining node was handed is the one its token names, with SwarmKit's
 * message (GetRemoteCA). Returns the root for chaining.
 */
export function checkRootAgainstToken(token: string, rootCertPem: string): string {
  const { digest } = parseJoinToken(token);
  const actual = rootDigest(rootCertPem);
  if (actual !== digest) {
    throw new Error(`remote CA does not match fingerprint. Expected: ${digest} (the CA presented ${actual}; is something between this node and the manager, or is the join token from another swarm?)`);
  }
  return rootCertPem;
}

function parseBase36(text: string): bigint {
  let n = 0n;
  for (const c of text) n = n * 36n + BigInt(parseInt(c, BASE));
  return n;
}

// The messages name lengths and characters, never the text: a near-miss token is mostly secret.
function checkPart(what: string, part: string, length: number): void {
  if (part.length !== length) {
    throw new JoinTokenError(`the ${what} has ${part.length} characters instead of ${length} (expected ${SHAPE})`);
  }
  if (!BASE36.test(part)) {
    throw new JoinTokenError(`the ${what} may only contain 0-9 and a-z (expected ${SHAPE})`);
  }
}
