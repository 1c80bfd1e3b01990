// The renderer's WebSocket transport against the real web server and a fake lab: requests and
// errors, the event stream, reconnecting with a fresh snapshot, and a page without its token.

import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent } from '../../../main/lab/protocol.ts';
import { startWebServer, type WebServer } from '../../../main/web/server.ts';
import type { ConnectionStatus, LabClient } from '../../../renderer/api/client.ts';
import { createWsClient, type SocketLike } from '../../../renderer/api/ws-client.ts';
import { fakeLab, type FakeLab } from '../../main/web/fake-lab.ts';

const servers: WebServer[] = [];
const clients: LabClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(lab: FakeLab, port = 0, token?: string): Promise<WebServer> {
  const s = await startWebServer({ api: lab, staticDir: '/nonexistent', port, ...(token ? { token } : {}) });
  servers.push(s);
  return s;
}

function client(server: WebServer, opts: { token?: string | undefined } = {}): { c: LabClient; statuses: ConnectionStatus[] } {
  const c = createWsClient({
    url: `ws://127.0.0.1:${server.port}/api/ws`,
    token: 'token' in opts ? opts.token : server.token,
    connect: (url) => new WebSocket(url) as unknown as SocketLike,
    retry: { minMs: 20, maxMs: 200 },
  });
  clients.push(c);
  const statuses: ConnectionStatus[] = [];
  c.onStatus((s) => statuses.push(s));
  return { c, statuses };
}

describe('ws-client', () => {
  it('answers requests with the lab result, and fails with the lab message', async () => {
    const lab = fakeLab({
      createService: async (req) => ({ id: `svc-${req.name}` }),
      scaleService: async () => {
        throw new Error('service web is global: it cannot be scaled');
      },
    });
    const { c } = client(await serve(lab));
    await expect(c.createService({ name: 'web', image: 'swarmlab/web:blue', mode: 'replicated', replicas: 2 })).resolves.toEqual({ id: 'svc-web' });
    await expect(c.scaleService({ serviceId: 'web', replicas: 3 })).rejects.toMatchObject({ name: 'LabRequestError', message: 'service web is global: it cannot be scaled', method: 'scaleService' });
    await expect(c.destroyLab()).resolves.toBeUndefined();
    expect(lab.calls.map((x) => x.method)).toEqual(['createService', 'scaleService', 'destroyLab']);
    expect(lab.calls[0]!.params).toEqual({ name: 'web', image: 'swarmlab/web:blue', mode: 'replicated', replicas: 2 });
  });

  it('streams events to every listener, each subscribe starting with a snapshot; unsubscribing stops them', async () => {
    const lab = fakeLab();
    const { c } = client(await serve(lab));
    const a: LabEvent[] = [];
    const b: LabEvent[] = [];
    const stopA = c.subscribe((e) => a.push(e));
    await vi.waitFor(() => expect(a.map((e) => e.type)).toEqual(['snapshot']), { timeout: 5000 });
    lab.emit({ type: 'timeline', entry: { seq: 1, time: 't', kind: 'leader', severity: 'info', text: 'm1 is the leader' } });
    await vi.waitFor(() => expect(a.map((e) => e.type)).toEqual(['snapshot', 'timeline']), { timeout: 5000 });
    const stopB = c.subscribe((e) => b.push(e));
    await vi.waitFor(() => expect(b.map((e) => e.type)).toEqual(['snapshot']), { timeout: 5000 });
    stopA();
    stopA();
    stopB();
    await vi.waitFor(() => expect(lab.subscribers()).toBe(0), { timeout: 5000 });
  });

  it('reconnects after the server went away, subscribes again and gets a fresh snapshot', async () => {
    let hang: Promise<void> = new Promise(() => {});
    const lab = fakeLab({ createLab: () => hang });
    const first = await serve(lab);
    const { c, statuses } = client(first);
    const events: LabEvent[] = [];
    c.subscribe((e) => events.push(e));
    await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 5000 });

    const inFlight = c.createLab({ template: 'default' });
    await vi.waitFor(() => expect(lab.calls.map((x) => x.method)).toContain('createLab'), { timeout: 5000 });
    const failed = expect(inFlight).rejects.toThrow('the swarmlab server is shutting down; the request may or may not have been carried out');
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await failed;
    await vi.waitFor(() => expect(statuses.at(-1)?.state).toBe('reconnecting'), { timeout: 5000 });

    // Made while offline: it waits for the connection, then goes through.
    const waiting = c.templates();
    hang = Promise.resolve();
    await serve(lab, first.port, first.token);
    await expect(waiting).resolves.toBeUndefined();
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['snapshot', 'snapshot']), { timeout: 5000 });
    expect(events[1]).toMatchObject({ view: { name: 'snapshot 2' } });
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('stops for good when the server refuses its token, and says why', async () => {
    const lab = fakeLab();
    const { c, statuses } = client(await serve(lab), { token: 'not-the-token' });
    const req = c.templates();
    await expect(req).rejects.toThrow(/swarmlab refused this page: unauthorized: wrong token/);
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'unauthorized']);
    await expect(c.images()).rejects.toThrow(/refused/);
    expect(lab.calls).toEqual([]);
  });

  it('does not connect without a token, and tells the page to open the printed address', async () => {
    const lab = fakeLab();
    const { c, statuses } = client(await serve(lab), { token: undefined });
    expect(statuses).toEqual([{ state: 'unauthorized', reason: expect.stringContaining('opened without its token') }]);
    await expect(c.templates()).rejects.toThrow(/#token=/);
  });

  it('close() fails what waits and stops reconnecting', async () => {
    const lab = fakeLab({ createLab: () => new Promise(() => {}) });
    const { c, statuses } = client(await serve(lab));
    const pending = c.createLab({ template: 'default' });
    c.close();
    await expect(pending).rejects.toThrow(/closed its connection/);
    expect(statuses.at(-1)?.state).toBe('closed');
    await expect(c.templates()).rejects.toThrow(/closed/);
  });
});
