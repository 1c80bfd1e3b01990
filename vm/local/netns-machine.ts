// What the local driver does differently for a machine with netns isolation: its process runs in
// the machine's network namespace (`ip netns exec NS node ...`; ip execs the command in place, so
// the pid the driver records is the machine's own process), the namespace is made afresh at each
// start, and a kill ends every process left in the namespace too.

import type { MachineConfig } from '../config.ts';
import { MachineError } from '../errors.ts';
import { toolPath } from '../netns/command.ts';
import { attachMachine, detachMachine, namespaceExists, namespacePids, type MachineNet } from '../netns/network.ts';
import { labNetPlan, machineIp, machineNetName } from '../netns/plan.ts';
import { assertNetnsSupported, netnsUnsupported } from '../netns/support.ts';
import { waitGone } from './machine-process.ts';

/** The machine's network, from its config (which the store wrote with the namespace's names). */
export function machineNet(config: MachineConfig): MachineNet {
  if (!config.netns) {
    throw new MachineError(`machine "${config.name}" has --isolation netns but its config.json has no "netns" section: swarmlab rm -f ${config.name} and create it again`);
  }
  return { ...config.netns, ip: config.ip };
}

/** Checks the host, then (re)makes the machine's namespace, ending whatever a crash left in it. */
export async function prepareNetns(config: MachineConfig): Promise<MachineNet> {
  assertNetnsSupported();
  const net = machineNet(config);
  await killNamespace(net.namespace);
  await attachMachine(net);
  return net;
}

/** The machine's command line, run inside its namespace. */
export function inNamespace(namespace: string, cmd: { file: string; args: string[] }): { file: string; args: string[] } {
  return { file: toolPath('ip'), args: ['netns', 'exec', namespace, cmd.file, ...cmd.args] };
}

/** SIGKILL for every process in the namespace; resolves once they are gone. */
export async function killNamespace(namespace: string, waitMs = 10_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let pids = await namespacePids(namespace); pids.length > 0; pids = await namespacePids(namespace)) {
    if (Date.now() > deadline) throw new MachineError(`processes ${pids.join(', ')} in network namespace ${namespace} survived SIGKILL`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    await Promise.all(pids.map((pid) => waitGone(pid, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * For a machine whose config cannot be read: the network of the slot it held, if there is one (the
 * names follow from the home and the slot). Nothing to do where netns isolation cannot be used.
 */
export async function teardownSlotNetns(home: string, slot: number): Promise<void> {
  if (netnsUnsupported()) return;
  const plan = labNetPlan(home);
  const name = machineNetName(plan, slot);
  if (!(await namespaceExists(name))) return;
  await killNamespace(name);
  await detachMachine({ namespace: name, veth: name, bridge: plan.bridge, hostIp: plan.hostIp, ip: machineIp(plan, slot) });
}

/** Ends the namespace's processes and removes its network (and the lab's bridge after the last machine). */
export async function teardownNetns(config: MachineConfig): Promise<void> {
  const net = machineNet(config);
  await killNamespace(net.namespace);
  await detachMachine(net);
}
