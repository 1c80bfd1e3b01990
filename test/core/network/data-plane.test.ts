// Two nodes' data planes over real loopback sockets (node n1 on 127.0.0.1, n2 on 127.0.0.2, each
// with its own tunnel port), a hand-made network map, and real HTTP servers standing in for the
// tasks (each answers with its task ID): names resolve on the task's own networks only, a virtual
// IP is balanced round robin across both nodes' tasks (the remote one through the tunnel), a task
// that refuses is passed over, other networks are unreachable, a draining task gets no new
// connection, the tunnel refuses bad headers and unknown tasks, the routing mesh publishes ingress
// ports on every node and host-mode ports only where a task runs.
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkObject, TaskObject } from '../../../core/api/objects.ts';
import type { ListenedAddress } from '../../../core/executor/program.ts';
import { DataPlane } from '../../../core/network/data-plane.ts';
import type { MapTask, NetworkMap } from '../../../core/network/map.ts';
import { dialTunnel } from '../../../core/network/tunnel.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

const HOSTS = { n1: '127.0.0.1', n2: '127.0.0.2' } as const;
type NodeId = keyof typeof HOSTS;

// ---- helpers: deadlines, ports, HTTP over a socket ----------------------------------------------------

async function until(pred: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** A port free on both loopback hosts (for a published port both planes listen on). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const a = net.createServer();
    const port = await listen(a, HOSTS.n1, 0);
    const b = net.createServer();
    const ok = await listen(b, HOSTS.n2, port).then(
      () => true,
      () => false,
    );
    await close(a);
    if (ok) await close(b);
    if (ok) return port;
  }
  throw new Error('no port free on both hosts');
}

/** A port where nothing listens (one just closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s, HOSTS.n1, 0);
  await close(s);
  return port;
}

/** One HTTP/1.0 request over a connected socket; the response body. */
function httpOver(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', reject);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString();
      const i = text.indexOf('\r\n\r\n');
      if (!text.startsWith('HTTP/1.1 200') || i < 0) return reject(new Error(`bad response: ${JSON.stringify(text)}`));
      resolve(text.slice(i + 4));
    });
    socket.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    // A tunnelled socket comes back paused (its header read): the caller starts the flow.
    socket.resume();
  });
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const canConnect = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function rejection(p: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await p;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('expected a rejection');
}

/** The answer line a tunnel gives to a raw header. */
function tunnelAnswer(dataAddr: string, header: string): Promise<string> {
  const i = dataAddr.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: dataAddr.slice(0, i), port: Number(dataAddr.slice(i + 1)) });
    let buf = '';
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('data', (c: Buffer) => (buf += c.toString()));
    s.once('error', reject);
    s.once('close', () => resolve(buf));
    s.once('connect', () => s.write(header));
  });
}

// ---- the lab: two planes, task servers, the map --------------------------------------------------------

const NET = {
  ingress: { id: 'net-ingress', name: 'ingress', subnet: '10.0.0.0/24', ingress: true },
  app: { id: 'net-app', name: 'app', subnet: '10.0.1.0/24', ingress: false },
  other: { id: 'net-other', name: 'other', subnet: '10.0.2.0/24', ingress: false },
};

interface Lab {
  planes: Record<NodeId, DataPlane>;
  /** Where each task's server listens (container port 80); a task missing here does not listen. */
  endpoints: Map<string, ListenedAddress>;
  servers: http.Server[];
  logs: string[];
  map: NetworkMap;
  ingressPort: number;
  hostPort: number;
  /** Which node each task lives on (its node's plane alone reaches it). */
  homes: Record<string, NodeId>;
  /** The client task on n1, attached to app only. */
  client: TaskObject;
}

let lab: Lab;

const task = (id: string, serviceId: string, nodeId: NodeId, addrs: Record<string, string>, running = true): MapTask => ({
  id,
  name: `${serviceId.replace(/^s-/, '')}.${id.slice(-1)}.${id}`,
  serviceId,
  nodeId,
  running,
  addrs,
});

function buildMap(version: number, dataAddrs: Record<NodeId, string>, ingressPort: number, hostPort: number, tasks?: MapTask[]): NetworkMap {
  return {
    version,
    networks: [NET.app, NET.ingress, NET.other],
    services: [
      {
        id: 's-api',
        name: 'api',
        endpointMode: 'vip',
        vips: [
          { networkId: NET.ingress.id, addr: '10.0.0.2' },
          { networkId: NET.app.id, addr: '10.0.1.2' },
        ],
        aliases: { [NET.app.id]: ['backend'] },
        ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: ingressPort, PublishMode: 'ingress' }],
      },
      { id: 's-db', name: 'db', endpointMode: 'dnsrr', vips: [], aliases: {}, ports: [] },
      { id: 's-hidden', name: 'hidden', endpointMode: 'vip', vips: [{ networkId: NET.other.id, addr: '10.0.2.2' }], aliases: {}, ports: [] },
      { id: 's-host', name: 'hostsvc', endpointMode: 'vip', vips: [], aliases: {}, ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: hostPort, PublishMode: 'host' }] },
    ],
    tasks: tasks ?? [
      task('t-a1', 's-api', 'n1', { [NET.ingress.id]: '10.0.0.3', [NET.app.id]: '10.0.1.3' }),
      task('t-a2', 's-api', 'n2', { [NET.ingress.id]: '10.0.0.4', [NET.app.id]: '10.0.1.4' }),
      // Starting, not yet a backend.
      task('t-a3', 's-api', 'n2', { [NET.ingress.id]: '10.0.0.5', [NET.app.id]: '10.0.1.5' }, false),
      task('t-d1', 's-db', 'n1', { [NET.app.id]: '10.0.1.6' }),
      task('t-d2', 's-db', 'n2', { [NET.app.id]: '10.0.1.7' }),
      task('t-h1', 's-host', 'n1', {}),
      task('t-o1', 's-hidden', 'n2', { [NET.other.id]: '10.0.2.3' }),
    ],
    nodes: [
      { id: 'n1', addr: HOSTS.n1, dataAddr: dataAddrs.n1, ready: true },
      { id: 'n2', addr: HOSTS.n2, dataAddr: dataAddrs.n2, ready: true },
    ],
  };
}

const taskObject = (id: string, networks: (keyof typeof NET)[]): TaskObject =>
  ({
    ID: id,
    ServiceID: 's-client',
    NodeID: 'n1',
    Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
    Status: { State: 'running', Message: '', Timestamp: '' },
    DesiredState: 'running',
    NetworksAttachments: networks.map((n, i) => ({
      Network: { ID: NET[n].id, Spec: { Name: NET[n].name, ...(NET[n].ingress ? { Ingress: true } : {}) } } as NetworkObject,
      Addresses: [`${NET[n].subnet.replace(/0\/24$/, '')}${200 + i}/24`],
    })),
  }) as TaskObject;

beforeEach(async () => {
  const endpoints = new Map<string, ListenedAddress>();
  const servers: http.Server[] = [];
  for (const id of ['t-a1', 't-a2', 't-a3', 't-d1', 't-d2', 't-h1', 't-o1']) {
    const s = http.createServer((_req, res) => res.end(id));
    servers.push(s);
    endpoints.set(id, { host: HOSTS.n1, port: await listen(s, HOSTS.n1, 0) });
  }
  const logs: string[] = [];
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1) });
  const homes: Record<string, NodeId> = { 't-a1': 'n1', 't-d1': 'n1', 't-h1': 'n1', 't-a2': 'n2', 't-a3': 'n2', 't-d2': 'n2', 't-o1': 'n2' };
  const plane = (nodeId: NodeId) =>
    new DataPlane({
      nodeId,
      host: HOSTS[nodeId],
      dataPort: 0,
      clock,
      // Each node reaches only its own tasks.
      local: { endpoint: (taskId, port) => (lab.homes[taskId] === nodeId && port === 80 ? endpoints.get(taskId) : undefined) },
      logger: (line) => logs.push(`${nodeId}: ${line}`),
    });
  const planes = { n1: plane('n1'), n2: plane('n2') };
  lab = { planes, endpoints, servers, logs, homes, client: taskObject('t-c1', ['app']) } as Lab;
  const dataAddrs = { n1: await planes.n1.start(), n2: await planes.n2.start() };
  expect(dataAddrs.n1).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(dataAddrs.n2).toMatch(/^127\.0\.0\.2:\d+$/);
  const ingressPort = await freePort();
  const hostPort = await freePort();
  const map = buildMap(1, dataAddrs, ingressPort, hostPort);
  planes.n1.setMap(map);
  planes.n2.setMap(map);
  lab = { ...lab, map, ingressPort, hostPort };
});

afterEach(async () => {
  await Promise.all(Object.values(lab.planes).map((p) => p.close()));
  for (const s of lab.servers) s.closeAllConnections();
  await Promise.all(lab.servers.map((s) => close(s)));
});

const fromN1 = (t: TaskObject = lab.client) => lab.planes.n1.taskNetwork(t);
const fromN2 = (t: TaskObject) => lab.planes.n2.taskNetwork(t);

describe('data plane: names', () => {
  it('a task resolves names on its own networks: VIP, alias, tasks.NAME, dnsrr, task names, literals', async () => {
    const n = fromN1();
    expect(n.addresses).toEqual(['10.0.1.200']);
    expect(await n.lookup('api')).toEqual(['10.0.1.2']);
    expect(await n.lookup('API.')).toEqual(['10.0.1.2']);
    expect(await n.lookup('backend')).toEqual(['10.0.1.2']);
    // Running tasks only: t-a3 is starting.
    expect(await n.lookup('tasks.api')).toEqual(['10.0.1.3', '10.0.1.4']);
    expect((await n.lookup('db')).sort()).toEqual(['10.0.1.6', '10.0.1.7']);
    expect((await n.lookup('tasks.db')).sort()).toEqual(['10.0.1.6', '10.0.1.7']);
    expect(await n.lookup('api.1.t-a1')).toEqual(['10.0.1.3']);
    expect(await n.lookup('10.9.9.9')).toEqual(['10.9.9.9']);
    expect(await n.lookup('localhost')).toEqual(['127.0.0.1']);
  });

  it('dnsrr answers rotate, as round robin DNS does', async () => {
    const n = fromN1();
    const first = await n.lookup('db');
    const second = await n.lookup('db');
    expect(second).toEqual([...first].reverse());
  });

  it('unknown names and names on networks the task is not attached to are ENOTFOUND', async () => {
    const n = fromN1();
    for (const name of ['nope', 'tasks.nope', 'hidden', 'tasks.hidden', 'o.1.t-o1']) {
      const err = await rejection(n.lookup(name));
      expect(err.code, name).toBe('ENOTFOUND');
    }
    // A task on `other` does see `hidden`, and not `api`.
    const o = fromN1(taskObject('t-c2', ['other']));
    expect(await o.lookup('hidden')).toEqual(['10.0.2.2']);
    expect((await rejection(o.lookup('api'))).code).toBe('ENOTFOUND');
    // The ingress network carries the mesh's traffic only: no names resolve on it.
    const i = fromN1(taskObject('t-c3', ['ingress']));
    expect((await rejection(i.lookup('api'))).code).toBe('ENOTFOUND');
    expect((await rejection(i.lookup('tasks.api'))).code).toBe('ENOTFOUND');
  });
});

describe('data plane: connections', () => {
  it('a connection to the VIP is round robin across the tasks of both nodes, the remote one through the tunnel', async () => {
    const n = fromN1();
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await httpOver(await n.connect('api', 80)));
    // Where a node starts is its own (staggered per node); from there, turn by turn.
    expect([...got].sort()).toEqual(['t-a1', 't-a1', 't-a2', 't-a2']);
    expect(got[1]).not.toBe(got[0]);
    expect(got[2]).toBe(got[0]);
    expect(got[3]).toBe(got[1]);
    // By address too, and by alias: the same turn goes on.
    expect(await httpOver(await n.connect('10.0.1.2', 80))).toBe(got[0]);
    expect(await httpOver(await n.connect('backend', 80))).toBe(got[1]);
    // From the other node, the same service.
    const m = fromN2({ ...lab.client, ID: 't-c9', NodeID: 'n2' });
    const there: string[] = [];
    for (let i = 0; i < 2; i++) there.push(await httpOver(await m.connect('api', 80)));
    expect(there.sort()).toEqual(['t-a1', 't-a2']);
  });

  it('a task address and a dnsrr name connect to that task, across nodes', async () => {
    const n = fromN1();
    expect(await httpOver(await n.connect('10.0.1.4', 80))).toBe('t-a2');
    expect(await httpOver(await n.connect('api.2.t-a2', 80))).toBe('t-a2');
    const viaDns = [await httpOver(await n.connect('db', 80)), await httpOver(await n.connect('db', 80))];
    expect(viaDns.sort()).toEqual(['t-d1', 't-d2']);
  });

  it('a task that refuses is passed over and the connection still succeeds', async () => {
    // t-a2's server is gone: n2's tunnel answers ERR ECONNREFUSED.
    lab.endpoints.set('t-a2', { host: HOSTS.n1, port: await deadPort() });
    const n = fromN1();
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await httpOver(await n.connect('api', 80)));
    expect(got).toEqual(['t-a1', 't-a1', 't-a1', 't-a1']);
    expect(lab.logs.filter((l) => l.startsWith('n1: task api.2.t-a2 (node n2) refused a connection to port 80'))).toHaveLength(1);
    // With no task left that accepts, the connection is refused.
    lab.endpoints.set('t-a1', { host: HOSTS.n1, port: await deadPort() });
    expect((await rejection(n.connect('api', 80))).code).toBe('ECONNREFUSED');
  });

  it('an address on a network the task is not attached to is EHOSTUNREACH', async () => {
    const n = fromN1();
    for (const addr of ['10.0.2.3', '10.0.2.2', '10.0.0.3']) {
      const err = await rejection(n.connect(addr, 80));
      expect(err.code, addr).toBe('EHOSTUNREACH');
    }
    expect((await rejection(n.connect('nope', 80))).code).toBe('ENOTFOUND');
  });

  it('a draining task gets no new connection, from its node or through the tunnel', async () => {
    const held = await fromN1().connect('10.0.1.3', 80); // open to t-a1
    let drained = false;
    const drain = lab.planes.n1.drain('t-a1').then(() => (drained = true));
    const n = fromN1();
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(await httpOver(await n.connect('api', 80)));
    expect(got).toEqual(['t-a2', 't-a2', 't-a2']);
    // n2 does not know t-a1 drains: n1's tunnel refuses it and n2 goes on to t-a2.
    const m = fromN2({ ...lab.client, ID: 't-c9', NodeID: 'n2' });
    const there: string[] = [];
    for (let i = 0; i < 3; i++) there.push(await httpOver(await m.connect('api', 80)));
    expect(there).toEqual(['t-a2', 't-a2', 't-a2']);
    expect(drained).toBe(false);
    // The open connection still works; once it ends, drain resolves.
    expect(await httpOver(held)).toBe('t-a1');
    await drain;
    expect(drained).toBe(true);
    // Forgotten (the task is gone): a task of that ID would be served again.
    lab.planes.n1.forget('t-a1');
    expect(await httpOver(await n.connect('10.0.1.3', 80))).toBe('t-a1');
  });
});

describe('data plane: the tunnel', () => {
  it('answers a bad header with ERR, an unknown task with ERR ECONNREFUSED, a known one with OK', async () => {
    const n2 = lab.map.nodes.find((x) => x.id === 'n2')!.dataAddr!;
    expect(await tunnelAnswer(n2, 'HELLO\n')).toMatch(/^ERR ECONNRESET bad tunnel header\n$/);
    expect(await tunnelAnswer(n2, 'SWL1 t-a2 eighty net-app\n')).toMatch(/^ERR /);
    expect(await tunnelAnswer(n2, 'SWL1 t-nope 80 net-app\n')).toMatch(/^ERR ECONNREFUSED .*t-nope/);
    // t-a1 lives on n1, not n2.
    expect(await tunnelAnswer(n2, 'SWL1 t-a1 80 net-app\n')).toMatch(/^ERR ECONNREFUSED /);
    const socket = await dialTunnel(n2, { taskId: 't-a2', port: 80, networkId: NET.app.id });
    expect(await httpOver(socket)).toBe('t-a2');
    const err = await rejection(dialTunnel(n2, { taskId: 't-nope', port: 80, networkId: NET.app.id }));
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('data plane: published ports', () => {
  it('an ingress port listens on every node and balances across all running tasks', async () => {
    for (const host of [HOSTS.n1, HOSTS.n2]) await until(() => canConnect(host, lab.ingressPort), 5000, `${host}:${lab.ingressPort}`);
    for (const host of [HOSTS.n1, HOSTS.n2]) {
      const got = new Set<string>();
      for (let i = 0; i < 4; i++) got.add(await httpGet(host, lab.ingressPort));
      expect([...got].sort(), host).toEqual(['t-a1', 't-a2']);
    }
  });

  it('an ingress port stops listening when the service no longer publishes it', async () => {
    await until(() => canConnect(HOSTS.n2, lab.ingressPort), 5000, 'ingress port');
    const map = { ...lab.map, version: 2, services: lab.map.services.map((s) => (s.id === 's-api' ? { ...s, ports: [] } : s)) };
    lab.planes.n2.setMap(map);
    await until(async () => !(await canConnect(HOSTS.n2, lab.ingressPort)), 5000, 'the ingress port closed');
    // An older map is ignored.
    lab.planes.n2.setMap({ ...lab.map, version: 1 });
    expect(lab.planes.n2.map.version).toBe(2);
  });

  it('a host-mode port listens only where a task of the service runs, and goes when the map says it no longer does', async () => {
    await until(() => canConnect(HOSTS.n1, lab.hostPort), 5000, 'host port on n1');
    expect(await httpGet(HOSTS.n1, lab.hostPort)).toBe('t-h1');
    // n2 runs no task of hostsvc: nothing listens there (the ingress port there proves n2 has its map).
    await until(() => canConnect(HOSTS.n2, lab.ingressPort), 5000, 'ingress port on n2');
    expect(await canConnect(HOSTS.n2, lab.hostPort)).toBe(false);

    const tasks = lab.map.tasks.map((t) => (t.id === 't-h1' ? { ...t, running: false } : t));
    lab.planes.n1.setMap({ ...lab.map, version: 2, tasks });
    await until(async () => !(await canConnect(HOSTS.n1, lab.hostPort)), 5000, 'the host port closed on n1');

    // The task runs again, now on n2: the port follows it.
    const moved = lab.map.tasks.map((t) => (t.id === 't-h1' ? { ...t, running: true, nodeId: 'n2' } : t));
    lab.planes.n2.setMap({ ...lab.map, version: 3, tasks: moved });
    lab.planes.n1.setMap({ ...lab.map, version: 3, tasks: moved });
    lab.homes['t-h1'] = 'n2';
    await until(() => canConnect(HOSTS.n2, lab.hostPort), 5000, 'host port on n2');
    expect(await httpGet(HOSTS.n2, lab.hostPort)).toBe('t-h1');
    expect(await canConnect(HOSTS.n1, lab.hostPort)).toBe(false);
  });
});
