// Scaffolding of the netns tests: whether this host can run them (and why not), a SWARMLAB_HOME
// whose lab network clashes with nothing on the host, and a reaper that removes every process,
// namespace and interface of that home's lab, whatever state a failed test left them in.

import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../../../vm/netns/command.ts';
import { findClash, removeLabNetwork } from '../../../vm/netns/network.ts';
import { labNetPlan } from '../../../vm/netns/plan.ts';
import { netnsUnsupported } from '../../../vm/netns/support.ts';
import type { Machine } from '../../../vm/machines.ts';
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

// Test files run side by side: each claims its subnet with a file here, so two of them never pick
// homes with the same subnet before either has made its bridge.
const CLAIMS = join(tmpdir(), 'swarmlab-netns-test-subnets');
const claimOf = (home: string) => join(CLAIMS, labNetPlan(home).prefix);

/** A temporary home whose lab subnet is free on this host (the subnet is derived from the path). */
export async function netnsHome(): Promise<string> {
  await mkdir(CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    const home = await tempHome();
    const plan = labNetPlan(home);
    if (!(await findClash(plan.subnet, plan.bridge)) && (await claim(claimOf(home)))) return home;
    await rm(home, { recursive: true, force: true });
  }
  throw new Error('no temporary SWARMLAB_HOME with a free lab subnet in 20 tries');
}

/** Takes the claim file, unless a live test process holds it. */
async function claim(file: string): Promise<boolean> {
  try {
    await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
  if (owner > 0 && owner !== process.pid && alive(owner)) return false;
  await writeFile(file, `${process.pid}\n`); // left by a run that crashed
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the home's machines, removes its namespaces, veths and bridge, then the home itself. */
export async function reapNetns(home: string): Promise<void> {
  const plan = labNetPlan(home);
  try {
    await reap(home);
  } finally {
    await removeLabNetwork(plan.id, plan.bridge);
    await rm(claimOf(home), { force: true });
  }
}

/** The real docker CLI against a machine's Engine API; its output, trimmed. */
export function docker(x: Machine, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DOCKER_HOST: x.driver.url(), DOCKER_CLI_HINTS: 'false' };
    execFile('/usr/local/bin/docker', args, { env, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`docker ${args.join(' ')} on ${x.config.name}: ${stderr}`)) : resolve(stdout.trim())));
  });
}
