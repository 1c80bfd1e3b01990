// The web mode in real Chromium: the server (with a fake lab) serves a page whose WebSocket client is
// the renderer's own; the page authenticates with the token from its address, completes a request
// and receives the event stream, and nothing on it trips the CSP.

import { build } from 'esbuild';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../main/web/server.ts';
import { fakeLab, type FakeLab } from '../main/web/fake-lab.ts';
import { launchBrowser, type UiBrowser, type UiSession } from './browser.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
let dir: string;
let lab: FakeLab;
let server: WebServer;
let browser: UiBrowser | undefined;
const sessions: UiSession[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-ui-'));
  await build({ entryPoints: [join(fixtures, 'smoke-page.ts')], outfile: join(dir, 'smoke-page.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning' });
  await copyFile(join(fixtures, 'smoke-page.html'), join(dir, 'index.html'));
  lab = fakeLab({ templates: async () => [{ id: 'default', title: '3 managers + 2 workers', managers: 3, workers: 2 }] });
  server = await startWebServer({ api: lab, staticDir: dir });
  browser = await launchBrowser();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(url: string): Promise<UiSession> {
  const s = await browser!.open(url);
  sessions.push(s);
  return s;
}

describe('web mode in Chromium', () => {
  it('the page connects with its token, completes a request and receives events', async () => {
    const { page, problems, screenshot } = await open(server.url);
    const lines = page.locator('#out li');
    await expect.poll(() => lines.allTextContents(), { timeout: 15_000 }).toEqual(expect.arrayContaining(['status open', 'event snapshot', 'templates default']));
    lab.emit({ type: 'timeline', entry: { seq: 1, time: new Date().toISOString(), kind: 'leader', severity: 'info', text: 'm2 is the new leader' } });
    await expect.poll(() => lines.allTextContents(), { timeout: 15_000 }).toContain('event timeline: m2 is the new leader');
    // The token left the address bar (a projected screen must not show it).
    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`);
    await screenshot('web-smoke');
    expect(problems).toEqual([]);
    expect(lab.calls.map((c) => c.method)).toEqual(['templates']);
  });

  it('the page opened without its token says so and reaches nothing', async () => {
    const before = lab.calls.length;
    const { page, screenshot } = await open(`http://127.0.0.1:${server.port}/`);
    const lines = page.locator('#out li');
    await expect.poll(() => lines.allTextContents(), { timeout: 15_000 }).toEqual(
      expect.arrayContaining([expect.stringMatching(/^status unauthorized: this page was opened without its token/), expect.stringMatching(/^error /)]),
    );
    await screenshot('web-smoke-no-token');
    expect(lab.calls.length).toBe(before);
  });
});
