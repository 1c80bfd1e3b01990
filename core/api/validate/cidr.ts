// IPv4 addresses and CIDR subnets as numbers, for the checks a network spec needs (a valid subnet,
// a gateway inside it, no two networks overlapping) and for picking the next free subnet.

export interface Subnet {
  /** The network address (host bits cleared), as an unsigned 32-bit number. */
  base: number;
  bits: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An IPv4 address in dotted form, or undefined. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** "10.0.1.0/24" (host bits may be set, as Go's ParseCIDR allows), or undefined. */
export function parseCidr(text: string): Subnet | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIPv4(m[1]!);
  const bits = Number(m[2]);
  if (ip === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

export const subnetSize = (s: Subnet): number => 2 ** (32 - s.bits);

export function contains(s: Subnet, ip: number): boolean {
  return ip >= s.base && ip < s.base + subnetSize(s);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + subnetSize(b) && b.base < a.base + subnetSize(a);
}

export function formatCidr(s: Subnet): string {
  return `${formatIPv4(s.base)}/${s.bits}`;
}

/** Whether the text looks like an IPv6 address or subnet (swarmlab's networks are IPv4 only). */
export const isIPv6 = (text: string): boolean => text.includes(':');
