// The real renderer (dist/renderer, built by the tests' global setup) in Chromium over the web
// mode's WebSocket, against the renderer's own pretend cluster as the lab: it draws the cluster
// under the strict CSP without a complaint, and an action goes to the lab and comes back as events.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendererDir } from '../../main/web/renderer-dir.ts';
import { startWebServer, type WebServer } from '../../main/web/server.ts';
import { DemoLabApi } from '../../renderer/demo/demo-api.ts';
import { launchBrowser, type UiBrowser } from './browser.ts';

let server: WebServer;
let lab: DemoLabApi;
let browser: UiBrowser | undefined;
const added: unknown[] = [];

beforeAll(async () => {
  if (!existsSync(join(rendererDir(), 'index.html'))) throw new Error(`the renderer is not built (${rendererDir()}): npm run build:renderer`);
  lab = new DemoLabApi({ seed: 1 });
  const addMachine = lab.addMachine.bind(lab);
  lab.addMachine = async (req) => {
    added.push(req);
    return addMachine(req);
  };
  server = await startWebServer({ api: lab, staticDir: rendererDir() });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the renderer in web mode', () => {
  it('shows the lab from its snapshot, and adding a worker goes through the WebSocket and back', async () => {
    const s = await browser!.open(server.url, { viewport: { width: 1440, height: 900 } });
    try {
      const { page } = s;
      await expect.poll(() => page.getByText('manager · leader').count(), { timeout: 20_000 }).toBe(1);
      for (const name of ['manager1', 'manager2', 'manager3', 'worker1', 'worker2']) await page.getByText(name, { exact: true }).first().waitFor();
      expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`);
      await s.screenshot('renderer-web');
      await page.getByRole('button', { name: /Worker/ }).first().click();
      await page.getByText('worker3', { exact: true }).first().waitFor({ timeout: 20_000 });
      expect(added).toEqual([{ role: 'worker' }]);
      await s.screenshot('renderer-web-added-worker');
      expect(s.problems).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
