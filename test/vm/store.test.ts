import net from 'node:net';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addressForSlot, allocateAddress } from '../../vm/address.ts';
import { MachineError } from '../../vm/errors.ts';
import { labNetPlan } from '../../vm/netns/plan.ts';
import { MachineStore, defaultHome, validateName } from '../../vm/store.ts';
import { tempHome, reap } from './helpers.ts';

let home: string;
let store: MachineStore;
const free = async () => true;

beforeEach(async () => {
  home = await tempHome();
  store = new MachineStore({ home, probe: free });
});
afterEach(() => reap(home));

describe('machine names', () => {
  it("accepts docker-machine's names and refuses the rest", () => {
    for (const ok of ['m1', 'manager1', 'Worker-2', 'node.lab', '0a']) expect(() => validateName(ok)).not.toThrow();
    for (const bad of ['', '-x', '.x', 'a_b', 'a b', 'a/b', '..', 'é']) {
      expect(() => validateName(bad)).toThrow(`invalid machine name "${bad}"`);
    }
  });

  it('SWARMLAB_HOME overrides ~/.swarmlab', () => {
    expect(defaultHome({ SWARMLAB_HOME: '/tmp/lab' })).toBe('/tmp/lab');
    expect(defaultHome({})).toMatch(/\.swarmlab$/);
  });
});

describe('the store', () => {
  it('creates machines with config.json and a state dir, lists and removes them', async () => {
    const c = await store.create({ name: 'm1', driver: 'local', isolation: 'process' });
    expect(c).toMatchObject({ version: 1, name: 'm1', driver: 'local', isolation: 'process' });
    expect(Date.parse(c.created)).not.toBeNaN();
    const p = store.paths('m1');
    expect(JSON.parse(await readFile(p.config, 'utf8'))).toEqual(c);
    expect(await store.exists('m1')).toBe(true);
    await store.create({ name: 'a0', driver: 'local', isolation: 'process' });
    expect(await store.names()).toEqual(['a0', 'm1']);
    expect(await store.load('m1')).toEqual(c);
    await store.remove('m1');
    expect(await store.names()).toEqual(['a0']);
  });

  it('says clearly when a machine exists already or does not exist', async () => {
    await store.create({ name: 'm1', driver: 'local', isolation: 'process' });
    await expect(store.create({ name: 'm1', driver: 'local', isolation: 'process' })).rejects.toThrow('machine "m1" already exists');
    await expect(store.load('nope')).rejects.toThrow('machine "nope" does not exist (swarmlab ls lists them)');
    await expect(store.remove('nope')).rejects.toBeInstanceOf(MachineError);
    await expect(store.create({ name: 'bad_name', driver: 'local', isolation: 'process' })).rejects.toThrow('invalid machine name "bad_name"');
  });

  it('names the file of a corrupt config, and lists the machine with the error', async () => {
    await store.create({ name: 'm1', driver: 'local', isolation: 'process' });
    const file = store.paths('m1').config;
    await writeFile(file, '{"version": 1, "name": "m1"');
    await expect(store.load('m1')).rejects.toThrow(`${file} is corrupt:`);
    const c = { ...JSON.parse(JSON.stringify(await store.create({ name: 'm2', driver: 'local', isolation: 'process' }))), ip: 'not an ip' };
    await writeFile(store.paths('m2').config, JSON.stringify(c));
    await expect(store.load('m2')).rejects.toThrow(`${store.paths('m2').config} is corrupt: ip:`);
    await mkdir(store.paths('m3').dir);
    await expect(store.load('m3')).rejects.toThrow(`cannot read ${store.paths('m3').config}`);
    const listed = await store.list();
    expect(listed.map((m) => [m.name, !!m.config, m.error?.includes('corrupt') ?? false])).toEqual([
      ['m1', false, true],
      ['m2', false, true],
      ['m3', false, false],
    ]);
  });

  it('gives every machine its own address, reusing a removed one', async () => {
    const made = await Promise.all(['a', 'b', 'c'].map((name) => store.create({ name, driver: 'local', isolation: 'process' })));
    const slots = made.map((c) => c.slot).sort();
    expect(new Set(slots).size).toBe(3);
    expect(slots).toEqual([10, 11, 12]);
    await store.remove('b');
    const d = await store.create({ name: 'd', driver: 'local', isolation: 'process' });
    expect(d.slot).toBe(made.find((c) => c.name === 'b')!.slot);
  });

  it('two stores on one home (two swarmlab processes) never hand out the same address', async () => {
    const other = new MachineStore({ home, probe: free });
    const made = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? store : other).create({ name: `n${i}`, driver: 'local', isolation: 'process' })),
    );
    expect(new Set(made.map((c) => c.slot)).size).toBe(8);
    await store.remove('n0');
    expect((await other.create({ name: 'again', driver: 'local', isolation: 'process' })).slot).toBe(made[0]!.slot);
  });

  it('takes back the address of a machine deleted by hand', async () => {
    const a = await store.create({ name: 'a', driver: 'local', isolation: 'process' });
    await rm(store.paths('a').dir, { recursive: true });
    expect((await store.create({ name: 'b', driver: 'local', isolation: 'process' })).slot).toBe(a.slot);
  });

  it('skips addresses whose ports another program holds', async () => {
    const busy = new MachineStore({ home, probe: async (ip) => ip !== addressForSlot(10, 'linux').ip, platform: 'linux' });
    expect((await busy.create({ name: 'm', driver: 'local', isolation: 'process' })).ip).toBe('127.0.0.11');
    expect(await allocateAddress(new Set(), { first: 250, probe: async () => false })).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('skips an address whose swarm port is really taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(2377, '127.0.0.200', r));
    try {
      expect(await allocateAddress(new Set(), { first: 200 })).toMatchObject({ slot: 201, ip: '127.0.0.201' });
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('own loopback addresses on Linux, own ports on 127.0.0.1 elsewhere', () => {
    expect(addressForSlot(12, 'linux')).toEqual({ slot: 12, ip: '127.0.0.12', swarmPort: 2377, sshPort: 2222 });
    const mac = [addressForSlot(10, 'darwin'), addressForSlot(11, 'darwin')];
    expect(mac.map((a) => a.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(new Set(mac.flatMap((a) => [a.swarmPort, a.sshPort])).size).toBe(4);
  });

  it("a netns machine: its slot's address in the home's lab subnet, Docker's ports, its namespace's names", async () => {
    // Its ports are its namespace's own: nothing on the host to probe.
    const netns = new MachineStore({ home, probe: async () => false });
    const plan = labNetPlan(home);
    const c = await netns.create({ name: 'n1', driver: 'local', isolation: 'netns' });
    expect(c).toMatchObject({ isolation: 'netns', slot: 10, ip: `${plan.prefix}.10`, swarmPort: 2377, sshPort: 22 });
    expect(c.netns).toEqual({ namespace: `${plan.bridge}-10`, veth: `${plan.bridge}-10`, bridge: plan.bridge, hostIp: plan.hostIp });
    expect(await netns.load('n1')).toEqual(c);
    expect(await netns.slotsOf('n1')).toEqual([10]);
    // Machines of both kinds share the slots of one home.
    expect((await store.create({ name: 'p1', driver: 'local', isolation: 'process' })).slot).toBe(11);
  });

  it('refuses a name whose socket path would be too long', async () => {
    await expect(store.create({ name: 'x'.repeat(120), driver: 'local', isolation: 'process' })).rejects.toThrow('too long');
  });
});
