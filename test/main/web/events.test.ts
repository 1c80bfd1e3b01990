// The event stream over the web mode's WebSocket: a burst from the lab neither blocks requests nor
// gets reordered, and a page that stops reading is cut off instead of growing the server's memory.

import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent } from '../../../main/lab/protocol.ts';
import { startWebServer, type WebServer } from '../../../main/web/server.ts';
import { fakeLab } from './fake-lab.ts';

const servers: WebServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

async function authedSocket(server: WebServer): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`);
  sockets.push(ws);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ token: server.token }));
  return { ws, messages };
}

const logLine = (i: number): LabEvent => ({ type: 'logs', streamId: 's', lines: [`line ${i}`] });

describe('web mode events', () => {
  it('a burst of events neither blocks a request nor loses or reorders an event', async () => {
    const BURST = 10_000;
    const lab = fakeLab({
      // The lab emits the burst synchronously, inside a request, as a busy controller might.
      scaleService: async () => {
        for (let i = 0; i < BURST; i++) lab.emit(logLine(i));
      },
    });
    const server = await startWebServer({ api: lab, staticDir: '/nonexistent' });
    servers.push(server);
    const { ws, messages } = await authedSocket(server);
    ws.send(JSON.stringify({ id: 1, method: 'subscribe' }));
    ws.send(JSON.stringify({ id: 2, method: 'scaleService', params: { serviceId: 'x', replicas: 3 } }));
    ws.send(JSON.stringify({ id: 3, method: 'templates' }));
    await vi.waitFor(() => expect(messages.filter((m) => m.id === 3)).toHaveLength(1), { timeout: 10_000 });
    const events = messages.filter((m) => 'event' in m).map((m) => m.event as LabEvent);
    expect(events[0]!.type).toBe('snapshot');
    const lines = events.slice(1).map((e) => (e.type === 'logs' ? e.lines[0] : e.type));
    expect(lines).toEqual(Array.from({ length: BURST }, (_, i) => `line ${i}`));
    expect(messages.find((m) => m.id === 2)).toEqual({ id: 2 });
  });

  it('cuts off a page that stops reading (4008) and keeps serving the others', async () => {
    const lab = fakeLab();
    const server = await startWebServer({ api: lab, staticDir: '/nonexistent', maxBufferedBytes: 64 * 1024 });
    servers.push(server);
    const slow = await authedSocket(server);
    const fast = await authedSocket(server);
    let slowClose: { code: number; reason: string } | undefined;
    slow.ws.on('close', (code, reason) => (slowClose = { code, reason: reason.toString() }));
    slow.ws.send(JSON.stringify({ id: 1, method: 'subscribe' }));
    fast.ws.send(JSON.stringify({ id: 1, method: 'subscribe' }));
    await vi.waitFor(() => expect(lab.subscribers()).toBe(2), { timeout: 5000 });
    // The page's tab hangs: its socket stops reading, so the kernel's buffers fill, then the server's.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // Under the limit per round even if nothing drains meanwhile, so that only the stalled page is cut.
    const big = 'x'.repeat(8 * 1024);
    let sent = 0;
    await vi.waitFor(
      () => {
        for (let i = 0; i < 6; i++) lab.emit({ type: 'logs', streamId: 's', lines: [big, String(sent++)] });
        expect(lab.subscribers()).toBe(1);
      },
      { timeout: 30_000, interval: 5 },
    );
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await vi.waitFor(() => expect(slowClose).toEqual({ code: 4008, reason: 'too slow: events were dropped; reconnect for a fresh snapshot' }), { timeout: 10_000 });
    // The fast page got every event, then still gets answers.
    const fastEvents = () => fast.messages.filter((m) => 'event' in m).length;
    await vi.waitFor(() => expect(fastEvents()).toBe(1 + sent), { timeout: 20_000 });
    fast.ws.send(JSON.stringify({ id: 2, method: 'templates' }));
    await vi.waitFor(() => expect(fast.messages.some((m) => m.id === 2)).toBe(true), { timeout: 5000 });
  });
});
