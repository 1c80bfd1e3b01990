// A process machine's faults file between the two sides, in one process: TransportFaults (what the
// CLI's driver does) writes it and waits for the acknowledgement; FaultsWatcher (what the machine's
// process does) applies it to the link faults and acknowledges.

import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.ts';
import { seededRandom } from '../../../core/random.ts';
import { LinkFaults } from '../../../core/rpc/link-faults.ts';
import type { MachineState } from '../../../vm/driver.ts';
import { faultsPaths, readFaultsFile } from '../../../vm/local/faults-file.ts';
import { FaultsWatcher } from '../../../vm/local/faults-watch.ts';
import { TransportFaults } from '../../../vm/local/transport-faults.ts';
import { splitMachineFlags, machineArgs } from '../../../vm/local/ssh-flags.ts';
import { reap, tempHome, waitFor } from '../helpers.ts';

let dir: string;
let state: MachineState;
let link: LinkFaults;
let watcher: FaultsWatcher;
let logged: string[];
const machine = () => new TransportFaults({ name: 'm1', machineDir: dir, log: `${dir}/swarmd.log`, status: async () => state, applyTimeoutMs: 1_000 });

beforeEach(async () => {
  dir = await tempHome();
  state = 'Running';
  link = new LinkFaults({ clock: systemClock, random: seededRandom(1) });
  watcher = new FaultsWatcher(faultsPaths(dir), link);
  logged = [];
  await watcher.load();
  watcher.start((level, line) => logged.push(`${level} ${line}`));
});
afterEach(async () => {
  watcher.stop();
  await reap(dir);
});

describe('process machine faults', () => {
  it('partitions add up, a delay keeps them, heal ends all; each is in force when the call returns', async () => {
    const m = machine();
    expect(await m.active()).toBeUndefined();
    await m.partition(['127.0.0.11']);
    expect(link.settings.partition).toEqual(['127.0.0.11']);
    await m.partition(['127.0.0.12', '127.0.0.11']);
    expect(link.settings.partition).toEqual(['127.0.0.11', '127.0.0.12']);
    await m.delay(200, 5);
    expect(link.settings).toEqual({ partition: ['127.0.0.11', '127.0.0.12'], delayMs: 200, lossPercent: 5 });
    expect(await m.active()).toEqual({ partition: ['127.0.0.11', '127.0.0.12'], delayMs: 200, lossPercent: 5, applied: true });
    await m.partition('all');
    expect(link.settings.partition).toBe('all');
    await m.heal();
    expect(link.settings).toEqual({ partition: [], delayMs: 0, lossPercent: 0 });
    expect(await m.active()).toBeUndefined();
    expect(logged).toContain('info faults: cut off from 127.0.0.11, 127.0.0.12, delay 200 ms, loss 5%');
    expect(logged.at(-1)).toBe('info faults: none (healed)');
  });

  it('a paused machine is not waited for: the fault shows as not applied until it runs again', async () => {
    watcher.stop();
    state = 'Paused';
    const m = machine();
    await m.partition('all');
    expect(await m.active()).toEqual({ partition: 'all', delayMs: 0, lossPercent: 0, applied: false });
    await watcher.load(); // what the machine does when it runs again
    expect(link.settings.partition).toBe('all');
    expect((await m.active())?.applied).toBe(true);
  });

  it('a running machine that does not acknowledge is reported', async () => {
    watcher.stop();
    await expect(machine().delay(100)).rejects.toThrow(`machine "m1" did not apply the fault within 1 s (was it started by an older swarmlab? swarmlab restart m1; its log: ${dir}/swarmd.log)`);
  });

  it('a bad file is logged with what is wrong and ignored; the faults in force stay', async () => {
    await machine().partition(['127.0.0.11']);
    const { file } = faultsPaths(dir);
    await writeFile(file, JSON.stringify({ generation: 9, partition: ['not-an-ip'], delayMs: 0, lossPercent: 0 }));
    await waitFor(() => logged.some((l) => l.startsWith('warn faults: ignoring')), 5_000, 'the warning');
    expect(logged.find((l) => l.startsWith('warn'))).toBe(`warn faults: ignoring ${file}: partition: Invalid input (the faults in force stay; swarmlab fault heal rewrites it)`);
    await writeFile(file, '{ nope');
    await waitFor(() => logged.some((l) => l.includes('not JSON')), 5_000, 'the second warning');
    expect(link.settings.partition).toEqual(['127.0.0.11']);
    // The CLI replaces a damaged file.
    await machine().heal();
    expect(link.settings.partition).toEqual([]);
    expect((await readFaultsFile(file)).state).toBe('ok');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ generation: 2, delayMs: 0, lossPercent: 0 });
  });

  it('off Linux, where machines share one address, network faults are refused', async () => {
    const mac = new TransportFaults({ name: 'm1', machineDir: dir, log: `${dir}/swarmd.log`, status: async () => state, platform: 'darwin' });
    await expect(mac.partition('all')).rejects.toThrow('machine "m1": network faults need machines with addresses of their own, which local machines have on Linux only (swarmlab fault pause still works)');
    expect(await mac.active()).toBeUndefined();
  });

  it('the machine process takes the file as --faults', () => {
    const { machine: flags, swarmd } = splitMachineFlags([...machineArgs({ faults: '/m/faults.json' }), '--inactive']);
    expect(flags.faults).toBe('/m/faults.json');
    expect(swarmd).toEqual(['--inactive']);
  });
});
