// Consoles and log streams belong to the page that opened them: closed when it is gone for good,
// kept while it reconnects within the grace period.

import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startWebServer, type WebServer } from '../../../main/web/server.ts';
import { fakeLab, type FakeLab } from './fake-lab.ts';

const servers: WebServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

function labWithConsoles(): FakeLab {
  let n = 0;
  return fakeLab({ openConsole: async () => ({ consoleId: `c${++n}` }), openLogs: async () => ({ streamId: `l${++n}` }) });
}

/** A page's connection: sends the token and page ID, then requests one at a time. */
async function connect(server: WebServer, page?: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`);
  sockets.push(ws);
  const replies = new Map<number, unknown>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
    if (m.id !== undefined) replies.set(m.id, m.result);
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ token: server.token, ...(page ? { page } : {}) }));
  let id = 0;
  return {
    async call(method: string, params: unknown) {
      const mine = ++id;
      ws.send(JSON.stringify({ id: mine, method, params }));
      await vi.waitFor(() => expect(replies.has(mine)).toBe(true), { timeout: 5000 });
      return replies.get(mine);
    },
    async close() {
      const closed = new Promise((r) => ws.once('close', r));
      ws.close();
      await closed;
    },
  };
}

const closes = (lab: FakeLab) => lab.calls.filter((c) => c.method === 'closeConsole' || c.method === 'closeLogs');

describe('page resources', () => {
  it("closes what a page left open once it is gone, and nothing it closed itself or another page's", async () => {
    const lab = labWithConsoles();
    const server = await startWebServer({ api: lab, staticDir: '/nonexistent', pageGraceMs: 100 });
    servers.push(server);
    const a = await connect(server, 'page-a');
    const b = await connect(server, 'page-b');
    expect(await a.call('openConsole', { machine: 'm1', cols: 80, rows: 24 })).toEqual({ consoleId: 'c1' });
    expect(await a.call('openConsole', { machine: 'm2', cols: 80, rows: 24 })).toEqual({ consoleId: 'c2' });
    expect(await a.call('openLogs', { serviceId: 'web' })).toEqual({ streamId: 'l3' });
    expect(await b.call('openConsole', { machine: 'm1', cols: 80, rows: 24 })).toEqual({ consoleId: 'c4' });
    await a.call('closeConsole', { consoleId: 'c1' });
    await a.close();
    await vi.waitFor(() => expect(closes(lab)).toHaveLength(3), { timeout: 5000 });
    expect(closes(lab)).toEqual([
      { method: 'closeConsole', params: { consoleId: 'c1' } },
      { method: 'closeConsole', params: { consoleId: 'c2' } },
      { method: 'closeLogs', params: { streamId: 'l3' } },
    ]);
  });

  it('keeps them for a page that reconnects within the grace period, until it is gone', async () => {
    const lab = labWithConsoles();
    const GRACE = 300;
    const server = await startWebServer({ api: lab, staticDir: '/nonexistent', pageGraceMs: GRACE });
    servers.push(server);
    const first = await connect(server, 'page-a');
    await first.call('openConsole', { machine: 'm1', cols: 80, rows: 24 });
    await first.close();
    const again = await connect(server, 'page-a');
    await again.call('templates', undefined);
    // The page stays past the grace period of its first connection: the console must outlive it.
    await new Promise((r) => setTimeout(r, GRACE * 2));
    expect(closes(lab)).toEqual([]);
    const left = Date.now();
    await again.close();
    await vi.waitFor(() => expect(closes(lab)).toEqual([{ method: 'closeConsole', params: { consoleId: 'c1' } }]), { timeout: 5000 });
    expect(Date.now() - left).toBeGreaterThanOrEqual(GRACE - 20);
  });

  it('a client that names no page owns what it opens for its connection only', async () => {
    const lab = labWithConsoles();
    const server = await startWebServer({ api: lab, staticDir: '/nonexistent', pageGraceMs: 60_000 });
    servers.push(server);
    const script = await connect(server);
    await script.call('openConsole', { machine: 'm1', cols: 80, rows: 24 });
    await script.close();
    await vi.waitFor(() => expect(closes(lab)).toEqual([{ method: 'closeConsole', params: { consoleId: 'c1' } }]), { timeout: 5000 });
  });
});
