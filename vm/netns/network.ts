// A lab's network under netns isolation, made with ip(8): the lab's bridge with the host on .1, and
// per machine a network namespace joined to the bridge by a veth pair, with loopback and eth0 up
// and the machine's address on eth0. There is deliberately no default route in a namespace and no
// forwarding or NAT on the host: a machine reaches the host's bridge address and its peers, and
// nothing beyond, even on a host that forwards between its interfaces.
//
// Every step tolerates what a crash may have left (an interface or a namespace of the same name),
// so creating a machine again after a crash works. Changes to one lab's network run one at a time
// in this process, so that a machine's removal never deletes the bridge under another's creation.

import { MachineError } from '../errors.ts';
import { NetCommandError, run, runTolerating } from './command.ts';
import { belongsTo, labMac, NETNS_DEVICE, PREFIX_LENGTH } from './plan.ts';

/** A netns machine's network, as its config records it. */
export interface MachineNet {
  namespace: string;
  /** The host end of its veth pair (on the bridge). */
  veth: string;
  bridge: string;
  /** The host's address on the bridge. */
  hostIp: string;
  /** The machine's address on eth0 in its namespace. */
  ip: string;
}

const GONE = /Cannot find device|No such file or directory|does not exist|Cannot open network namespace/;

const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(fn);
  const settled = run.catch(() => {});
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

/** Makes (or remakes) the machine's namespace and veth, and the lab's bridge if it is missing. */
export function attachMachine(net: MachineNet): Promise<void> {
  return serialized(net.bridge, async () => {
    await ensureBridge(net.bridge, net.hostIp);
    await removeMachineLinks(net);
    try {
      await run('ip', ['netns', 'add', net.namespace]);
      await run('ip', ['link', 'add', net.veth, 'type', 'veth', 'peer', 'name', NETNS_DEVICE, 'address', labMac(net.bridge, net.ip), 'netns', net.namespace]);
      await run('ip', ['link', 'set', net.veth, 'master', net.bridge, 'up']);
      await run('ip', ['-n', net.namespace, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', net.namespace, 'addr', 'add', `${net.ip}/${PREFIX_LENGTH}`, 'dev', NETNS_DEVICE]);
      await run('ip', ['-n', net.namespace, 'link', 'set', NETNS_DEVICE, 'up']);
    } catch (err) {
      await removeMachineLinks(net).catch(() => {});
      throw err;
    }
  });
}

/** Removes the machine's veth and namespace, and the bridge once no machine is left on it. */
export function detachMachine(net: MachineNet): Promise<void> {
  return serialized(net.bridge, async () => {
    await removeMachineLinks(net);
    await removeBridgeIfUnused(net.bridge);
  });
}

export async function namespaceExists(name: string): Promise<boolean> {
  return (await namespaces()).includes(name);
}

/** Every process in the namespace (none when it does not exist). */
export async function namespacePids(name: string): Promise<number[]> {
  const out = await runTolerating('ip', ['netns', 'pids', name], GONE);
  return out.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

export async function namespaces(): Promise<string[]> {
  const out = (await run('ip', ['-j', 'netns', 'list'])).trim();
  return out ? (JSON.parse(out) as { name: string }[]).map((n) => n.name) : [];
}

/** Names of the host's interfaces. */
export async function links(): Promise<string[]> {
  return (JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
}

/**
 * Removes everything of the lab with this plan id that is left on the host: processes in its
 * namespaces (SIGKILL), the namespaces, veths and the bridge. For a crashed lab and for tests.
 */
export function removeLabNetwork(id: string, bridge: string): Promise<void> {
  return serialized(bridge, async () => {
    for (const ns of (await namespaces()).filter((n) => belongsTo(id, n))) {
      for (const pid of await namespacePids(ns)) killQuietly(pid);
      await runTolerating('ip', ['netns', 'del', ns], GONE);
    }
    const mine = (await links()).filter((l) => belongsTo(id, l));
    // Veths first: the bridge goes last, as in a machine's removal.
    for (const l of mine.sort((a, b) => b.length - a.length)) await runTolerating('ip', ['link', 'del', l], GONE);
  });
}

async function ensureBridge(bridge: string, hostIp: string): Promise<void> {
  const subnet = `${hostIp}/${PREFIX_LENGTH}`;
  const clash = await findClash(subnet, bridge);
  if (clash) {
    throw new MachineError(
      `the lab network ${networkOf(subnet)} clashes with ${clash} on this host` +
        (/ dev swl-/.test(clash) ? ' (the network of another SWARMLAB_HOME)' : '') +
        ': remove that route or address, or use another SWARMLAB_HOME (the lab network is derived from its path)',
    );
  }
  try {
    await run('ip', ['link', 'add', 'name', bridge, 'address', labMac(bridge, hostIp), 'type', 'bridge']);
  } catch (err) {
    if (!(err instanceof NetCommandError && /File exists/.test(err.stderr))) throw err;
  }
  await run('ip', ['addr', 'replace', subnet, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
}

async function removeMachineLinks(net: MachineNet): Promise<void> {
  // Deleting one end of a veth pair deletes both, at once; a namespace's own devices would
  // otherwise go only when its last process has ended.
  await runTolerating('ip', ['link', 'del', net.veth], GONE);
  await runTolerating('ip', ['netns', 'del', net.namespace], GONE);
}

async function removeBridgeIfUnused(bridge: string): Promise<void> {
  const members = (await runTolerating('ip', ['-j', 'link', 'show', 'master', bridge], GONE)).trim();
  if (members && (JSON.parse(members) as unknown[]).length > 0) return;
  await runTolerating('ip', ['link', 'del', bridge], GONE);
}

interface Route {
  type?: string;
  dst: string;
  dev?: string;
  table?: string;
}

/** A route or local address of the host (any table) that overlaps `cidr` and is not the bridge's. */
export async function findClash(cidr: string, bridge: string): Promise<string | undefined> {
  const routes = JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as Route[];
  const ours = range(cidr)!;
  for (const r of routes) {
    if (r.dev === bridge || r.dst === 'default') continue;
    const theirs = range(r.dst);
    if (theirs && theirs.first <= ours.last && ours.first <= theirs.last) {
      return `route "${[r.type && r.type !== 'unicast' ? r.type : '', r.dst, r.dev ? `dev ${r.dev}` : '', r.table && r.table !== 'main' ? `table ${r.table}` : ''].filter(Boolean).join(' ')}"`;
    }
  }
  return undefined;
}

function networkOf(cidr: string): string {
  const r = range(cidr)!;
  return `${ipString(r.first)}/${cidr.split('/')[1]}`;
}

function range(cidr: string): { first: number; last: number } | undefined {
  const [ip, len = '32'] = cidr.split('/');
  const octets = (ip ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return undefined;
  const bits = Number(len);
  const value = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(value / size) * size;
  return { first, last: first + size - 1 };
}

function ipString(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}
