// Send traffic: where the requests go (the published port, through a node without a task by
// default, only nodes with a task for host mode), and the run against a real local HTTP server
// standing in for a node's published port: one new connection per request, each answer an event
// naming the task that answered (from whoami's /api JSON), errors as events, then the end.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent, LabView } from '../../../main/lab/protocol.ts';
import { planTraffic, TrafficRunner, whoAnswered } from '../../../main/lab/traffic.ts';
import { parseRequest } from '../../../main/lab/requests.ts';
import { isNodeLink } from '../../../main/lab/node-links.ts';
import { lockDown } from '../../../main/electron/window.ts';
import type { WebContentsLike } from '../../../main/electron/electron-api.ts';

function lab(o: { mode?: 'ingress' | 'host'; image?: string; port?: number } = {}): LabView {
  const nodes = ['manager1', 'worker1', 'worker2'].map((h, i) => ({
    id: `id-${h}`, hostname: h, machine: h, role: (h.startsWith('manager') ? 'manager' : 'worker') as 'manager' | 'worker', leader: i === 0,
    state: 'ready' as const, availability: 'active' as const, addr: `127.0.0.${11 + i}`, labels: {},
  }));
  return {
    phase: 'running', stale: false, quorum: { managers: 1, reachable: 1, quorum: 1, canLose: 0 },
    machines: nodes.map((n) => ({ name: n.hostname, role: n.role, state: 'Running' as const, address: n.addr, nodeId: n.id })),
    nodes,
    services: [{ id: 'svc-who', name: 'who', image: o.image ?? 'swarmlab/whoami:1', mode: 'replicated', desired: 2, running: 2, ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: o.port ?? 8080, publishMode: o.mode ?? 'ingress' }], constraints: [], colorIndex: 0, createdAt: '', updatedAt: '' }],
    tasks: [
      { id: 'taskaaaaaaaaaaaa1', serviceId: 'svc-who', slot: 1, nodeId: 'id-manager1', state: 'running', desiredState: 'running', message: '', timestamp: '' },
      { id: 'taskbbbbbbbbbbbb2', serviceId: 'svc-who', slot: 2, nodeId: 'id-worker2', state: 'running', desiredState: 'running', message: '', timestamp: '' },
    ],
  };
}

describe('planTraffic', () => {
  it('asks the first node that runs no task, on the published port, at /api for whoami', () => {
    const p = planTraffic(lab(), { serviceId: 'svc-who' });
    expect(p).toMatchObject({ url: 'http://127.0.0.12:8080/api', viaHost: 'worker1', viaNodeId: 'id-worker1', count: 20, intervalMs: 200 });
    expect(planTraffic(lab({ image: 'nginx' }), { serviceId: 'who', viaNodeId: 'worker2', count: 3, rate: 10 })).toMatchObject({ url: 'http://127.0.0.13:8080/', viaHost: 'worker2', count: 3, intervalMs: 100 });
  });

  it('host mode: only a node with a task; no published port or an unknown node is an error that says why', () => {
    expect(planTraffic(lab({ mode: 'host' }), { serviceId: 'svc-who' }).viaHost).toBe('manager1');
    expect(() => planTraffic(lab({ mode: 'host' }), { serviceId: 'svc-who', viaNodeId: 'worker1' })).toThrow(/host mode.*worker1 runs none/);
    expect(() => planTraffic(lab(), { serviceId: 'svc-who', port: 9999 })).toThrow(/does not publish port 9999 \(it publishes 8080\)/);
    expect(() => planTraffic(lab(), { serviceId: 'svc-who', viaNodeId: 'nope' })).toThrow(/no node nope/);
    const v = lab();
    v.services[0]!.ports = [{ protocol: 'tcp', targetPort: 80, publishMode: 'ingress' }];
    expect(() => planTraffic(v, { serviceId: 'svc-who' })).toThrow(/publishes no TCP port/);
  });
});

describe('a traffic run against a real HTTP server', () => {
  let server: http.Server;
  let port = 0;
  const peers = new Set<number>();
  let n = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      peers.add(req.socket.remotePort!);
      const i = n++;
      if (req.url !== '/api') return void res.writeHead(404).end('not found');
      // Two tasks, answering in turn, as the mesh's round robin would.
      const slot = (i % 2) + 1;
      const id = slot === 1 ? 'taskaaaaaaaaaaaa1' : 'taskbbbbbbbbbbbb2';
      const node = slot === 1 ? 'manager1' : 'worker2';
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ hostname: id.slice(0, 12), ip: [`10.0.1.${slot + 1}`], node, nodeId: `id-${node}`, service: 'who', task: `who.${slot}.${id}`, slot, version: '1' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('makes each request on a new connection and reports who answered, in order, then the end', async () => {
    const events: LabEvent[] = [];
    const v = lab();
    const runner = new TrafficRunner({ emit: (e) => events.push(e), view: () => v });
    const { trafficId, done } = runner.start({ serviceId: 'svc-who', serviceName: 'who', url: `http://127.0.0.1:${port}/api`, viaHost: 'worker1', viaNodeId: 'id-worker1', count: 6, intervalMs: 20 });
    await done;
    const answers = events.flatMap((e) => (e.type === 'traffic' ? [e.answer] : []));
    expect(answers.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(answers.map((a) => a.taskId)).toEqual(['taskaaaaaaaaaaaa1', 'taskbbbbbbbbbbbb2', 'taskaaaaaaaaaaaa1', 'taskbbbbbbbbbbbb2', 'taskaaaaaaaaaaaa1', 'taskbbbbbbbbbbbb2']);
    expect(answers[1]).toMatchObject({ status: 200, node: 'worker2', nodeId: 'id-worker2', slot: 2, ip: ['10.0.1.3'], taskName: 'who.2.taskbbbbbbbbbbbb2', viaHost: 'worker1', count: 6 });
    expect(answers.every((a) => a.latencyMs >= 0 && a.error === undefined)).toBe(true);
    expect(peers.size).toBe(6);
    expect(events.at(-1)).toEqual({ type: 'traffic-end', trafficId, ok: 6, failed: 0 });
  });

  it('a refused connection is an answer with the error; a stop ends the run early', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const events: LabEvent[] = [];
    const runner = new TrafficRunner({ emit: (e) => events.push(e) });
    const { done } = runner.start({ serviceId: 's', serviceName: 's', url: `http://127.0.0.1:${dead}/`, viaHost: 'w', count: 2, intervalMs: 10 });
    await done;
    const first = events[0]!;
    expect(first.type === 'traffic' && first.answer.error).toMatch(/connection refused/);
    expect(events.at(-1)).toMatchObject({ type: 'traffic-end', ok: 0, failed: 2 });

    const more: LabEvent[] = [];
    const slow = new TrafficRunner({ emit: (e) => more.push(e) });
    const run = slow.start({ serviceId: 's', serviceName: 's', url: `http://127.0.0.1:${port}/api`, viaHost: 'w', count: 50, intervalMs: 100 });
    setTimeout(() => slow.stop(run.trafficId), 150);
    await run.done;
    expect(more.filter((e) => e.type === 'traffic').length).toBeLessThan(5);
    expect(more.at(-1)).toMatchObject({ type: 'traffic-end', error: 'stopped' });
  });

  it('a non-whoami answer gives its status only', () => {
    expect(whoAnswered({ status: 200, latencyMs: 1, body: '<html>', contentType: 'text/html' }, lab())).toEqual({});
  });
});

describe('the sendTraffic request and the links the app may open', () => {
  it('validates sendTraffic and stopTraffic', () => {
    expect(parseRequest('sendTraffic', { serviceId: 'web', count: 20, rate: 5, viaNodeId: 'n1', port: 8080, path: '/api' })).toEqual({ serviceId: 'web', count: 20, rate: 5, viaNodeId: 'n1', port: 8080, path: '/api' });
    expect(() => parseRequest('sendTraffic', { serviceId: 'web', count: 0 })).toThrow(/sendTraffic: count: expected a number of requests from 1 to 1000, got 0/);
    expect(() => parseRequest('sendTraffic', { serviceId: 'web', rate: 500 })).toThrow(/rate: expected requests per second/);
    expect(() => parseRequest('sendTraffic', { serviceId: 'web', path: 'api' })).toThrow(/path: expected a path starting with \//);
    expect(() => parseRequest('sendTraffic', { serviceId: 'web', via: 'x' })).toThrow(/unknown field "via"/);
    expect(parseRequest('stopTraffic', { trafficId: 'traffic-1' })).toEqual({ trafficId: 'traffic-1' });
  });

  it('opens outside only plain http links to a node of the lab, with a port', () => {
    const v = lab();
    expect(isNodeLink('http://127.0.0.12:8080/', v)).toBe(true);
    for (const bad of ['https://127.0.0.12:8080/', 'http://127.0.0.99:8080/', 'http://127.0.0.12/', 'http://user:pw@127.0.0.12:8080/', 'file:///etc/passwd', 'javascript:alert(1)', 'http://example.com:8080/', 'not a url']) {
      expect(isNodeLink(bad, v), bad).toBe(false);
    }
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    const contents = { on: () => {}, setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => (openHandler = h) } as unknown as WebContentsLike;
    const opened: string[] = [];
    lockDown(contents, { allowed: (url) => isNodeLink(url, v), open: (url) => opened.push(url) });
    expect(openHandler!({ url: 'http://127.0.0.12:8080/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['http://127.0.0.12:8080/']);
  });
});
