// The overlay's address arithmetic and the allocator's pools: subnets parsed and contained,
// addresses handed out in turn (never the network, gateway or broadcast address, and a freed one
// not at once), exhaustion reported, and published ports taken from Docker's dynamic range.
import { describe, expect, it } from 'vitest';
import { contains, ipToNumber, numberToIp, parseCidr, stripPrefix, subnetSize } from '../../../core/network/cidr.ts';
import { AddressPool, DYNAMIC_PORTS, PortPool } from '../../../core/network/ipam.ts';

describe('cidr', () => {
  it('converts addresses to numbers and back', () => {
    expect(ipToNumber('0.0.0.0')).toBe(0);
    expect(ipToNumber('10.0.1.5')).toBe(10 * 2 ** 24 + 1 * 256 + 5);
    expect(ipToNumber('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(numberToIp(2 ** 32 - 1)).toBe('255.255.255.255');
    expect(numberToIp(ipToNumber('192.168.7.254')!)).toBe('192.168.7.254');
    for (const bad of ['10.0.1', '10.0.1.5.6', '10.0.1.256', '10.0.x.1', '', '10..1.1', '1.2.3.-4', '1.2.3.1234']) expect(ipToNumber(bad), bad).toBeUndefined();
  });

  it('parses CIDRs to their network address and prefix', () => {
    expect(parseCidr('10.0.1.0/24')).toEqual({ base: ipToNumber('10.0.1.0'), prefix: 24 });
    // A host address inside the subnet is brought down to the network address.
    expect(parseCidr('10.0.1.77/24')).toEqual({ base: ipToNumber('10.0.1.0'), prefix: 24 });
    expect(parseCidr('10.0.3.9/23')).toEqual({ base: ipToNumber('10.0.2.0'), prefix: 23 });
    expect(parseCidr('1.2.3.4/32')).toEqual({ base: ipToNumber('1.2.3.4'), prefix: 32 });
    expect(parseCidr('1.2.3.4/0')).toEqual({ base: 0, prefix: 0 });
    for (const bad of ['10.0.1.0', '10.0.1.0/33', '10.0.1.0/', '10.0.1.0/24/1', '10.0.1/24', 'x/24', '10.0.1.0/2a', '10.0.1.0/100']) expect(parseCidr(bad), bad).toBeUndefined();
    expect(subnetSize(parseCidr('10.0.0.0/24')!)).toBe(256);
    expect(subnetSize(parseCidr('10.0.0.0/16')!)).toBe(65536);
  });

  it('contains exactly the subnet range', () => {
    const s = parseCidr('10.0.2.0/23')!;
    expect(contains(s, ipToNumber('10.0.2.0')!)).toBe(true);
    expect(contains(s, ipToNumber('10.0.3.255')!)).toBe(true);
    expect(contains(s, ipToNumber('10.0.1.255')!)).toBe(false);
    expect(contains(s, ipToNumber('10.0.4.0')!)).toBe(false);
  });

  it('strips a prefix length', () => {
    expect(stripPrefix('10.0.1.5/24')).toBe('10.0.1.5');
    expect(stripPrefix('10.0.1.5')).toBe('10.0.1.5');
  });
});

/** Every address a pool hands out until it is full. */
function drain(pool: AddressPool): string[] {
  const out: string[] = [];
  for (let a = pool.allocate(); a !== undefined; a = pool.allocate()) out.push(a);
  return out;
}

describe('AddressPool', () => {
  it('hands out addresses in CIDR form, in turn, skipping the gateway (the first address by default)', () => {
    const pool = new AddressPool('10.0.1.0/24', undefined, {});
    expect(pool.allocate()).toBe('10.0.1.2/24');
    expect(pool.allocate()).toBe('10.0.1.3/24');
    const explicit = new AddressPool('10.0.1.0/24', '10.0.1.2', {});
    expect(explicit.allocate()).toBe('10.0.1.1/24');
    expect(explicit.allocate()).toBe('10.0.1.3/24');
  });

  it('never hands out the network, gateway or broadcast address; full → undefined', () => {
    const pool = new AddressPool('10.0.9.0/29', '10.0.9.1', {});
    // .0 network, .1 gateway, .7 broadcast: five addresses left.
    expect(drain(pool)).toEqual(['10.0.9.2/29', '10.0.9.3/29', '10.0.9.4/29', '10.0.9.5/29', '10.0.9.6/29']);
    expect(pool.allocate()).toBeUndefined();
    // /31 and /32 have nothing to give.
    expect(new AddressPool('10.0.9.0/31', undefined, {}).allocate()).toBeUndefined();
    expect(new AddressPool('10.0.9.0/32', undefined, {}).allocate()).toBeUndefined();
    // A gateway at the end of the range frees the first address.
    expect(drain(new AddressPool('10.0.9.0/30', '10.0.9.2', {}))).toEqual(['10.0.9.1/30']);
  });

  it('skips claimed addresses (with or without a prefix) and ignores claims outside the subnet', () => {
    const pool = new AddressPool('10.0.1.0/29', undefined, {});
    pool.claim('10.0.1.2/29');
    pool.claim('10.0.1.3');
    pool.claim('10.0.2.4');
    pool.claim('not an address');
    expect(drain(pool)).toEqual(['10.0.1.4/29', '10.0.1.5/29', '10.0.1.6/29']);
  });

  it('keeps a cursor: an address freed is not reused at once, and the cursor outlives the pool', () => {
    const cursor: { next?: number } = {};
    const first = new AddressPool('10.0.1.0/24', '10.0.1.1', cursor);
    expect(first.allocate()).toBe('10.0.1.2/24');
    expect(first.allocate()).toBe('10.0.1.3/24');
    // A new pass (a new pool from the store) where .2 is free again: the next address is .4.
    const second = new AddressPool('10.0.1.0/24', '10.0.1.1', cursor);
    second.claim('10.0.1.3/24');
    expect(second.allocate()).toBe('10.0.1.4/24');
    // Without the cursor, .2 would be handed out again.
    const fresh = new AddressPool('10.0.1.0/24', '10.0.1.1', {});
    fresh.claim('10.0.1.3/24');
    expect(fresh.allocate()).toBe('10.0.1.2/24');
  });

  it('wraps around to the freed addresses when it reaches the end', () => {
    const cursor: { next?: number } = {};
    const a = new AddressPool('10.0.9.0/29', undefined, cursor);
    expect(drain(a)).toHaveLength(5);
    // .3 freed: the next pool finds it after wrapping.
    const b = new AddressPool('10.0.9.0/29', undefined, cursor);
    for (const x of [2, 4, 5, 6]) b.claim(`10.0.9.${x}`);
    expect(b.allocate()).toBe('10.0.9.3/29');
    expect(b.allocate()).toBeUndefined();
  });

  it('refuses an invalid subnet', () => {
    expect(() => new AddressPool('10.0.1.0', undefined, {})).toThrow(/invalid subnet/);
  });
});

describe('PortPool', () => {
  it('is Docker\'s dynamic range, 30000–32767', () => {
    expect(DYNAMIC_PORTS).toEqual({ first: 30000, last: 32767 });
  });

  it('hands out the lowest free port of the range, skipping claimed ones, until the range is used up', () => {
    const pool = new PortPool();
    pool.claim(30000);
    pool.claim(30002);
    pool.claim(8080);
    expect(pool.has(8080)).toBe(true);
    expect(pool.has(30001)).toBe(false);
    expect(pool.allocate()).toBe(30001);
    expect(pool.has(30001)).toBe(true);
    expect(pool.allocate()).toBe(30003);
    const rest: number[] = [];
    for (let p = pool.allocate(); p !== undefined; p = pool.allocate()) rest.push(p);
    expect(rest[0]).toBe(30004);
    expect(rest[rest.length - 1]).toBe(32767);
    expect(rest).toHaveLength(32767 - 30004 + 1);
    expect(pool.allocate()).toBeUndefined();
  });
});
