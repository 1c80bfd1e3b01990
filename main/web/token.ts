// The web mode's secret: whoever holds it drives the lab (kills nodes, opens root consoles), so it
// is random, long, and compared without leaking through timing.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, URL-safe (it travels in the page URL's fragment). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; digests first, so that unequal lengths take the same time too. */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
