// IPv4 arithmetic for the overlay networks' subnets: addresses as 32-bit numbers.

export interface Subnet {
  /** The network address as a number. */
  base: number;
  prefix: number;
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): Subnet | undefined {
  const [ip, bits, extra] = cidr.split('/');
  if (extra !== undefined || ip === undefined || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const n = ipToNumber(ip);
  const prefix = Number(bits);
  if (n === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: n - (n % size), prefix };
}

export function subnetSize(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, ip: number): boolean {
  return ip >= s.base && ip < s.base + subnetSize(s);
}

/** "10.0.1.5/24" → "10.0.1.5" */
export function stripPrefix(addr: string): string {
  const i = addr.indexOf('/');
  return i < 0 ? addr : addr.slice(0, i);
}
