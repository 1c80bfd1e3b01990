// How long certificates live and when a node renews its own, following SwarmKit (ca/certificates.go
// and ca/config.go).

import { DEFAULT_NODE_CERT_EXPIRY, HOUR, MIN_NODE_CERT_EXPIRY, nsToMs } from '../api/defaults.ts';
import { formatDuration } from '../api/validate.ts';
import type { Random } from '../random.ts';

/** SwarmKit's RootCAExpiration: 630720000 s, twenty years of 365 days. */
export const ROOT_CA_EXPIRY_MS = 630_720_000 * 1000;

/**
 * Every certificate starts this long before it was issued, so that a node whose clock is a little
 * behind the CA's does not reject a certificate it has just received (SwarmKit's CertBackdate).
 */
export const CERT_BACKDATE_MS = nsToMs(HOUR);

export const DEFAULT_NODE_CERT_EXPIRY_MS = nsToMs(DEFAULT_NODE_CERT_EXPIRY);
export const MIN_NODE_CERT_EXPIRY_MS = nsToMs(MIN_NODE_CERT_EXPIRY);

/** Renewal falls at a random point in this part of the lifetime, so nodes do not renew in a herd. */
export const RENEWAL_WINDOW = { from: 0.5, to: 0.8 } as const;

/**
 * Checks a requested node certificate expiry (ns, as in the cluster spec's CAConfig) and returns it.
 * The message is SwarmKit's, which Docker passes through to `docker swarm update --cert-expiry`.
 */
export function validateCertExpiry(expiryNs: number): number {
  if (!Number.isFinite(expiryNs) || expiryNs < MIN_NODE_CERT_EXPIRY) {
    throw new Error(`minimum certificate expiry time is: ${formatDuration(MIN_NODE_CERT_EXPIRY)}`);
  }
  return expiryNs;
}

/**
 * When to renew a certificate: a whole number of minutes after its start, drawn between 50% and
 * 80% of its lifetime, as SwarmKit's calculateRandomExpiry. The caller schedules against its own
 * clock; a time already past means "renew now".
 */
export function renewalTime(cert: { notBefore: Date; notAfter: Date }, random: Random): Date {
  const lifetimeMinutes = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 60_000;
  const min = Math.floor(lifetimeMinutes * RENEWAL_WINDOW.from);
  const max = Math.floor(lifetimeMinutes * RENEWAL_WINDOW.to);
  const minutes = max - min < 1 ? min : min + random.int(max - min);
  return new Date(cert.notBefore.getTime() + minutes * 60_000);
}
