// The allocator's networking, over a real store on virtual time, with the swarm's ingress network
// and user overlay networks made as the control API makes them: published ports (given or from
// 30000–32767, kept across updates), a virtual IP per network (ingress first when ports are
// published through the mesh, none for dnsrr), task addresses in their networks' subnets, then
// `pending`; services with nothing to allocate left alone; finished tasks' addresses free again.
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceObject, ServiceSpec, TaskObject } from '../../../core/api/objects.ts';
import { Allocator } from '../../../core/manager/allocator.ts';
import { addIngressIfMissing, createNetwork } from '../../../core/manager/control/networks.ts';
import { contains, ipToNumber, parseCidr, stripPrefix } from '../../../core/network/cidr.ts';
import { ManagerHarness } from './harness.ts';

let h: ManagerHarness;
afterEach(() => h?.stop());

const INGRESS_ID = 'ingressnet';

/** A harness with the allocator, the ingress network and the given user overlays (name → subnet, or a free /24). */
async function setup(overlays: Record<string, string | undefined> = { appnet: undefined }, withIngress = true): Promise<{ nets: Record<string, string> }> {
  h = new ManagerHarness();
  h.autoPlace = false;
  h.autoRun = false;
  if (withIngress) await h.store.update((tx) => addIngressIfMissing(tx, INGRESS_ID));
  const nets: Record<string, string> = { ingress: INGRESS_ID };
  for (const [name, subnet] of Object.entries(overlays)) {
    const n = await createNetwork(
      { store: h.store, random: h.random },
      { Name: name, DriverConfiguration: { Name: 'overlay' }, ...(subnet ? { IPAMOptions: { Configs: [{ Subnet: subnet }] } } : {}) },
    );
    nets[name] = n.ID;
  }
  h.use(new Allocator(h.ctx));
  return { nets };
}

const service = (id: string): ServiceObject => h.store.view((tx) => tx.get('services', id))!;
const task = (id: string): TaskObject => h.store.view((tx) => tx.get('tasks', id))!;
const subnetOf = (networkId: string) => h.store.view((tx) => tx.get('networks', networkId))!.IPAM!.Configs[0]!.Subnet;
const inSubnet = (addr: string, networkId: string) => contains(parseCidr(subnetOf(networkId))!, ipToNumber(stripPrefix(addr))!);

let taskSeq = 0;
/** A task as the orchestrator creates it: `new`, with its service's networks. */
async function addTask(serviceId: string, state: TaskObject['Status']['State'] = 'new'): Promise<string> {
  const id = `task${++taskSeq}`;
  const s = service(serviceId);
  await h.store.update((tx) =>
    tx.create('tasks', {
      ID: id,
      ServiceID: serviceId,
      Slot: taskSeq,
      Spec: s.Spec.TaskTemplate,
      Status: { State: state, Message: 'created', Timestamp: new Date(h.clock.now()).toISOString() },
      DesiredState: 'running',
    }),
  );
  return id;
}

async function finish(taskId: string, state: 'shutdown' | 'complete' | 'failed' = 'shutdown'): Promise<void> {
  await h.store.update((tx) => {
    const t = tx.get('tasks', taskId)!;
    tx.update('tasks', { ...t, DesiredState: 'shutdown', Status: { ...t.Status, State: state } });
  });
}

const settled = () => h.until(() => false, 1000);

function withNetworks(spec: Partial<ServiceSpec>, targets: string[]): Partial<ServiceSpec> {
  return { ...spec, TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, Networks: targets.map((Target) => ({ Target })) } };
}

describe('allocator: service endpoints', () => {
  it('--publish 8080:80 gives Endpoint.Ports with PublishedPort 8080 and a VIP on ingress', async () => {
    await setup();
    const svc = await h.createService({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
    expect(await h.until(() => !!service(svc).Endpoint)).toBe(true);
    const e = service(svc).Endpoint!;
    expect(e.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }]);
    expect(e.VirtualIPs).toEqual([{ NetworkID: INGRESS_ID, Addr: '10.0.0.2/24' }]);
    expect(e.Spec).toEqual({ Ports: [{ TargetPort: 80, PublishedPort: 8080 }] });
  });

  it('a port left at 0 gets one from 30000–32767, kept across an unrelated spec update and an added port', async () => {
    await setup();
    const a = await h.createService({ EndpointSpec: { Ports: [{ TargetPort: 80 }] } });
    const b = await h.createService({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 0 }] } });
    expect(await h.until(() => !!service(a).Endpoint && !!service(b).Endpoint)).toBe(true);
    const pa = service(a).Endpoint!.Ports![0]!.PublishedPort!;
    const pb = service(b).Endpoint!.Ports![0]!.PublishedPort!;
    for (const p of [pa, pb]) {
      expect(p).toBeGreaterThanOrEqual(30000);
      expect(p).toBeLessThanOrEqual(32767);
    }
    expect(pa).not.toBe(pb);
    const vip = service(a).Endpoint!.VirtualIPs;

    // An update that does not touch ports or networks: the endpoint stays as it is.
    const before = service(a).Version.Index;
    await h.updateService(a, (s) => ({ ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { Image: 'swarmlab/whoami:2' } } }));
    await settled();
    expect(service(a).Endpoint!.Ports![0]!.PublishedPort).toBe(pa);
    expect(service(a).Endpoint!.VirtualIPs).toEqual(vip);
    expect(service(a).Version.Index).toBe(before + 1); // the update itself, no rewrite

    // A port added: the first keeps its number, the new one gets another.
    await h.updateService(a, (s) => ({ ...s, EndpointSpec: { Ports: [{ TargetPort: 80 }, { TargetPort: 443 }] } }));
    expect(await h.until(() => service(a).Endpoint!.Ports!.length === 2)).toBe(true);
    const [p80, p443] = service(a).Endpoint!.Ports!;
    expect(p80!.PublishedPort).toBe(pa);
    expect([pa, pb]).not.toContain(p443!.PublishedPort);
    expect(p443!.PublishedPort).toBeGreaterThanOrEqual(30000);
    expect(service(a).Endpoint!.VirtualIPs).toEqual(vip);
  });

  it('a VIP per network, ingress first when ports are published; host-mode ports need no ingress VIP; dnsrr gets none', async () => {
    const { nets } = await setup({ front: '10.0.5.0/24', back: '10.0.6.0/24' });
    const both = await h.createService(withNetworks({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } }, [nets.front!, nets.back!]));
    const internal = await h.createService(withNetworks({}, [nets.back!]));
    const host = await h.createService(withNetworks({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }] } }, [nets.front!]));
    const dnsrr = await h.createService(withNetworks({ EndpointSpec: { Mode: 'dnsrr' } }, [nets.front!, nets.back!]));
    expect(await h.until(() => [both, internal, host, dnsrr].every((id) => !!service(id).Endpoint))).toBe(true);

    const vips = (id: string) => service(id).Endpoint!.VirtualIPs ?? [];
    expect(vips(both).map((v) => v.NetworkID)).toEqual([INGRESS_ID, nets.front, nets.back]);
    expect(inSubnet(vips(both)[0]!.Addr, INGRESS_ID)).toBe(true);
    expect(inSubnet(vips(both)[1]!.Addr, nets.front!)).toBe(true);
    expect(inSubnet(vips(both)[2]!.Addr, nets.back!)).toBe(true);
    expect(vips(internal).map((v) => v.NetworkID)).toEqual([nets.back]);
    expect(vips(host).map((v) => v.NetworkID)).toEqual([nets.front]);
    expect(service(host).Endpoint!.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }]);
    expect(vips(dnsrr)).toEqual([]);
    // Every VIP distinct.
    const all = [both, internal, host].flatMap((id) => vips(id).map((v) => `${v.NetworkID}/${v.Addr}`));
    expect(new Set(all).size).toBe(all.length);

    // A network added to a service: the VIP it had is kept, one more on the new network.
    const kept = vips(internal)[0];
    await h.updateService(internal, (s) => ({ ...s, TaskTemplate: { ...s.TaskTemplate, Networks: [{ Target: nets.back! }, { Target: nets.front! }] } }));
    expect(await h.until(() => vips(internal).length === 2)).toBe(true);
    expect(vips(internal)[0]).toEqual(kept);
    expect(vips(internal)[1]!.NetworkID).toBe(nets.front);
  });

  it('a service without ports or networks is not rewritten', async () => {
    await setup();
    const svc = await h.createService({});
    const version = service(svc).Version.Index;
    await settled();
    expect(service(svc).Endpoint).toBeUndefined();
    expect(service(svc).Version.Index).toBe(version);
    // Nor after an update of its spec.
    await h.updateService(svc, (s) => ({ ...s, Labels: { a: 'b' } }));
    await settled();
    expect(service(svc).Endpoint).toBeUndefined();
    expect(service(svc).Version.Index).toBe(version + 1);
  });
});

describe('allocator: task addresses', () => {
  it('tasks get distinct addresses in their networks\' subnets (ingress first when the service publishes), then go pending', async () => {
    const { nets } = await setup({ front: '10.0.5.0/24', back: '10.0.6.0/24' });
    const svc = await h.createService(withNetworks({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } }, [nets.front!, nets.back!]));
    expect(await h.until(() => !!service(svc).Endpoint)).toBe(true);
    const ids = [await addTask(svc), await addTask(svc), await addTask(svc)];
    expect(await h.until(() => ids.every((id) => task(id).Status.State === 'pending'))).toBe(true);

    const vipAddrs = new Set(service(svc).Endpoint!.VirtualIPs!.map((v) => `${v.NetworkID}/${stripPrefix(v.Addr)}`));
    const seen = new Set<string>();
    for (const id of ids) {
      const t = task(id);
      expect(t.Status.Message).toBe('pending task scheduling');
      expect(t.NetworksAttachments!.map((a) => a.Network.ID)).toEqual([INGRESS_ID, nets.front, nets.back]);
      for (const a of t.NetworksAttachments!) {
        expect(a.Addresses).toHaveLength(1);
        expect(a.Addresses[0]).toMatch(/^\d+\.\d+\.\d+\.\d+\/24$/);
        expect(inSubnet(a.Addresses[0]!, a.Network.ID)).toBe(true);
        const key = `${a.Network.ID}/${stripPrefix(a.Addresses[0]!)}`;
        expect(seen.has(key) || vipAddrs.has(key)).toBe(false);
        seen.add(key);
        // The gateway is never handed out.
        expect(stripPrefix(a.Addresses[0]!)).not.toBe(a.Network.IPAM!.Configs[0]!.Gateway);
      }
    }
    expect(seen.size).toBe(9);
  });

  it('a task without networks goes pending without attachments; a network alias is carried', async () => {
    const { nets } = await setup();
    const plain = await h.createService({});
    const aliased = await h.createService({ TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, Networks: [{ Target: nets.appnet!, Aliases: ['db'] }] } });
    expect(await h.until(() => !!service(aliased).Endpoint)).toBe(true);
    const t1 = await addTask(plain);
    const t2 = await addTask(aliased);
    expect(await h.until(() => task(t1).Status.State === 'pending' && task(t2).Status.State === 'pending')).toBe(true);
    expect(task(t1).NetworksAttachments).toBeUndefined();
    expect(task(t2).NetworksAttachments).toHaveLength(1);
    expect(task(t2).NetworksAttachments![0]!.Aliases).toEqual(['db']);
  });

  it('a task waits while its network does not exist, and is allocated once it does', async () => {
    await setup({});
    const svc = await h.createService({ TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, Networks: [{ Target: 'later' }] } });
    const t = await addTask(svc);
    expect(await h.until(() => task(t).Status.Message.includes('pending network allocation'))).toBe(true);
    expect(task(t).Status.State).toBe('new');
    expect(task(t).Status.Message).toBe('pending network allocation: network later not found');
    const n = await createNetwork({ store: h.store, random: h.random }, { Name: 'later', DriverConfiguration: { Name: 'overlay' } });
    expect(await h.until(() => task(t).Status.State === 'pending')).toBe(true);
    expect(task(t).NetworksAttachments![0]!.Network.ID).toBe(n.ID);
    expect(service(svc).Endpoint!.VirtualIPs![0]!.NetworkID).toBe(n.ID);
  });

  it('a task of a service publishing through the mesh waits for the ingress network, then gets its ingress address', async () => {
    await setup({}, false);
    const svc = await h.createService({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
    const t = await addTask(svc);
    expect(await h.until(() => task(t).Status.Message !== 'created')).toBe(true);
    expect(task(t).Status).toMatchObject({ State: 'new', Message: 'pending network allocation: the swarm has no ingress network yet' });
    expect(service(svc).Endpoint!.VirtualIPs).toBeUndefined();
    await h.store.update((tx) => addIngressIfMissing(tx, INGRESS_ID));
    expect(await h.until(() => task(t).Status.State === 'pending')).toBe(true);
    expect(task(t).NetworksAttachments!.map((a) => a.Network.ID)).toEqual([INGRESS_ID]);
    expect(await h.until(() => (service(svc).Endpoint!.VirtualIPs ?? []).length === 1)).toBe(true);
    expect(service(svc).Endpoint!.VirtualIPs![0]!.NetworkID).toBe(INGRESS_ID);
  });

  it('addresses of finished tasks are free again, but not handed out at once', async () => {
    const { nets } = await setup({ small: '10.0.9.0/28' });
    const svc = await h.createService(withNetworks({ EndpointSpec: { Mode: 'dnsrr' } }, [nets.small!]));
    const addr = (id: string) => stripPrefix(task(id).NetworksAttachments![0]!.Addresses[0]!);
    const a = await addTask(svc);
    expect(await h.until(() => task(a).Status.State === 'pending')).toBe(true);
    expect(addr(a)).toBe('10.0.9.2');
    await finish(a);
    const b = await addTask(svc);
    expect(await h.until(() => task(b).Status.State === 'pending')).toBe(true);
    // .2 is free, but the next task gets the next address.
    expect(addr(b)).toBe('10.0.9.3');

    // Fill the rest of the /28 (.2–.14 but .1, the gateway): .2 comes round again once the others are taken.
    const rest: string[] = [];
    for (let i = 0; i < 12; i++) rest.push(await addTask(svc));
    expect(await h.until(() => rest.every((id) => task(id).Status.State === 'pending' || task(id).Status.Message.includes('no addresses')))).toBe(true);
    const got = rest.filter((id) => task(id).Status.State === 'pending').map(addr);
    expect(got).toEqual([...Array.from({ length: 11 }, (_, i) => `10.0.9.${i + 4}`), '10.0.9.2']);
  });

  it('a task that found its network full is allocated once an address is freed', async () => {
    const { nets } = await setup({ tiny: '10.0.9.0/29' });
    const svc = await h.createService(withNetworks({ EndpointSpec: { Mode: 'dnsrr' } }, [nets.tiny!]));
    const full: string[] = [];
    for (let i = 0; i < 5; i++) full.push(await addTask(svc));
    expect(await h.until(() => full.every((id) => task(id).Status.State === 'pending'))).toBe(true);
    const waiting = await addTask(svc);
    expect(await h.until(() => task(waiting).Status.Message !== 'created')).toBe(true);
    expect(task(waiting).Status).toMatchObject({ State: 'new', Message: 'pending network allocation: no addresses left on network tiny' });
    // It stays waiting while the network is full.
    await h.run(5000);
    expect(task(waiting).Status.State).toBe('new');
    const freed = stripPrefix(task(full[2]!).NetworksAttachments![0]!.Addresses[0]!);
    await finish(full[2]!);
    expect(await h.until(() => task(waiting).Status.State === 'pending', 10_000)).toBe(true);
    expect(stripPrefix(task(waiting).NetworksAttachments![0]!.Addresses[0]!)).toBe(freed);
  });
});
