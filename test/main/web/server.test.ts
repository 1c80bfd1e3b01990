// The web mode's HTTP side and its guards: the token on every API request, Host and Origin against
// DNS rebinding, the page's security headers, the placeholder before the renderer is built.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startWebServer, type WebServer } from '../../../main/web/server.ts';
import { tokenMatches } from '../../../main/web/token.ts';
import { fakeLab, type FakeLab } from './fake-lab.ts';

let dir: string;
let lab: FakeLab;
let server: WebServer;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-web-'));
  lab = fakeLab({ templates: async () => [{ id: 'default', title: '3 managers + 2 workers', managers: 3, workers: 2 }] });
  server = await startWebServer({ api: lab, staticDir: join(dir, 'renderer'), authTimeoutMs: 300 });
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const post = (method: string, token: string | undefined, body: unknown) =>
  http(`/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });

/** Opens a socket and resolves with how the server closed it (or 'open' when it stays open). */
function wsOutcome(opts: { origin?: string; host?: string; first?: string }): Promise<{ code: number; reason: string } | { error: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, {
      ...(opts.origin ? { origin: opts.origin } : {}),
      ...(opts.host ? { headers: { Host: opts.host } } : {}),
    });
    sockets.push(ws);
    ws.on('open', () => {
      if (opts.first !== undefined) ws.send(opts.first);
    });
    ws.on('unexpected-response', (_req, res) => resolve({ error: String(res.statusCode) }));
    ws.on('error', (err) => resolve({ error: err.message }));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

describe('web server', () => {
  it('prints a URL on 127.0.0.1 with the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serves a placeholder that says how to build the renderer until it is built, with strict headers', async () => {
    const r = await http('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('the renderer is not built');
    expect(r.body).toContain('npm run build');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('serves the renderer bundle once built, and nothing outside it', async () => {
    await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
    await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>swarmlab</title>');
    await writeFile(join(dir, 'renderer', 'assets', 'app-1234.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'secret');
    const index = await http('/');
    expect(index.body).toBe('<!doctype html><title>swarmlab</title>');
    expect(index.headers['cache-control']).toBe('no-store');
    const js = await http('/assets/app-1234.js');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await http('/../secret.txt')).status).toBe(404);
    expect((await http('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await http('/nothing.js')).status).toBe(404);
  });

  it('refuses API requests without the token, or with a wrong one (401), and answers with it', async () => {
    const none = await post('templates', undefined, {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.message).toMatch(/unauthorized/);
    expect((await post('templates', 'x'.repeat(43), {})).status).toBe(401);
    expect((await post('templates', '', {})).status).toBe(401);
    expect(lab.calls).toEqual([]);
    const ok = await post('templates', server.token, {});
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).result).toEqual([{ id: 'default', title: '3 managers + 2 workers', managers: 3, workers: 2 }]);
  });

  it('refuses bad params with the controller\'s message (400)', async () => {
    const r = await post('scaleService', server.token, { serviceId: 'web', replicas: -1 });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.message).toMatch(/^scaleService: replicas: /);
    expect(lab.calls).toEqual([]);
  });

  it('answers an unknown method 404 and a lab failure 400 with its message', async () => {
    expect((await post('shutdown', server.token, {})).status).toBe(404);
    const failing = await startWebServer({ api: fakeLab({ destroyLab: async () => { throw new Error('there is no lab to destroy'); } }), staticDir: dir });
    try {
      const r = await new Promise<Response>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: failing.port, path: '/api/destroyLab', method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${failing.token}` } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end('{}');
      });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ error: { message: 'there is no lab to destroy' } });
    } finally {
      await failing.close();
    }
  });

  it('refuses a Host that is not its own (DNS rebinding), for pages and the API', async () => {
    const page = await http('/', { headers: { Host: `rebind.example:${server.port}` } });
    expect(page.status).toBe(403);
    expect(page.body).toContain('Host');
    const api = await http('/api/templates', { method: 'POST', headers: { Host: `rebind.example:${server.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: '{}' });
    expect(api.status).toBe(403);
    expect(lab.calls).toEqual([]);
    expect((await http('/', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('refuses a WebSocket from another Origin or Host before it opens', async () => {
    expect(await wsOutcome({ origin: 'http://evil.example', first: JSON.stringify({ token: server.token }) })).toEqual({ error: '403' });
    expect(await wsOutcome({ host: `rebind.example:${server.port}`, first: JSON.stringify({ token: server.token }) })).toEqual({ error: '403' });
    expect(lab.calls).toEqual([]);
  });

  it('closes a WebSocket whose first message is not the right token (4401, with the reason)', async () => {
    expect(await wsOutcome({ first: JSON.stringify({ token: 'wrong' }) })).toEqual({ code: 4401, reason: 'unauthorized: wrong token' });
    expect(await wsOutcome({ first: JSON.stringify({ id: 1, method: 'templates' }) })).toEqual({ code: 4401, reason: 'unauthorized: the first message must be {"token": ...}' });
    expect(await wsOutcome({})).toEqual({ code: 4401, reason: 'unauthorized: no token was sent' });
    expect(lab.calls).toEqual([]);
  });

  it('accepts a WebSocket from its own origin with the token, and answers requests on it', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, { origin: `http://127.0.0.1:${server.port}` });
    sockets.push(ws);
    const replies: unknown[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ token: server.token }));
    ws.send(JSON.stringify({ id: 7, method: 'templates' }));
    ws.send(JSON.stringify({ id: 8, method: 'nope' }));
    await vi.waitFor(() => expect(replies).toHaveLength(3), { timeout: 5000 });
    expect(replies[0]).toEqual({ ready: true });
    expect(replies).toContainEqual({ id: 7, result: [{ id: 'default', title: '3 managers + 2 workers', managers: 3, workers: 2 }] });
    expect(replies).toContainEqual({ id: 8, error: { message: expect.stringMatching(/^unknown method "nope"/) } });
  });

  it('does not start on a port that is taken, and says which', async () => {
    await expect(startWebServer({ api: lab, staticDir: dir, port: server.port })).rejects.toThrow(`port ${server.port} on 127.0.0.1 is already in use`);
  });
});

describe('token', () => {
  it('matches only the same string', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
    expect(tokenMatches(42, 'abc')).toBe(false);
  });
});
