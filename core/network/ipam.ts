// Address and port pools for the allocator: which addresses of a subnet and which published ports
// are free, given what the store says is in use. Addresses go out in turn (a cursor per subnet),
// as Docker's serial allocation does, so an address just freed is not handed straight to a new task
// while peers may still remember it.

import { contains, ipToNumber, numberToIp, parseCidr, subnetSize, type Subnet } from './cidr.ts';

export const DYNAMIC_PORTS = { first: 30000, last: 32767 } as const;

export class AddressPool {
  private readonly used = new Set<number>();
  private readonly subnet: Subnet;
  private readonly gateway: number | undefined;

  constructor(
    cidr: string,
    gateway: string | undefined,
    private readonly cursor: { next?: number },
  ) {
    const s = parseCidr(cidr);
    if (!s) throw new Error(`invalid subnet ${cidr}`);
    this.subnet = s;
    this.gateway = gateway ? ipToNumber(gateway) : s.base + 1;
  }

  /** Marks "10.0.1.5" or "10.0.1.5/24" as taken (ignored when outside the subnet). */
  claim(addr: string): void {
    const n = ipToNumber(addr.split('/')[0]!);
    if (n !== undefined && contains(this.subnet, n)) this.used.add(n);
  }

  /** A free address in CIDR form ("10.0.1.5/24"), or undefined when the subnet is full. */
  allocate(): string | undefined {
    const size = subnetSize(this.subnet);
    const first = this.subnet.base + 1;
    const last = this.subnet.base + size - 2; // the broadcast address is not handed out
    if (last < first) return undefined;
    let n = this.cursor.next !== undefined && this.cursor.next >= first && this.cursor.next <= last ? this.cursor.next : first;
    for (let i = 0; i <= last - first; i++, n = n >= last ? first : n + 1) {
      if (n === this.gateway || this.used.has(n)) continue;
      this.used.add(n);
      this.cursor.next = n >= last ? first : n + 1;
      return `${numberToIp(n)}/${this.subnet.prefix}`;
    }
    return undefined;
  }
}

export class PortPool {
  private readonly used = new Set<number>();

  claim(port: number): void {
    this.used.add(port);
  }

  has(port: number): boolean {
    return this.used.has(port);
  }

  allocate(): number | undefined {
    for (let p: number = DYNAMIC_PORTS.first; p <= DYNAMIC_PORTS.last; p++) {
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    return undefined;
  }
}
