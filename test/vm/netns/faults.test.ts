// Kernel faults of a netns machine, on a real namespace without a machine in it: what nftables and
// tc hold after each change, partitions adding up, a heal that leaves nothing, faults kept for the
// next start, and refusals that say what was wrong.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsFaults } from '../../../vm/local/netns-faults.ts';
import { run } from '../../../vm/netns/command.ts';
import { attachMachine, type MachineNet } from '../../../vm/netns/network.ts';
import { labNetPlan, machineIp, machineNetName } from '../../../vm/netns/plan.ts';
import { netnsHome, netnsSkipReason, reapNetns } from './helpers.ts';

let home: string;
let netOf: MachineNet;
let faults: NetnsFaults;

const ruleset = () => run('ip', ['netns', 'exec', netOf.namespace, 'nft', 'list', 'ruleset']);
const qdisc = () => run('tc', ['-n', netOf.namespace, 'qdisc', 'show', 'dev', 'eth0']);

describe.skipIf(netnsSkipReason !== undefined)(`netns faults${netnsSkipReason ? ` — skipped: ${netnsSkipReason}` : ''}`, () => {
  beforeAll(async () => {
    home = await netnsHome();
    const plan = labNetPlan(home);
    const name = machineNetName(plan, 10);
    netOf = { namespace: name, veth: name, bridge: plan.bridge, hostIp: plan.hostIp, ip: machineIp(plan, 10) };
    await attachMachine(netOf);
    await mkdir(join(home, 'm'), { recursive: true });
    faults = new NetnsFaults({ name: 'm', namespace: netOf.namespace, hostIp: netOf.hostIp, file: join(home, 'm', 'netns-faults.json') });
  });
  afterAll(() => reapNetns(home));

  it('partitions add up, both ways; from all spares the host; heal removes every table', async () => {
    await faults.partition(['10.1.0.1']);
    await faults.partition(['10.1.0.2', '10.1.0.1']);
    let rules = await ruleset();
    expect(rules).toContain('ip saddr { 10.1.0.1, 10.1.0.2 } drop');
    expect(rules).toContain('ip daddr { 10.1.0.1, 10.1.0.2 } drop');
    expect(await faults.active()).toEqual({ partition: ['10.1.0.1', '10.1.0.2'], delayMs: 0, lossPercent: 0, applied: true });
    await faults.partition('all');
    rules = await ruleset();
    expect(rules).toContain(`iifname "eth0" ip saddr != ${netOf.hostIp} drop`);
    expect(rules).toContain(`oifname "eth0" ip daddr != ${netOf.hostIp} drop`);
    expect(rules).not.toContain('10.1.0.1');
    await faults.heal();
    expect(await ruleset()).toBe('');
    expect(await faults.active()).toBeUndefined();
  });

  it('loss is an nftables rule on what the machine sends; delay and partition stay apart', async () => {
    await faults.partition(['10.1.0.3']);
    await faults.delay(0, 12.5);
    const rules = await ruleset();
    expect(rules).toContain('oifname "eth0" numgen random mod 10000 < 1250 drop');
    expect(rules).toContain('ip daddr 10.1.0.3 drop');
    await faults.delay(0, 0);
    expect(await ruleset()).not.toContain('numgen');
    expect(await faults.active()).toMatchObject({ partition: ['10.1.0.3'], lossPercent: 0 });
    await faults.heal();
  });

  it('a delay is netem on eth0, or, on a kernel without netem and without a fallback, a clear refusal', async () => {
    const r = await faults.delay(250).then(
      () => undefined,
      (e: Error) => e,
    );
    if (r === undefined) {
      expect(await qdisc()).toMatch(/netem .*delay 250ms/);
      await faults.heal();
      expect(await qdisc()).not.toContain('netem');
    } else {
      expect(r.message).toBe('cannot delay machine "m": this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM; try modprobe sch_netem); partitions and loss work without it');
    }
    await faults.heal();
  });

  it('faults are kept for the namespace made again at the next start', async () => {
    await faults.partition(['10.1.0.4']);
    await attachMachine(netOf); // a start: a new namespace, with a clean network
    expect(await ruleset()).toBe('');
    await faults.reapply();
    expect(await ruleset()).toContain('ip saddr 10.1.0.4 drop');
    await faults.heal();
  });

  it('refuses what it cannot mean', async () => {
    await expect(faults.partition(['m2'])).rejects.toThrow('cannot partition machine "m" from "m2": a netns machine\'s peers are given by IPv4 address (swarmlab ip NAME)');
    await expect(faults.delay(-1)).rejects.toThrow('a delay is a number of milliseconds from 0 to 60000, not -1');
    await expect(faults.delay(10, 101)).rejects.toThrow('a loss is a percentage from 0 to 100, not 101');
    expect(await faults.active()).toBeUndefined();
  });
});
