// The README's screenshots of the renderer, made from its demo feed in Debian's Chromium:
//   npx tsx test/renderer/screenshots.ts [OUTPUT_DIR]   (default docs/screenshots)
// Each scene drives the UI the way a person would (clicks, keys), then saves a PNG.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { buildRenderer } from '../../main/bundle.ts';
import { serveRenderer } from '../bench/renderer-server.ts';

const CHROMIUM = process.env.SWARMLAB_CHROMIUM ?? '/usr/bin/chromium';
const out = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'docs', 'screenshots');

type Scene = { name: string; query: string; size?: { width: number; height: number }; play: (page: Page) => Promise<void> };

const node = (page: Page, host: string) => page.locator(`[data-testid="node-${host}"]`);

const scenes: Scene[] = [
  {
    name: 'overview',
    query: '?demo',
    play: async (page) => {
      await page.locator('[data-testid="service-web"] button.summary').click();
      await page.getByTestId('update').click();
      await page.getByTestId('update-image').selectOption('swarmlab/web:green');
      await page.getByTestId('update-parallelism').fill('2');
      await page.getByTestId('update-delay').fill('3s');
      await page.getByTestId('update-start').click();
      await page.waitForSelector('[data-testid="update-progress"][data-state="updating"]');
      await page.waitForTimeout(2500);
    },
  },
  {
    name: 'failover',
    query: '?demo',
    play: async (page) => {
      const leader = page.locator('[data-leader="true"]');
      const host = (await leader.getAttribute('data-testid'))!.slice('node-'.length);
      await leader.click({ button: 'right' });
      await page.waitForSelector('[data-testid="node-menu"]');
      await page.locator('[data-testid="node-menu"] [data-action="kill"]').click();
      await page.waitForFunction(`document.querySelector('[data-leader="true"]')?.dataset.testid !== 'node-${host}' && !!document.querySelector('[data-leader="true"]')`);
      await page.getByTestId('panel-timeline').click();
      await node(page, host).click();
      await page.getByTestId('panel-timeline').click();
      await page.waitForTimeout(1500);
    },
  },
  {
    name: 'console',
    query: '?demo',
    play: async (page) => {
      await node(page, 'manager1').dblclick();
      const term = page.getByTestId('console-manager1');
      await term.waitFor();
      await page.waitForTimeout(500);
      await term.click();
      await page.keyboard.type('docker node ls\n', { delay: 20 });
      await page.waitForTimeout(800);
      await node(page, 'worker2').click({ button: 'right' });
      await page.waitForTimeout(400);
    },
  },
  {
    name: 'demote-warning',
    query: '?demo',
    play: async (page) => {
      await node(page, 'manager3').click({ button: 'right' });
      await page.locator('[data-testid="node-menu"] [data-action="kill"]').click();
      await page.waitForSelector('[data-testid="node-manager3"][data-state="down"]');
      await page.waitForTimeout(1200);
      const survivor = (await node(page, 'manager1').getAttribute('data-leader')) === 'true' ? 'manager2' : 'manager1';
      await node(page, survivor).click({ button: 'right' });
      await page.locator('[data-testid="node-menu"] [data-action="demote"]').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.waitForTimeout(300);
    },
  },
  {
    name: 'light-large-font',
    query: '?demo',
    play: async (page) => {
      await page.keyboard.press('b');
      await page.keyboard.press('+');
      await node(page, 'worker1').click();
      await page.waitForTimeout(1500);
      await page.getByTestId('panel-services').click();
      await page.getByRole('button', { name: 'Legend' }).click();
    },
  },
  {
    name: 'bench-200-nodes',
    query: '?demo=bench&churn=20&tick=100',
    play: async (page) => {
      await page.waitForSelector('[data-testid="node-worker195"]');
      await page.waitForTimeout(2500);
      await page.evaluate('window.__swarmlabChurn()');
      await page.waitForTimeout(1200);
    },
  },
];

async function main(): Promise<void> {
  await buildRenderer({ ifStale: true });
  await mkdir(out, { recursive: true });
  const server = await serveRenderer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
  const only = process.argv.slice(3);
  try {
    for (const scene of scenes) {
      if (only.length && !only.includes(scene.name)) continue;
      // A fresh page per scene: preferences (theme, font) live in localStorage.
      const context = await browser.newContext({ viewport: scene.size ?? { width: 1600, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on('pageerror', (e) => console.error(`${scene.name}: ${e.message}`));
      await page.goto(server.url + scene.query);
      await page.waitForSelector('[data-testid^="node-"]');
      await page.waitForTimeout(1500);
      await scene.play(page);
      const file = join(out, `${scene.name}.png`);
      await page.screenshot({ path: file });
      console.log(file);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

void main();
