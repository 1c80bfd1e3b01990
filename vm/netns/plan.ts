// The names and addresses of a lab's network under netns isolation, all derived from SWARMLAB_HOME:
// one bridge per home (swl-HHHHHH, a short hash of the home's path), a /24 of 10.213.0.0/16 picked
// by the same hash (the host is .1 on the bridge), and per machine slot a namespace and the host
// end of its veth pair, both swl-HHHHHH-SLOT. Interface names must fit IFNAMSIZ (15 characters):
// "swl-" + 6 + "-" + 3 = 14. Everything of one home shares the prefix, so leftovers of a crashed lab
// can be found and removed by name alone.

import { createHash } from 'node:crypto';

/** The machine's end of its veth pair, inside its namespace, named as a host's first NIC. */
export const NETNS_DEVICE = 'eth0';
export const PREFIX_LENGTH = 24;
const NAME_PREFIX = 'swl-';

export interface LabNetPlan {
  /** The short hash of the home: every name of this lab starts with `swl-${id}`. */
  id: string;
  bridge: string;
  /** The lab subnet's first three octets (10.213.X). */
  prefix: string;
  subnet: string;
  /** The host's address on the bridge: the lab controller and consoles come from it. */
  hostIp: string;
}

export function labNetPlan(home: string): LabNetPlan {
  const digest = createHash('sha256').update(home).digest();
  const id = digest.subarray(0, 3).toString('hex');
  const prefix = `10.213.${digest[3]}`;
  return { id, bridge: `${NAME_PREFIX}${id}`, prefix, subnet: `${prefix}.0/${PREFIX_LENGTH}`, hostIp: `${prefix}.1` };
}

/** The namespace of the machine in `slot` (also the name of its veth's host end). */
export function machineNetName(plan: LabNetPlan, slot: number): string {
  return `${plan.bridge}-${slot}`;
}

export function machineIp(plan: LabNetPlan, slot: number): string {
  return `${plan.prefix}.${slot}`;
}

/**
 * The MAC address of the lab's interface with this address (the bridge's: the host's address).
 * Fixed, as a real NIC's: a machine's namespace is made again at each start, and a new random MAC
 * would leave its peers and the host sending to the old one until their ARP entries expire (half a
 * minute and more); a bridge's MAC would otherwise follow its ports' as machines come and go.
 */
export function labMac(bridge: string, ip: string): string {
  const b = createHash('sha256').update(`${bridge} ${ip}`).digest();
  // 02: a locally administered unicast address.
  return ['02', ...[...b.subarray(0, 5)].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

/** Whether an interface or namespace name belongs to the lab with this id. */
export function belongsTo(id: string, name: string): boolean {
  return name === `${NAME_PREFIX}${id}` || name.startsWith(`${NAME_PREFIX}${id}-`);
}
