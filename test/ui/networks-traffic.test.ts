// Networks, published ports, send traffic and stacks in the real renderer (Chromium) on its demo
// feed: the Networks toggle draws the overlays with a legend; a published port has a link per node;
// send traffic shows answers from several tasks (the round robin); a bad compose file's error
// names its line and column.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer } from '../../main/bundle.ts';
import { serveRenderer } from '../bench/renderer-server.ts';
import { withPage } from './browser.ts';

let server: Awaited<ReturnType<typeof serveRenderer>>;

beforeAll(async () => {
  await buildRenderer({ ifStale: true });
  server = await serveRenderer();
}, 180_000);
afterAll(async () => {
  await server?.close();
});

describe('networks, ports, traffic and stacks on the demo feed', () => {
  it('toggles the networks overlay, with a legend naming networks, subnets and services', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems, screenshot }) => {
      await expect.poll(() => page.locator('[data-testid^="node-"][data-role]').count()).toBe(5);
      expect(await page.getByTestId('network-legend').count()).toBe(0);
      await page.keyboard.press('o');
      await page.getByTestId('network-legend').waitFor();
      const legend = page.getByTestId('network-legend');
      await expect.poll(() => legend.textContent()).toContain('frontend');
      expect(await legend.textContent()).toContain('backend');
      expect(await page.getByTestId('network-legend-frontend').textContent()).toMatch(/10\.0\.\d+\.0\/24.*web.*whoami/s);
      expect(await page.getByTestId('network-legend-ingress').count()).toBe(0);
      await expect.poll(async () => Number(await page.getByTestId('network-frontend').getAttribute('data-nodes'))).toBeGreaterThan(1);
      // The ingress network, on request.
      await page.getByTestId('show-ingress').check();
      await page.getByTestId('network-legend-ingress').waitFor();
      await page.getByTestId('show-ingress').uncheck();
      await screenshot('networks-overlay');
      await page.getByTestId('toggle-networks').click();
      await expect.poll(() => page.getByTestId('network-legend').count()).toBe(0);
      expect(problems).toEqual([]);
    });
  });

  it('lists published ports with a link per node, and sends traffic answered by several tasks', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems, screenshot }) => {
      await page.getByTestId('panel-services').click();
      await expect.poll(() => page.getByTestId('service-whoami').getAttribute('data-running'), { timeout: 15_000 }).toBe('3');
      const port = page.getByTestId('service-whoami').getByTestId('port-8000');
      const links = port.getByTestId('port-link');
      await expect.poll(() => links.count()).toBe(5);
      const addrs = await page.evaluate(`[...document.querySelectorAll('[data-testid^="node-"][data-role]')].length`);
      expect(addrs).toBe(5);
      const hrefs = await links.evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel'), a.getAttribute('data-node')]));
      for (const [href, target, rel] of hrefs) {
        expect(href).toMatch(/^http:\/\/127\.0\.0\.\d+:8000\/$/);
        expect(target).toBe('_blank');
        expect(rel).toContain('noopener');
      }
      expect(new Set(hrefs.map((h) => h[0])).size).toBe(5);
      await page.getByTestId('service-whoami').locator('.summary').click();
      await page.getByTestId('send-traffic').click();
      const run = page.getByTestId('traffic-run');
      await expect.poll(() => run.getAttribute('data-done'), { timeout: 15_000 }).toBe('true');
      expect(await run.getAttribute('data-answers')).toBe('20');
      const perTask = await page.getByTestId('traffic-per-task').locator('li').evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-count'))));
      expect(perTask.length).toBe(3);
      expect(perTask.reduce((a, b) => a + b, 0)).toBe(20);
      expect(Math.max(...perTask) - Math.min(...perTask)).toBeLessThanOrEqual(1);
      expect(await page.getByTestId('traffic-answers').textContent()).toMatch(/whoami\.\d/);
      await screenshot('send-traffic');
      expect(problems).toEqual([]);
    });
  });

  it('deploys a stack from the dialog, and shows a bad file error with its line and column', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems, screenshot }) => {
      await expect.poll(() => page.locator('[data-testid^="node-"][data-role]').count()).toBe(5);
      await page.keyboard.press('Shift+S');
      const dialog = page.getByTestId('deploy-stack-dialog');
      await dialog.waitFor();
      await page.getByTestId('stack-name').fill('shop');
      await page.getByTestId('stack-compose').fill('services:\n  web:\n    image: swarmlab/whoami:1\n    ports:\n      - "8080:80"\n    deploy:\n      replicas: lots\n');
      await page.getByTestId('stack-deploy').click();
      const error = page.getByTestId('stack-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/compose file:7:\d+: services\.web\.deploy\.replicas: expected a whole number/);
      await screenshot('stack-error');
      await page.getByTestId('stack-compose').fill('services:\n  web:\n    image: swarmlab/whoami:1\n    ports:\n      - "8090:80"\n    networks: [front]\n    deploy:\n      replicas: 2\nnetworks:\n  front:\n');
      await page.getByTestId('stack-deploy').click();
      await page.getByTestId('stack-report').waitFor();
      expect(await page.getByTestId('stack-report').textContent()).toContain('Creating service shop_web');
      await page.keyboard.press('Escape');
      await page.getByTestId('panel-services').click();
      await expect.poll(() => page.getByTestId('service-shop_web').getAttribute('data-running'), { timeout: 15_000 }).toBe('2');
      expect(await page.getByTestId('service-shop_web').getByTestId('stack-tag').textContent()).toBe('shop');
      await page.getByTestId('remove-stack-shop').click();
      await page.getByTestId('confirm').click();
      await expect.poll(() => page.getByTestId('service-shop_web').count()).toBe(0);
      expect(problems).toEqual([]);
    });
  });
});
