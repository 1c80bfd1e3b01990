// The README's screenshots of the renderer, made from its demo feed in Debian's Chromium:
//   npx tsx test/renderer/screenshots.ts [OUTPUT_DIR [SCENE...]]   (default docs/screenshots)
// and of the real app on a real lab, with SWARMLAB_APP_URL set to the address `swarmlab app --web`
// printed (token included): a service created, the leader killed, a console (real-*.png).
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

/** Polls an expression in the page (the app's CSP forbids the string eval of waitForFunction). */
async function until(page: Page, expr: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await page.evaluate(expr)) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out waiting for ${expr}`);
}

/** One page on the real app, one scene after another (they change the lab). */
async function realScenes(url: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.setDefaultTimeout(60_000);
    await page.goto(url);
    await page.waitForSelector('[data-testid^="node-"][data-role]');
    await page.waitForTimeout(1500);
    const name = `demo${Date.now() % 1000}`;
    await page.keyboard.press('n');
    await page.getByTestId('service-name').fill(name);
    await page.getByTestId('service-image').selectOption('swarmlab/web:blue');
    await page.getByTestId('service-replicas').fill('6');
    await page.getByTestId('service-create').click();
    await until(page, `document.querySelector('[data-testid="service-${name}"]')?.dataset.running === '6'`);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(out, 'real-overview.png') });

    const leader = (await page.locator('[data-leader="true"]').getAttribute('data-testid'))!;
    await page.locator(`[data-testid="${leader}"]`).click({ button: 'right' });
    await page.locator('[data-testid="node-menu"] [data-action="kill"]').click();
    await page.waitForTimeout(500);
    if (await page.getByTestId('confirm-dialog').count()) await page.getByTestId('confirm').click();
    await until(page, `(() => { const l = document.querySelector('[data-leader="true"]'); return !!l && l.dataset.testid !== '${leader}'; })()`);
    await page.getByTestId('panel-timeline').click();
    await until(page, `document.querySelector('[data-testid="${leader}"]')?.dataset.tasks === '0'`);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(out, 'real-failover.png') });

    const other = (await page.locator('[data-leader="true"]').getAttribute('data-testid'))!;
    await page.locator(`[data-testid="${other}"]`).dblclick();
    const term = page.getByTestId(`console-${other.slice('node-'.length)}`);
    await term.waitFor();
    await until(page, `/[$#] $/.test(document.querySelector('[data-testid="console-${other.slice('node-'.length)}"] .xterm-rows')?.textContent?.trimEnd() + ' ')`);
    await term.click();
    await page.keyboard.type('docker node ls\n', { delay: 30 });
    await until(page, `document.querySelector('[data-testid="console-${other.slice('node-'.length)}"] .xterm-rows')?.textContent?.includes('MANAGER STATUS')`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(out, 'real-console.png') });
    console.log(join(out, 'real-*.png'));
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  if (process.env.SWARMLAB_APP_URL) {
    await mkdir(out, { recursive: true });
    return realScenes(process.env.SWARMLAB_APP_URL);
  }
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
