import { describe, expect, it } from 'vitest';
import { DEFAULT_NODE_CERT_EXPIRY, HOUR, MINUTE } from '../../../core/api/defaults.ts';
import { createRootCA, parseNodeCert, renewalTime, validateCertExpiry } from '../../../core/ca/index.ts';
import { seededRandom } from '../../../core/random.ts';
import { issueNode } from './fixtures.ts';

const DAY_MS = 24 * 3600 * 1000;

describe('validateCertExpiry', () => {
  it('accepts an hour and more, in nanoseconds as the cluster spec gives them', () => {
    expect(validateCertExpiry(HOUR)).toBe(HOUR);
    expect(validateCertExpiry(DEFAULT_NODE_CERT_EXPIRY)).toBe(DEFAULT_NODE_CERT_EXPIRY);
  });

  it.each([HOUR - 1, 30 * MINUTE, 0, -HOUR, Number.NaN])("refuses %d with Docker's message", (ns) => {
    expect(() => validateCertExpiry(ns)).toThrow(/^minimum certificate expiry time is: 1h0m0s$/);
  });
});

describe('renewalTime', () => {
  const notBefore = new Date('2026-11-23T11:00:00Z');
  const cert = { notBefore, notAfter: new Date(notBefore.getTime() + 90 * DAY_MS) };
  const lifetime = 90 * DAY_MS;

  it('falls between 50% and 80% of the lifetime, on a whole minute', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const offset = renewalTime(cert, seededRandom(seed)).getTime() - notBefore.getTime();
      expect(offset).toBeGreaterThanOrEqual(0.5 * lifetime);
      expect(offset).toBeLessThan(0.8 * lifetime);
      expect(offset % 60_000).toBe(0);
    }
  });

  it('is the same for the same seed, and spreads over the window across seeds', () => {
    expect(renewalTime(cert, seededRandom(42))).toEqual(renewalTime(cert, seededRandom(42)));
    const fractions = Array.from({ length: 200 }, (_, seed) => (renewalTime(cert, seededRandom(seed)).getTime() - notBefore.getTime()) / lifetime);
    expect(Math.min(...fractions)).toBeLessThan(0.53);
    expect(Math.max(...fractions)).toBeGreaterThan(0.77);
  });

  it('is at half the lifetime when the window is under a minute wide', () => {
    const tiny = { notBefore, notAfter: new Date(notBefore.getTime() + 2 * 60_000) };
    expect(renewalTime(tiny, seededRandom(1))).toEqual(new Date(notBefore.getTime() + 60_000));
  });

  it('works on a parsed certificate, backdating included', async () => {
    const root = await createRootCA();
    const info = parseNodeCert((await issueNode(root, 'n1', 'worker', { expiryMs: 10 * 3600_000 })).certPem);
    const at = renewalTime(info, seededRandom(3)).getTime();
    const span = info.notAfter.getTime() - info.notBefore.getTime();
    expect(span).toBe(11 * 3600_000);
    expect(at).toBeGreaterThanOrEqual(info.notBefore.getTime() + 0.5 * span);
    expect(at).toBeLessThan(info.notBefore.getTime() + 0.8 * span);
  });
});
