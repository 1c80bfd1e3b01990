// The lab network of netns isolation, made for real with ip(8): the bridge with the host on .1, a
// namespace per machine reachable from the host and from its peers (and from nothing else: no
// default route), a make-again that cleans up what a crash left, a teardown that leaves nothing,
// and a clear refusal when the lab subnet clashes with the host's routes.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../vm/netns/command.ts';
import { attachMachine, detachMachine, links, namespaces, namespacePids, removeLabNetwork, type MachineNet } from '../../../vm/netns/network.ts';
import { labNetPlan, machineIp, machineNetName, type LabNetPlan } from '../../../vm/netns/plan.ts';
import { waitFor } from '../helpers.ts';
import { netnsHome, netnsSkipReason, reapNetns } from './helpers.ts';

let home: string;
let plan: LabNetPlan;
const children: ChildProcess[] = [];

function machine(slot: number): MachineNet {
  const name = machineNetName(plan, slot);
  return { namespace: name, veth: name, bridge: plan.bridge, hostIp: plan.hostIp, ip: machineIp(plan, slot) };
}

/** A TCP server in the namespace that answers with its name. */
async function serveIn(m: MachineNet, port: number): Promise<void> {
  const code = `require('net').createServer((s) => s.end(${JSON.stringify(m.namespace)})).listen(${port}, ${JSON.stringify(m.ip)}, () => console.log('up'))`;
  const child = spawn('ip', ['netns', 'exec', m.namespace, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`server in ${m.namespace} exited with ${c}`)));
  });
}

async function macsOf(m: MachineNet): Promise<{ eth0: string; bridge: string }> {
  const mac = async (args: string[]) => (JSON.parse(await run('ip', ['-j', ...args])) as { address: string }[])[0]!.address;
  return { eth0: await mac(['-n', m.namespace, 'link', 'show', 'eth0']), bridge: await mac(['link', 'show', m.bridge]) };
}

/** What a TCP server at ip:port answers, from the host. */
function fetchFromHost(ip: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ip, port, timeout: timeoutMs });
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('timeout', () => s.destroy(new Error(`no answer from ${ip}:${port} within ${timeoutMs} ms`)));
    s.on('error', reject);
  });
}

/** The same, from inside another namespace. */
async function fetchFromNamespace(from: MachineNet, ip: string, port: number): Promise<string> {
  const code = `const s = require('net').connect(${port}, ${JSON.stringify(ip)}); s.pipe(process.stdout); s.on('error', (e) => { console.error(e.message); process.exit(1); })`;
  return run('ip', ['netns', 'exec', from.namespace, process.execPath, '-e', code]);
}

describe.skipIf(netnsSkipReason !== undefined)(`lab network (netns)${netnsSkipReason ? ` — skipped: ${netnsSkipReason}` : ''}`, () => {
  beforeAll(async () => {
    home = await netnsHome();
    plan = labNetPlan(home);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await reapNetns(home);
  });

  it('names: one bridge and /24 per home, names within IFNAMSIZ', () => {
    expect(plan.bridge).toMatch(/^swl-[0-9a-f]{6}$/);
    expect(plan.subnet).toMatch(/^10\.213\.\d{1,3}\.0\/24$/);
    expect(plan.hostIp).toBe(plan.subnet.replace('.0/24', '.1'));
    expect(machineNetName(plan, 254).length).toBeLessThanOrEqual(15);
    expect(labNetPlan(home)).toEqual(plan);
    expect(labNetPlan(`${home}x`).bridge).not.toBe(plan.bridge);
  });

  it('attach: bridge with the host on .1; namespaces with lo and eth0 up, reachable from the host and each other, no default route', async () => {
    const [a, b] = [machine(10), machine(11)];
    await Promise.all([attachMachine(a), attachMachine(b)]);
    const bridge = JSON.parse(await run('ip', ['-j', 'addr', 'show', 'dev', plan.bridge])) as { operstate: string; addr_info: { local: string; prefixlen: number }[] }[];
    expect(bridge[0]!.addr_info).toContainEqual(expect.objectContaining({ local: plan.hostIp, prefixlen: 24 }));
    for (const m of [a, b]) {
      const addrs = JSON.parse(await run('ip', ['-n', m.namespace, '-j', '-4', 'addr', 'show'])) as { ifname: string; flags: string[]; addr_info: { local: string }[] }[];
      expect(addrs.map((i) => [i.ifname, i.flags.includes('UP'), i.addr_info.map((x) => x.local)])).toEqual([
        ['lo', true, ['127.0.0.1']],
        ['eth0', true, [m.ip]],
      ]);
      expect(await run('ip', ['-n', m.namespace, 'route', 'show', 'default'])).toBe('');
    }
    await serveIn(a, 7000);
    // The bridge's port may take a moment to forward.
    await waitFor(async () => (await fetchFromHost(a.ip, 7000, 500).catch(() => '')) === a.namespace, 10_000, 'host reaches the namespace');
    expect(await fetchFromNamespace(b, a.ip, 7000)).toBe(a.namespace);
  });

  it('attach again (as after a crash) remakes the namespace with the same MACs; twice is the same as once', async () => {
    const a = machine(10);
    const macs = await macsOf(a);
    const stale = await namespacePids(a.namespace);
    expect(stale.length).toBe(1); // the server of the test before
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await waitFor(async () => (await namespacePids(a.namespace)).length === 0, 5_000, 'server gone');
    await attachMachine(a);
    await attachMachine(a);
    expect((await namespaces()).filter((n) => n === a.namespace)).toHaveLength(1);
    expect((await links()).filter((l) => l === a.veth)).toHaveLength(1);
    // Fixed MACs: the host's and the peers' ARP entries for the machine stay right.
    expect(await macsOf(a)).toEqual(macs);
    await serveIn(a, 7001);
    await waitFor(async () => (await fetchFromHost(a.ip, 7001, 500).catch(() => '')) === a.namespace, 10_000, 'host reaches the remade namespace');
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('detach removes the namespace and its veth; the bridge goes with the last machine', async () => {
    const [a, b] = [machine(10), machine(11)];
    await waitFor(async () => (await namespacePids(a.namespace)).length === 0, 5_000, 'server gone');
    await detachMachine(a);
    expect(await namespaces()).not.toContain(a.namespace);
    expect(await links()).not.toContain(a.veth);
    expect(await links()).toContain(plan.bridge);
    await detachMachine(b);
    await detachMachine(b); // again: nothing left to do
    const left = [...(await namespaces()), ...(await links())].filter((n) => n.startsWith(plan.bridge));
    expect(left).toEqual([]);
  });

  it('a lab subnet that clashes with an address or route of the host is refused, naming it', async () => {
    // An interface of this lab's own (so the reaper removes it) with an address in the subnet.
    const other = `${plan.bridge}-x`;
    await run('ip', ['link', 'add', other, 'type', 'veth', 'peer', 'name', `${plan.bridge}-y`]);
    await run('ip', ['addr', 'add', `${plan.prefix}.200/32`, 'dev', other]);
    await run('ip', ['link', 'set', other, 'up']);
    const err = await attachMachine(machine(12)).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `the lab network ${plan.subnet} clashes with route "local ${plan.prefix}.200 dev ${other} table local" on this host (the network of another SWARMLAB_HOME): ` +
        'remove that route or address, or use another SWARMLAB_HOME (the lab network is derived from its path)',
    );
    expect(await namespaces()).not.toContain(machineNetName(plan, 12));
    await removeLabNetwork(plan.id, plan.bridge);
    expect((await links()).filter((l) => l.startsWith(plan.bridge))).toEqual([]);
  });

  it('removeLabNetwork ends processes in the namespaces and removes everything of the lab', async () => {
    const [a, b] = [machine(20), machine(21)];
    await attachMachine(a);
    await attachMachine(b);
    await serveIn(a, 7002);
    const pids = await namespacePids(a.namespace);
    expect(pids.length).toBe(1);
    await removeLabNetwork(plan.id, plan.bridge);
    expect([...(await namespaces()), ...(await links())].filter((n) => n.startsWith(plan.bridge))).toEqual([]);
    await waitFor(() => children.every((c) => c.exitCode !== null || c.signalCode !== null), 5_000, 'server killed');
  });
});
