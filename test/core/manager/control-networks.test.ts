// Networks, secrets and configs through the control API over a real store (LocalProposer): specs
// validated, subnets allocated and checked, names unique, references from services resolved, and
// removals refused while in use, with Docker's and SwarmKit's messages.

import { describe, expect, it } from 'vitest';
import { createCluster } from '../../../core/manager/control/cluster.ts';
import { clusterDefaults, localControl } from '../../../core/manager/control/local.ts';
import { ensureIngress } from '../../../core/manager/control/networks.ts';
import type { RaftMembership } from '../../../core/manager/membership.ts';
import { seededRandom } from '../../../core/random.ts';
import { LocalProposer, Store } from '../../../core/store/store.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

async function setup() {
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1) });
  const random = seededRandom(7);
  const store = new Store({ clock, random });
  store.setProposer(new LocalProposer(store));
  const membership: RaftMembership = {
    id: 'm1',
    voters: () => ['m1'],
    isLeader: () => true,
    reachable: () => ['m1'],
    proposeConfChange: async () => 0,
    transferLeadership: () => {},
  };
  const control = localControl({ store, membership, random, leader: () => 'm1' });
  await createCluster(store, { id: 'c1', spec: clusterDefaults(), joinTokens: { Worker: 'w', Manager: 'm' } });
  await ensureIngress(store, random);
  return { store, control, random };
}

const overlay = (name: string, extra: Record<string, unknown> = {}) => ({ Name: name, DriverConfiguration: { Name: 'overlay' }, ...extra });
const service = (name: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  Name: name,
  TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1', ...container }, ...extra },
  Mode: { Replicated: { Replicas: 1 } },
});
const b64 = (s: string) => Buffer.from(s).toString('base64');
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { code: string; message: string });

describe('networks', () => {
  it('has the ingress network from the start, once', async () => {
    const { control, store, random } = await setup();
    const [ingress] = await control.listNetworks({ exactNames: ['ingress'] });
    expect(ingress?.Spec).toMatchObject({ Name: 'ingress', Ingress: true, DriverConfiguration: { Name: 'overlay' } });
    expect(ingress?.IPAM).toEqual({ Configs: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] });
    expect(ingress?.DriverState?.Options?.['com.docker.network.driver.overlay.vxlanid_list']).toBe('4096');
    expect(await ensureIngress(store, random)).toBe(false);
    expect(await control.listNetworks()).toHaveLength(1);
  });

  it('allocates the next free /24 of 10.0.0.0/8, or takes the subnet given, with its gateway', async () => {
    const { control } = await setup();
    const a = await control.createNetwork(overlay('a', { Attachable: true, Labels: { team: 'x' } }));
    expect(a.IPAM).toEqual({ Configs: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] });
    expect(a.Spec.Attachable).toBe(true);
    const b = await control.createNetwork(overlay('b', { IPAMOptions: { Configs: [{ Subnet: '10.0.2.0/23' }] } }));
    expect(b.IPAM).toEqual({ Configs: [{ Subnet: '10.0.2.0/23', Gateway: '10.0.2.1' }] });
    const c = await control.createNetwork(overlay('c'));
    expect(c.IPAM?.Configs[0]?.Subnet).toBe('10.0.4.0/24');
    const d = await control.createNetwork(overlay('d', { IPAMOptions: { Configs: [{ Subnet: '192.168.7.0/24', Gateway: '192.168.7.254' }] } }));
    expect(d.IPAM?.Configs[0]).toEqual({ Subnet: '192.168.7.0/24', Gateway: '192.168.7.254' });
    expect(new Set([a, b, c, d].map((n) => n.DriverState?.Options?.['com.docker.network.driver.overlay.vxlanid_list'])).size).toBe(4);
    expect((await control.listNetworks({ labels: { team: 'x' } })).map((n) => n.Spec.Name)).toEqual(['a']);
    expect((await control.getNetwork(a.ID.slice(0, 6))).ID).toBe(a.ID);
    expect((await control.getNetwork('b')).ID).toBe(b.ID);
  });

  it('refuses bad specs, taken names and overlapping subnets, in Docker words', async () => {
    const { control } = await setup();
    expect(await err(control.createNetwork(overlay('x', { DriverConfiguration: { Name: 'bridge' } })))).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(/^invalid driver "bridge": .*-d overlay/),
    });
    await control.createNetwork(overlay('web', { IPAMOptions: { Configs: [{ Subnet: '10.10.0.0/16' }] } }));
    expect(await err(control.createNetwork(overlay('web')))).toMatchObject({ code: 'AlreadyExists', message: 'network with name web already exists' });
    expect(await err(control.createNetwork(overlay('web2', { IPAMOptions: { Configs: [{ Subnet: '10.10.5.0/24' }] } })))).toMatchObject({
      message: expect.stringMatching(/^invalid pool request: Pool overlaps with other one on this address space: subnet 10.10.5.0\/24 overlaps 10.10.0.0\/16 of network web/),
    });
    expect((await err(control.createNetwork(overlay('g', { IPAMOptions: { Configs: [{ Subnet: '10.20.0.0/24', Gateway: '10.30.0.1' }] } }))))?.message).toBe(
      'ipam configuration: subnet 10.20.0.0/24 does not contain gateway 10.30.0.1',
    );
    expect((await err(control.createNetwork(overlay('g', { IPAMOptions: { Configs: [{ Subnet: '10.20.0/24' }] } }))))?.message).toMatch(
      /^ipam configuration: invalid subnet 10.20.0\/24/,
    );
    expect((await err(control.createNetwork(overlay('bad name'))))?.message).toMatch(/^invalid network name "bad name": name must be valid as a DNS name component/);
    expect((await err(control.createNetwork(overlay('host'))))?.message).toBe('host is a pre-defined network and cannot be created');
    expect((await err(control.createNetwork(overlay('i2', { Ingress: true }))))?.message).toMatch(/^ingress network \(\w+\) is already present$/);
  });

  it('resolves a service\'s networks to IDs, refuses unknown, ingress and twice-attached ones, and keeps a used network', async () => {
    const { control } = await setup();
    const net = await control.createNetwork(overlay('backend'));
    const s = await control.createService(service('api', { Networks: [{ Target: 'backend', Aliases: ['db'] }] }));
    expect(s.Spec.TaskTemplate.Networks).toEqual([{ Target: net.ID, Aliases: ['db'] }]);
    // Docker's deprecated service-level Networks lands in the task template.
    const old = await control.createService({ ...service('old'), Networks: [{ Target: net.ID.slice(0, 8) }] });
    expect(old.Spec.TaskTemplate.Networks).toEqual([{ Target: net.ID }]);
    expect(await err(control.createService(service('x', { Networks: [{ Target: 'nope' }] })))).toMatchObject({ code: 'NotFound', message: 'network nope not found' });
    expect((await err(control.createService(service('x', { Networks: [{ Target: 'ingress' }] }))))?.message).toBe(
      'Service cannot be explicitly attached to the ingress network "ingress"',
    );
    expect((await err(control.createService(service('x', { Networks: [{ Target: 'backend' }, { Target: net.ID }] }))))?.message).toMatch(/attached twice/);
    expect(await err(control.removeNetwork('backend'))).toMatchObject({ code: 'FailedPrecondition', message: `network ${net.ID} is in use by service ${s.ID}` });
    await control.removeService('api');
    await control.removeService('old');
    await control.removeNetwork('backend');
    expect(await control.listNetworks({ exactNames: ['backend'] })).toEqual([]);
  });

  it('keeps the ingress network while a service publishes an ingress port, and refuses a port another service holds', async () => {
    const { control, store } = await setup();
    const web = await control.createService({ ...service('web'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
    expect((await err(control.createService({ ...service('web2'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } })))?.message).toBe(
      `port '8080' is already in use by service 'web' (${web.ID}) as an ingress port`,
    );
    // UDP 8080 is another port.
    await control.createService({ ...service('dns'), EndpointSpec: { Ports: [{ TargetPort: 53, PublishedPort: 8080, Protocol: 'udp' }] } });
    // A port the allocator gave another service (Endpoint.Ports) is taken too.
    await store.update((tx) => {
      const s = tx.get('services', web.ID)!;
      tx.update('services', { ...s, Endpoint: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 81, PublishedPort: 30001, PublishMode: 'ingress' }] } });
    });
    expect((await err(control.createService({ ...service('late'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 30001 }] } })))?.message).toMatch(
      /^port '30001' is already in use by service 'web'/,
    );
    // An update of the holder itself is no conflict.
    const cur = await control.getService('web');
    await control.updateService('web', cur.Version.Index, { ...service('web'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
    expect((await err(control.removeNetwork('ingress')))?.message).toBe(`ingress network cannot be removed because service ${web.ID} depends on it`);
  });
});

describe('secrets and configs', () => {
  it('creates, lists and inspects a secret without ever returning its data; a taken name is refused', async () => {
    const { control, store } = await setup();
    const s = await control.createSecret({ Name: 'db_pass', Labels: { env: 'prod' }, Data: b64('hunter2') });
    expect(s.Spec).toEqual({ Name: 'db_pass', Labels: { env: 'prod' } });
    expect(store.view((tx) => tx.get('secrets', s.ID)?.Spec.Data)).toBe(b64('hunter2'));
    expect((await control.listSecrets({ names: ['db'] }))[0]?.Spec.Data).toBeUndefined();
    expect((await control.getSecret('db_pass')).ID).toBe(s.ID);
    expect(await err(control.createSecret({ Name: 'db_pass', Data: b64('x') }))).toMatchObject({ code: 'AlreadyExists', message: 'secret db_pass already exists' });
    expect((await err(control.createSecret({ Name: 'e', Data: '' })))?.message).toMatch(/^secret data must be larger than 0 and less than 512000 bytes/);
    expect((await err(control.createSecret({ Name: '-bad', Data: b64('x') })))?.message).toMatch(/only 64 \[a-zA-Z0-9-_.\] characters allowed/);
    expect(await err(control.getSecret('nope'))).toMatchObject({ code: 'NotFound', message: 'secret nope not found' });
  });

  it('updates only labels', async () => {
    const { control } = await setup();
    const s = await control.createSecret({ Name: 'k', Data: b64('v') });
    const u = await control.updateSecret('k', s.Version.Index, { Name: 'k', Labels: { a: 'b' } });
    expect(u.Spec.Labels).toEqual({ a: 'b' });
    expect((await err(control.updateSecret('k', u.Version.Index, { Name: 'k', Data: b64('w') })))?.message).toMatch(/^only updates to Labels are allowed/);
    const c = await control.createConfig({ Name: 'conf', Data: b64('a=1') });
    expect(c.Spec.Data).toBe(b64('a=1'));
    expect((await err(control.updateConfig('conf', c.Version.Index, { Name: 'conf', Data: b64('a=2') })))?.message).toMatch(/^only updates to Labels are allowed/);
    const c2 = await control.updateConfig('conf', c.Version.Index, { Name: 'conf', Data: b64('a=1'), Labels: { v: '1' } });
    expect(c2.Spec).toEqual({ Name: 'conf', Data: b64('a=1'), Labels: { v: '1' } });
  });

  it('resolves a service\'s secrets and configs, defaults their targets, and refuses to remove them while used', async () => {
    const { control } = await setup();
    const sec = await control.createSecret({ Name: 'token', Data: b64('t') });
    const conf = await control.createConfig({ Name: 'app.conf', Data: b64('x') });
    const s = await control.createService(
      service('app', {}, { Secrets: [{ SecretName: 'token' }], Configs: [{ ConfigID: conf.ID, ConfigName: 'app.conf', File: { Name: '/etc/c.conf' } }] }),
    );
    expect(s.Spec.TaskTemplate.ContainerSpec.Secrets).toEqual([{ SecretID: sec.ID, SecretName: 'token', File: { Name: 'token', UID: '0', GID: '0', Mode: 0o444 } }]);
    expect(s.Spec.TaskTemplate.ContainerSpec.Configs).toEqual([
      { ConfigID: conf.ID, ConfigName: 'app.conf', File: { Name: '/etc/c.conf', UID: '0', GID: '0', Mode: 0o444 } },
    ]);
    const plain = await control.createService(service('plain', {}, { Configs: [{ ConfigName: 'app.conf' }] }));
    expect(plain.Spec.TaskTemplate.ContainerSpec.Configs?.[0]?.File?.Name).toBe('/app.conf');
    expect((await err(control.createService(service('x', {}, { Secrets: [{ SecretName: 'nope' }, { SecretName: 'nada' }] }))))?.message).toBe(
      'secrets not found: nope, nada',
    );
    expect(
      (await err(control.createService(service('x', {}, { Secrets: [{ SecretName: 'token' }, { SecretName: 'token', File: { Name: 'token' } }] }))))?.message,
    ).toBe("secret references 'token' and 'token' have a conflicting target: 'token'");
    expect(await err(control.removeSecret('token'))).toMatchObject({ code: 'InvalidArgument', message: "secret 'token' is in use by the following service: app" });
    expect((await err(control.removeConfig('app.conf')))?.message).toBe("config 'app.conf' is in use by the following services: app, plain");
    await control.removeService('app');
    await control.removeSecret('token');
    expect(await control.listSecrets()).toEqual([]);
  });
});
