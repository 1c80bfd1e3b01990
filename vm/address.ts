// Where a machine listens. On Linux the whole of 127.0.0.0/8 is loopback, so every machine gets an
// address of its own (127.0.0.SLOT) and Docker's usual ports, exactly like hosts on a network.
// Elsewhere only 127.0.0.1 can be counted on, so machines share it and differ by port instead.
// A machine with netns isolation has a network of its own: its slot's address in the lab's subnet
// (vm/netns/plan.ts), with Docker's cluster port and SSH's own port 22, as a real host.

import net from 'node:net';

export const FIRST_SLOT = 10;
export const LAST_SLOT = 254;
const SWARM_PORT = 2377;
const SSH_PORT = 2222;
const NETNS_SSH_PORT = 22;
/** Without own addresses: SLOT's ports start here, ten apart (swarm +0, ssh +2). */
const SHARED_BASE = 30_000;

export interface MachineAddress {
  slot: number;
  ip: string;
  swarmPort: number;
  sshPort: number;
}

export function addressForSlot(slot: number, platform: NodeJS.Platform = process.platform): MachineAddress {
  if (platform === 'linux') return { slot, ip: `127.0.0.${slot}`, swarmPort: SWARM_PORT, sshPort: SSH_PORT };
  const base = SHARED_BASE + slot * 10;
  return { slot, ip: '127.0.0.1', swarmPort: base, sshPort: base + 2 };
}

/** The address of a netns machine in `slot`, given the lab subnet's first three octets. */
export function netnsAddressForSlot(slot: number, prefix: string): MachineAddress {
  return { slot, ip: `${prefix}.${slot}`, swarmPort: SWARM_PORT, sshPort: NETNS_SSH_PORT };
}

/** Whether a TCP port can be bound now (another lab, or another program, may hold it). */
export function portIsFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export type PortProbe = (ip: string, port: number) => Promise<boolean>;

/**
 * The first slot from `first` that no machine of the store uses, whose ports are free, and that
 * `claim` (the store's guard against another process allocating at the same time) grants.
 */
export async function allocateAddress(
  used: ReadonlySet<number>,
  opts: {
    first?: number;
    platform?: NodeJS.Platform;
    probe?: PortProbe;
    claim?: (slot: number) => Promise<boolean>;
    /** A netns machine's address (its ports are its namespace's: nothing on the host to probe). */
    netnsPrefix?: string;
  } = {},
): Promise<MachineAddress | undefined> {
  const probe = opts.probe ?? portIsFree;
  for (let slot = opts.first ?? FIRST_SLOT; slot <= LAST_SLOT; slot++) {
    if (used.has(slot)) continue;
    const a = opts.netnsPrefix ? netnsAddressForSlot(slot, opts.netnsPrefix) : addressForSlot(slot, opts.platform);
    if (!opts.netnsPrefix && (!(await probe(a.ip, a.swarmPort)) || !(await probe(a.ip, a.sshPort)))) continue;
    if (!opts.claim || (await opts.claim(slot))) return a;
  }
  return undefined;
}
