// The network map the leader builds from the store: networks with their subnets, services with
// VIPs, ports and aliases, the live tasks of networked services with their addresses and whether
// they run (a balancing backend), the tasks of host-mode-only services, nodes with their data path
// address; and sameMap, which compares maps but for their version.
import { describe, expect, it } from 'vitest';
import type { NetworkObject, TaskObject, TaskState } from '../../../core/api/objects.ts';
import { buildNetworkMap, networkSubnet, sameMap } from '../../../core/network/map-builder.ts';
import { seededRandom } from '../../../core/random.ts';
import { LocalProposer, Store, type Tx } from '../../../core/store/store.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

function newStore(): Store {
  const store = new Store({ clock: new VirtualClock({ start: Date.UTC(2026, 0, 1) }), random: seededRandom(3) });
  store.setProposer(new LocalProposer(store));
  return store;
}

type New<T> = Omit<T, 'Version' | 'CreatedAt' | 'UpdatedAt'>;

const network = (id: string, name: string, subnet: string | undefined, ingress = false): New<NetworkObject> => ({
  ID: id,
  Spec: { Name: name, DriverConfiguration: { Name: 'overlay' }, ...(ingress ? { Ingress: true } : {}) },
  ...(subnet ? { IPAM: { Configs: [{ Subnet: subnet, Gateway: subnet.replace(/0\/\d+$/, '1') }] } } : {}),
});

const attach = (net: New<NetworkObject>, addr: string) => ({ Network: net as NetworkObject, Addresses: [addr] });

function taskObj(id: string, serviceId: string, state: TaskState, opts: Partial<TaskObject> = {}): New<TaskObject> {
  return {
    ID: id,
    ServiceID: serviceId,
    ServiceName: serviceId.replace(/^s-/, ''),
    Slot: 1,
    NodeID: 'n1',
    Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
    Status: { State: state, Message: state, Timestamp: '' },
    DesiredState: 'running',
    ...opts,
  };
}

const ingress = network('net-ingress', 'ingress', '10.0.0.0/24', true);
const app = network('net-app', 'app', '10.0.1.0/24');
const other = network('net-other', 'other', '10.0.2.0/24');

async function populate(store: Store): Promise<void> {
  await store.update((tx: Tx) => {
    tx.create('networks', ingress);
    tx.create('networks', app);
    tx.create('networks', other);
    // A network whose subnet came only with the spec (before IPAM was recorded).
    tx.create('networks', { ID: 'net-spec', Spec: { Name: 'spec', IPAMOptions: { Configs: [{ Subnet: '10.0.3.0/24' }] } } });
    // And one with no subnet at all: left out.
    tx.create('networks', { ID: 'net-none', Spec: { Name: 'none' } });

    tx.create('services', {
      ID: 's-web',
      Spec: {
        Name: 'web',
        TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, Networks: [{ Target: 'net-app', Aliases: ['www', 'front'] }] },
        Mode: { Replicated: { Replicas: 2 } },
        EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] },
      },
      Endpoint: {
        Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
        VirtualIPs: [
          { NetworkID: 'net-ingress', Addr: '10.0.0.2/24' },
          { NetworkID: 'net-app', Addr: '10.0.1.2/24' },
        ],
      },
    });
    tx.create('services', {
      ID: 's-db',
      Spec: {
        Name: 'db',
        TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, Networks: [{ Target: 'net-app' }] },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Mode: 'dnsrr' },
      },
      Endpoint: { Spec: { Mode: 'dnsrr' } },
    });
    tx.create('services', {
      ID: 's-host',
      Spec: {
        Name: 'hostsvc',
        TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
        Mode: { Global: {} },
        EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }] },
      },
      Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }] },
    });
    // Not on any network, no ports: not in the map, nor its tasks.
    tx.create('services', { ID: 's-plain', Spec: { Name: 'plain', TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } }, Mode: { Replicated: { Replicas: 1 } } } });

    tx.create('tasks', taskObj('t-web1', 's-web', 'running', { Name: 'web.1.t-web1', NetworksAttachments: [attach(ingress, '10.0.0.3/24'), attach(app, '10.0.1.3/24')] }));
    tx.create('tasks', taskObj('t-web2', 's-web', 'starting', { Slot: 2, NodeID: 'n2', NetworksAttachments: [attach(ingress, '10.0.0.4/24'), attach(app, '10.0.1.4/24')] }));
    // Running but told to stop: live no more.
    tx.create('tasks', taskObj('t-web3', 's-web', 'running', { Slot: 3, DesiredState: 'shutdown', NetworksAttachments: [attach(app, '10.0.1.5/24')] }));
    // Finished.
    tx.create('tasks', taskObj('t-web4', 's-web', 'failed', { Slot: 4, NetworksAttachments: [attach(app, '10.0.1.6/24')] }));
    // Not yet assigned (pending): no node to reach it on.
    tx.create('tasks', taskObj('t-web5', 's-web', 'pending', { Slot: 5, NodeID: undefined, NetworksAttachments: [attach(app, '10.0.1.7/24')] }));
    tx.create('tasks', taskObj('t-db1', 's-db', 'running', { NodeID: 'n2', NetworksAttachments: [attach(app, '10.0.1.8/24')] }));
    // A global task (no slot): named by its node.
    tx.create('tasks', taskObj('t-host1', 's-host', 'running', { Slot: undefined, NodeID: 'n2' }));
    tx.create('tasks', taskObj('t-plain1', 's-plain', 'running'));

    tx.create('nodes', {
      ID: 'n1',
      Spec: { Role: 'manager', Availability: 'active' },
      Description: { Hostname: 'h1', Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 1e9, MemoryBytes: 1e9 }, Engine: {}, DataPathAddr: '127.0.0.1:4789' },
      Status: { State: 'ready', Addr: '192.168.1.1' },
    });
    tx.create('nodes', {
      ID: 'n2',
      Spec: { Role: 'worker', Availability: 'active' },
      Description: { Hostname: 'h2', Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 1e9, MemoryBytes: 1e9 }, Engine: {} },
      Status: { State: 'down' },
    });
  });
}

describe('buildNetworkMap', () => {
  it('has every network with a subnet, sorted by ID, ingress marked', async () => {
    const store = newStore();
    await populate(store);
    const map = store.view((tx) => buildNetworkMap(tx, 7));
    expect(map.version).toBe(7);
    expect(map.networks).toEqual([
      { id: 'net-app', name: 'app', subnet: '10.0.1.0/24', ingress: false },
      { id: 'net-ingress', name: 'ingress', subnet: '10.0.0.0/24', ingress: true },
      { id: 'net-other', name: 'other', subnet: '10.0.2.0/24', ingress: false },
      { id: 'net-spec', name: 'spec', subnet: '10.0.3.0/24', ingress: false },
    ]);
  });

  it('has the services on networks or with ports: mode, plain VIPs, aliases by network, ports', async () => {
    const store = newStore();
    await populate(store);
    const map = store.view((tx) => buildNetworkMap(tx, 1));
    expect(map.services.map((s) => s.id)).toEqual(['s-db', 's-host', 's-web']);
    expect(map.services.find((s) => s.id === 's-web')).toEqual({
      id: 's-web',
      name: 'web',
      endpointMode: 'vip',
      vips: [
        { networkId: 'net-ingress', addr: '10.0.0.2' },
        { networkId: 'net-app', addr: '10.0.1.2' },
      ],
      aliases: { 'net-app': ['www', 'front'] },
      ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
    });
    expect(map.services.find((s) => s.id === 's-db')).toEqual({ id: 's-db', name: 'db', endpointMode: 'dnsrr', vips: [], aliases: {}, ports: [] });
    expect(map.services.find((s) => s.id === 's-host')).toMatchObject({ vips: [], ports: [{ PublishedPort: 9090, PublishMode: 'host' }] });
  });

  it('has the live tasks with their plain addresses and whether they run, host-mode services\' tasks too', async () => {
    const store = newStore();
    await populate(store);
    const map = store.view((tx) => buildNetworkMap(tx, 1));
    expect(map.tasks).toEqual([
      { id: 't-db1', name: 'db.1.t-db1', serviceId: 's-db', nodeId: 'n2', running: true, addrs: { 'net-app': '10.0.1.8' } },
      { id: 't-host1', name: 'host.n2.t-host1', serviceId: 's-host', nodeId: 'n2', running: true, addrs: {} },
      { id: 't-web1', name: 'web.1.t-web1', serviceId: 's-web', nodeId: 'n1', running: true, addrs: { 'net-ingress': '10.0.0.3', 'net-app': '10.0.1.3' } },
      { id: 't-web2', name: 'web.2.t-web2', serviceId: 's-web', nodeId: 'n2', running: false, addrs: { 'net-ingress': '10.0.0.4', 'net-app': '10.0.1.4' } },
    ]);
  });

  it('has the nodes with their address, data path address (when known) and readiness', async () => {
    const store = newStore();
    await populate(store);
    const map = store.view((tx) => buildNetworkMap(tx, 1));
    expect(map.nodes).toEqual([
      { id: 'n1', addr: '192.168.1.1', dataAddr: '127.0.0.1:4789', ready: true },
      { id: 'n2', addr: '', ready: false },
    ]);
  });

  it('sameMap ignores the version, not the content', async () => {
    const store = newStore();
    await populate(store);
    const a = store.view((tx) => buildNetworkMap(tx, 1));
    const b = store.view((tx) => buildNetworkMap(tx, 2));
    expect(sameMap(a, b)).toBe(true);
    // A change of a task's state that makes it a backend changes the map.
    await store.update((tx) => {
      const t = tx.get('tasks', 't-web2')!;
      tx.update('tasks', { ...t, Status: { ...t.Status, State: 'running' } });
    });
    const c = store.view((tx) => buildNetworkMap(tx, 3));
    expect(sameMap(b, c)).toBe(false);
    expect(c.tasks.find((t) => t.id === 't-web2')!.running).toBe(true);
    // A change to a task not in the map does not.
    await store.update((tx) => {
      const t = tx.get('tasks', 't-plain1')!;
      tx.update('tasks', { ...t, Status: { ...t.Status, State: 'complete' } });
    });
    expect(sameMap(c, store.view((tx) => buildNetworkMap(tx, 4)))).toBe(true);
  });

  it('networkSubnet prefers the allocated subnet over the spec\'s', () => {
    const n = { ...network('x', 'x', '10.0.7.0/24'), Spec: { Name: 'x', IPAMOptions: { Configs: [{ Subnet: '10.9.0.0/16' }] } } } as NetworkObject;
    expect(networkSubnet(n)).toBe('10.0.7.0/24');
    expect(networkSubnet({ ...n, IPAM: undefined })).toBe('10.9.0.0/16');
    expect(networkSubnet({ ...n, IPAM: undefined, Spec: { Name: 'x' } })).toBeUndefined();
  });
});
