// Scaffolding of the netns tests: whether this host can run them (and why not), a SWARMLAB_HOME
// whose lab network clashes with nothing on the host, and a reaper that removes every process,
// namespace and interface of that home's lab, whatever state a failed test left them in.

import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { findTool } from '../../../vm/netns/command.ts';
import { findClash, removeLabNetwork } from '../../../vm/netns/network.ts';
import { labNetPlan } from '../../../vm/netns/plan.ts';
import { netnsUnsupported } from '../../../vm/netns/support.ts';
import { reap, tempHome } from '../helpers.ts';

/** Why the netns tests cannot run on this host, or undefined when they can. */
export const netnsSkipReason: string | undefined = netnsUnsupported() ?? (await namespacesWork());

async function namespacesWork(): Promise<string | undefined> {
  const probe = `swl-probe-${process.pid}`;
  const ip = findTool('ip')!;
  const add = await exec(ip, ['netns', 'add', probe]);
  if (add) return `ip netns does not work here: ${add}`;
  await exec(ip, ['netns', 'del', probe]);
  return undefined;
}

function exec(file: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => execFile(file, args, (err, _out, stderr) => resolve(err ? stderr.trim() || err.message : undefined)));
}

/** A temporary home whose lab subnet is free on this host (the subnet is derived from the path). */
export async function netnsHome(): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const home = await tempHome();
    const plan = labNetPlan(home);
    if (!(await findClash(plan.subnet, plan.bridge))) return home;
    await rm(home, { recursive: true, force: true });
  }
  throw new Error('no temporary SWARMLAB_HOME with a free lab subnet in 20 tries');
}

/** Kills the home's machines, removes its namespaces, veths and bridge, then the home itself. */
export async function reapNetns(home: string): Promise<void> {
  const plan = labNetPlan(home);
  try {
    await reap(home);
  } finally {
    await removeLabNetwork(plan.id, plan.bridge);
  }
}
