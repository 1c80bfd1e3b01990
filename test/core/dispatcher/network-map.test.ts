// What the dispatcher sends with a node's assignments besides tasks: the network map (whole, in the
// complete message, and again in an incremental one, with or without task changes, whenever the
// store changes what it says), and the secrets and configs the node's tasks mount, with their data
// (base64), again when they change; nothing when nothing that the agent holds changed.
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkObject, TaskObject } from '../../../core/api/objects.ts';
import type { AssignmentExtras, AssignmentsMessage } from '../../../core/dispatcher/protocol.ts';
import type { NetworkMap } from '../../../core/network/map.ts';
import { DispatchFixture, StreamRecorder, description } from '../manager/dispatcher/fixture.ts';

let f: DispatchFixture;
afterEach(() => f?.stopAll());

const b64 = (s: string) => Buffer.from(s).toString('base64');

const APP: Omit<NetworkObject, 'Version' | 'CreatedAt' | 'UpdatedAt'> = {
  ID: 'net-app',
  Spec: { Name: 'app', DriverConfiguration: { Name: 'overlay' } },
  IPAM: { Configs: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] },
};

/** A store with the app network, service `web` (a VIP on it), and plain service `batch`. */
async function populate(): Promise<void> {
  await f.store.update((tx) => {
    tx.create('networks', APP);
    tx.create('services', {
      ID: 'svc-web',
      Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' }, Networks: [{ Target: 'net-app' }] }, Mode: { Replicated: { Replicas: 2 } } },
      Endpoint: { Spec: {}, VirtualIPs: [{ NetworkID: 'net-app', Addr: '10.0.1.2/24' }] },
    });
    tx.create('services', {
      ID: 'svc-batch',
      Spec: { Name: 'batch', TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } }, Mode: { Replicated: { Replicas: 1 } } },
    });
    tx.create('secrets', { ID: 'sec-db', Spec: { Name: 'db_password', Data: b64('hunter2') } });
    tx.create('secrets', { ID: 'sec-unused', Spec: { Name: 'unused', Data: b64('nobody') } });
    tx.create('configs', { ID: 'cfg-site', Spec: { Name: 'site.conf', Data: b64('server {}') } });
  });
}

let seq = 0;
async function addTask(nodeId: string, opts: { service?: string; addr?: string; state?: TaskObject['Status']['State']; secrets?: boolean; configs?: boolean } = {}): Promise<string> {
  const id = `task${++seq}`;
  const net = f.store.view((tx) => tx.get('networks', 'net-app'))!;
  await f.store.update((tx) =>
    tx.create('tasks', {
      ID: id,
      ServiceID: opts.service ?? 'svc-web',
      Slot: seq,
      NodeID: nodeId,
      Spec: {
        ContainerSpec: {
          Image: 'swarmlab/whoami:1',
          ...(opts.secrets ? { Secrets: [{ SecretID: 'sec-db', SecretName: 'db_password' }] } : {}),
          ...(opts.configs ? { Configs: [{ ConfigID: 'cfg-site', ConfigName: 'site.conf' }] } : {}),
        },
      },
      ...(opts.addr ? { NetworksAttachments: [{ Network: net, Addresses: [opts.addr] }] } : {}),
      Status: { State: opts.state ?? 'assigned', Message: 'assigned', Timestamp: new Date(f.clock.now()).toISOString() },
      DesiredState: 'running',
    }),
  );
  return id;
}

async function setState(id: string, state: TaskObject['Status']['State']): Promise<void> {
  await f.updateTask(id, (t) => ({ ...t, Status: { ...t.Status, State: state } }));
}

/** A session and an assignments stream for `nodeId`, recorded. */
async function stream(nodeId: string): Promise<StreamRecorder> {
  const r = await f.settle(f.client().session({ nodeId, description: { ...description(`host-${nodeId}`), DataPathAddr: `127.0.0.1:${4700 + seq}` }, addr: '127.0.0.1' }));
  const rec = new StreamRecorder();
  f.client().assignments({ nodeId, sessionId: r.sessionId }, rec.observer);
  await f.until(() => rec.messages.length > 0);
  return rec;
}

/** The extras the agent would hold after every message so far (each field replaced when sent). */
function held(rec: StreamRecorder): AssignmentExtras {
  const out: AssignmentExtras = {};
  for (const m of rec.messages) {
    if (m.network) out.network = m.network;
    if (m.secrets) out.secrets = m.secrets;
    if (m.configs) out.configs = m.configs;
  }
  return out;
}

const quiet = () => f.run(500);
const mapOf = (m: AssignmentsMessage | undefined): NetworkMap | undefined => m?.network;

describe('dispatcher: the network map with the assignments', () => {
  it('the complete message carries the map as it stands', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    const t1 = await addTask('w1', { addr: '10.0.1.3/24', state: 'running' });
    const rec = await stream('w1');
    const first = rec.messages[0]!;
    expect(first.type).toBe('complete');
    const map = mapOf(first)!;
    expect(map.version).toBeGreaterThanOrEqual(1);
    expect(map.networks).toEqual([{ id: 'net-app', name: 'app', subnet: '10.0.1.0/24', ingress: false }]);
    expect(map.services.map((s) => s.name)).toEqual(['web']);
    expect(map.services[0]!.vips).toEqual([{ networkId: 'net-app', addr: '10.0.1.2' }]);
    expect(map.tasks).toEqual([expect.objectContaining({ id: t1, nodeId: 'w1', running: true, addrs: { 'net-app': '10.0.1.3' } })]);
    // The node's own session, written a moment before, follows within the batch window.
    await quiet();
    expect(held(rec).network!.nodes.find((n) => n.id === 'w1')).toMatchObject({ ready: true, addr: '127.0.0.1', dataAddr: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    // The complete message always carries the file lists, empty or not.
    expect(first.secrets).toEqual([]);
    expect(first.configs).toEqual([]);
  });

  it("a new leader's map has a higher version than the old leader's last, so nodes take it", async () => {
    f = new DispatchFixture();
    await populate();
    const first = f.startDispatcher();
    await addTask('w1', { addr: '10.0.1.3/24', state: 'running' });
    const before = await stream('w1');
    for (let i = 0; i < 5; i++) await addTask('w2', { addr: `10.0.1.${10 + i}/24`, state: 'running' });
    await quiet();
    const oldVersion = held(before).network!.version;
    first.stop();
    // The leader changes; the new leader's dispatcher starts from the same store.
    f.startDispatcher();
    const after = await stream('w1');
    expect(mapOf(after.messages[0])!.version).toBeGreaterThanOrEqual(oldVersion);
    expect(mapOf(after.messages[0])!.tasks).toHaveLength(6);
  });

  it('a change that alters the map sends a new one, with a higher version, even with no task of the node changed', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    await addTask('w1', { addr: '10.0.1.3/24', state: 'running' });
    const rec = await stream('w1');
    await quiet();
    const n = rec.messages.length;
    const v = held(rec).network!.version;

    // A task of another node on the network starts running: w1's tasks must learn of the backend.
    const other = await addTask('w2', { addr: '10.0.1.4/24', state: 'starting' });
    await quiet();
    await setState(other, 'running');
    expect(await f.until(() => held(rec).network!.tasks.some((t) => t.id === other && t.running))).toBe(true);
    const fresh = rec.messages.slice(n);
    expect(fresh.every((m) => m.type === 'incremental')).toBe(true);
    for (const m of fresh) if (m.type === 'incremental') expect(m.update).toEqual([]);
    expect(held(rec).network!.version).toBeGreaterThan(v);
    // The messages are in sequence.
    rec.messages.forEach((m, i) => {
      expect(m.seq).toBe(i + 1);
      if (m.type === 'incremental') expect(m.appliesTo).toBe(i);
    });

    // A new network, a new service's VIP: a new map each time.
    const before = held(rec).network!.version;
    await f.store.update((tx) => tx.create('networks', { ...APP, ID: 'net-b', Spec: { Name: 'b' }, IPAM: { Configs: [{ Subnet: '10.0.2.0/24', Gateway: '10.0.2.1' }] } }));
    expect(await f.until(() => held(rec).network!.networks.some((x) => x.id === 'net-b'))).toBe(true);
    expect(held(rec).network!.version).toBeGreaterThan(before);
  });

  it('a task of the node added on a network arrives with a map that has it', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    const rec = await stream('w1');
    await quiet();
    const t = await addTask('w1', { addr: '10.0.1.9/24' });
    expect(await f.until(() => rec.holds().includes(t) && !!held(rec).network!.tasks.find((x) => x.id === t))).toBe(true);
    expect(held(rec).network!.tasks.find((x) => x.id === t)).toMatchObject({ addrs: { 'net-app': '10.0.1.9' }, running: false });
  });

  it('nothing is sent when nothing the agent holds changed', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    await addTask('w1', { addr: '10.0.1.3/24', state: 'running', secrets: true });
    const plain = await addTask('w2', { service: 'svc-batch', state: 'assigned' });
    const rec = await stream('w1');
    await quiet();
    const n = rec.messages.length;

    // A task of another node on no network, of a service not in the map.
    await setState(plain, 'running');
    // A node change the map does not show (its labels).
    await f.store.update((tx) => {
      const node = tx.get('nodes', 'w1')!;
      tx.update('nodes', { ...node, Spec: { ...node.Spec, Labels: { zone: 'b' } } });
    });
    // A secret no task of the node uses; a config no task uses.
    await f.store.update((tx) => {
      const s = tx.get('secrets', 'sec-unused')!;
      tx.update('secrets', { ...s, Spec: { ...s.Spec, Data: b64('still nobody') } });
    });
    await f.store.update((tx) => {
      const c = tx.get('configs', 'cfg-site')!;
      tx.update('configs', { ...c, Spec: { ...c.Spec, Data: b64('server { listen 81; }') } });
    });
    await quiet();
    expect(rec.messages.slice(n)).toEqual([]);
  });
});

describe('dispatcher: secrets and configs with the assignments', () => {
  it('the secrets and configs of the node\'s tasks arrive with their data, and again when they change', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    await addTask('w1', { secrets: true, configs: true });
    // Another node's task uses the secret too: it does not matter to w1's stream.
    const rec = await stream('w1');
    const first = rec.messages[0]!;
    expect(first.secrets).toEqual([{ id: 'sec-db', name: 'db_password', data: b64('hunter2') }]);
    expect(first.configs).toEqual([{ id: 'cfg-site', name: 'site.conf', data: b64('server {}') }]);
    await quiet();
    const n = rec.messages.length;

    await f.store.update((tx) => {
      const s = tx.get('secrets', 'sec-db')!;
      tx.update('secrets', { ...s, Spec: { ...s.Spec, Data: b64('correct horse') } });
    });
    expect(await f.until(() => rec.messages.length > n)).toBe(true);
    const m = rec.messages[n]!;
    expect(m).toMatchObject({ type: 'incremental', update: [], remove: [] });
    expect(m.secrets).toEqual([{ id: 'sec-db', name: 'db_password', data: b64('correct horse') }]);
    expect(m.configs).toEqual([{ id: 'cfg-site', name: 'site.conf', data: b64('server {}') }]);
    await quiet();
    expect(rec.messages.length).toBe(n + 1);

    await f.store.update((tx) => {
      const c = tx.get('configs', 'cfg-site')!;
      tx.update('configs', { ...c, Spec: { ...c.Spec, Data: b64('server { listen 81; }') } });
    });
    expect(await f.until(() => held(rec).configs?.[0]?.data === b64('server { listen 81; }'))).toBe(true);
  });

  it('a task of the node that mounts a secret brings the secret with it', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    const rec = await stream('w1');
    expect(rec.messages[0]!.secrets).toEqual([]);
    await quiet();
    const t = await addTask('w1', { secrets: true });
    expect(await f.until(() => rec.holds().includes(t))).toBe(true);
    const m = rec.messages.find((x) => x.type === 'incremental' && x.update.some((u) => u.ID === t))!;
    expect(m.secrets).toEqual([{ id: 'sec-db', name: 'db_password', data: b64('hunter2') }]);
    expect(m.configs).toEqual([]);
  });

  it('when the last task that mounts a secret leaves the node, the node is told to drop it', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    const t = await addTask('w1', { service: 'svc-batch', secrets: true, state: 'running' });
    const rec = await stream('w1');
    expect(held(rec).secrets).toHaveLength(1);
    await quiet();
    // The task is told to stop and stops: it leaves w1's set, and no task of w1 uses the secret.
    await f.updateTask(t, (x) => ({ ...x, DesiredState: 'shutdown', Status: { ...x.Status, State: 'shutdown' } }));
    expect(await f.until(() => !rec.holds().includes(t))).toBe(true);
    await quiet();
    // SwarmKit sends the secret's removal; the agent must not keep a secret no task of it needs.
    expect(held(rec).secrets).toEqual([]);
  });

  it('an agent hands the extras to onExtras', async () => {
    f = new DispatchFixture();
    await populate();
    f.startDispatcher();
    await addTask('w1', { addr: '10.0.1.3/24', secrets: true });
    const got: AssignmentExtras[] = [];
    f.agent('w1', { onExtras: (e) => got.push(e) });
    expect(await f.until(() => got.length > 0)).toBe(true);
    expect(got[0]!.network!.networks.map((n) => n.id)).toEqual(['net-app']);
    expect(got[0]!.secrets).toEqual([{ id: 'sec-db', name: 'db_password', data: b64('hunter2') }]);
    const n = got.length;
    await f.store.update((tx) => {
      const s = tx.get('secrets', 'sec-db')!;
      tx.update('secrets', { ...s, Spec: { ...s.Spec, Data: b64('rotated') } });
    });
    expect(await f.until(() => got.length > n)).toBe(true);
    expect(got[got.length - 1]!.secrets![0]!.data).toBe(b64('rotated'));
  });
});
