// The renderer in real Chromium against its demo feed (no lab needed): the graph, the actions and
// their warnings, a console. The same UI against a real lab is test/e2e's business.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveRenderer } from '../bench/renderer-server.ts';
import { withPage } from '../ui/browser.ts';

let server: Awaited<ReturnType<typeof serveRenderer>>;

beforeAll(async () => {
  server = await serveRenderer();
});
afterAll(async () => {
  await server?.close();
});

const leaderHost = async (page: Page) => (await page.locator('[data-leader="true"]').getAttribute('data-testid'))!.slice('node-'.length);
const runningTasks = (page: Page) => page.evaluate(`[...document.querySelectorAll('[data-testid^="node-"][data-tasks]')].reduce((n, e) => n + Number(e.dataset.tasks), 0)`) as Promise<number>;

describe('the renderer, on its demo feed', () => {
  it('shows five nodes, one crown and the quorum; creates a service whose six tasks land as dots', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems }) => {
      await expect.poll(() => page.locator('[data-testid^="node-"][data-role]').count()).toBe(5);
      await expect.poll(() => page.getByTestId('crown').count()).toBe(1);
      await expect(page.getByTestId('quorum-meter').textContent()).resolves.toContain('3 managers · quorum 2 · can lose 1');
      await expect.poll(() => runningTasks(page)).toBe(15);
      await page.keyboard.press('n');
      await page.getByTestId('service-name').fill('api');
      await page.getByTestId('service-image').selectOption('swarmlab/whoami:2');
      await page.getByTestId('service-replicas').fill('6');
      await page.getByTestId('service-ports').fill('9000:80');
      await page.getByTestId('service-create').click();
      await expect.poll(() => page.getByTestId('service-api').getAttribute('data-running'), { timeout: 15_000 }).toBe('6');
      await expect.poll(() => runningTasks(page)).toBe(21);
      expect(problems).toEqual([]);
    });
  });

  it('moves the crown when the leader is killed from its context menu, and keeps the tasks running', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems }) => {
      await expect.poll(() => runningTasks(page)).toBe(15);
      const before = await leaderHost(page);
      await page.getByTestId(`node-${before}`).click({ button: 'right' });
      await page.locator('[data-testid="node-menu"] [data-action="kill"]').click();
      await expect.poll(() => page.getByTestId(`node-${before}`).getAttribute('data-state'), { timeout: 15_000 }).toBe('down');
      await expect.poll(async () => (await page.getByTestId('crown').count()) === 1 && (await leaderHost(page)) !== before, { timeout: 15_000 }).toBe(true);
      await expect.poll(() => page.getByTestId('quorum-meter').getAttribute('data-can-lose')).toBe('0');
      await page.getByTestId('panel-services').click();
      await expect.poll(() => page.getByTestId('service-web').getAttribute('data-running')).toBe('6');
      expect(problems).toEqual([]);
    });
  });

  it('warns, with the reason, before a demote that would lose quorum', async () => {
    await withPage(`${server.url}?demo`, async ({ page }) => {
      await page.getByTestId('node-manager3').click({ button: 'right' });
      await page.locator('[data-testid="node-menu"] [data-action="kill"]').click();
      await expect.poll(() => page.getByTestId('node-manager3').getAttribute('data-state'), { timeout: 15_000 }).toBe('down');
      const other = (await leaderHost(page)) === 'manager1' ? 'manager2' : 'manager1';
      await page.getByTestId(`node-${other}`).click({ button: 'right' });
      await page.locator('[data-testid="node-menu"] [data-action="demote"]').click();
      await expect(page.getByTestId('confirm-dialog').textContent()).resolves.toContain('would lose quorum');
      await expect(page.getByTestId('warning-reason').textContent()).resolves.toContain('2 managers would need 2 reachable');
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId('confirm-dialog').count()).toBe(0);
      expect(await page.getByTestId(`node-${other}`).getAttribute('data-role')).toBe('manager');
      // Asked again and confirmed, the demote goes ahead.
      await page.getByTestId(`node-${other}`).click({ button: 'right' });
      await page.locator('[data-testid="node-menu"] [data-action="demote"]').click();
      await page.getByTestId('confirm').click();
      await expect.poll(() => page.getByTestId(`node-${other}`).getAttribute('data-role')).toBe('worker');
    });
  });

  it('opens a console on a node and shows what the shell prints', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems }) => {
      await page.getByTestId('node-worker1').dblclick();
      const term = page.getByTestId('console-worker1');
      await expect.poll(() => term.locator('.xterm-rows').textContent()).toContain('root@worker1');
      await term.click();
      await page.keyboard.type('docker node ls\n');
      await expect.poll(() => term.locator('.xterm-rows').textContent()).toContain('MANAGER STATUS');
      expect(problems).toEqual([]);
    });
  });

  it('destroys the lab, then makes a new one from a template', async () => {
    await withPage(`${server.url}?demo`, async ({ page, problems }) => {
      await page.getByTestId('node-worker1').dblclick();
      await page.getByTestId('console-worker1').waitFor();
      await page.getByTestId('destroy-lab').click();
      await page.getByTestId('confirm').click();
      await page.getByTestId('welcome').waitFor();
      await page.getByTestId('template-small').click();
      await expect.poll(() => page.locator('[data-testid^="node-"][data-role]').count(), { timeout: 15_000 }).toBe(3);
      await expect.poll(() => page.getByTestId('crown').count()).toBe(1);
      // The old lab's console went with it.
      expect(await page.getByTestId('console-dock').count()).toBe(0);
      expect(problems).toEqual([]);
    });
  });

  it('draws 200 nodes and 5,000 tasks', async () => {
    await withPage(`${server.url}?demo=bench`, async ({ page, problems }) => {
      await expect.poll(() => page.locator('[data-testid^="node-"][data-role]').count(), { timeout: 30_000 }).toBe(200);
      await expect.poll(() => runningTasks(page), { timeout: 30_000 }).toBe(5000);
      expect(problems).toEqual([]);
    }, { timeoutMs: 30_000 });
  });
});
