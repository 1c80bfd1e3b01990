// Networks, published ports, send traffic and stacks in the app (web mode, Chromium) over a REAL lab:
// one manager and two workers (local machines in a temporary home, slots from 250). A stack is
// deployed from the Deploy dialog: the WordPress file pasted as text is refused with the line of its
// first relative secret file (the dialog sends text only, so relative `file:` paths have no
// directory), then a whoami stack with a published port and an overlay network is deployed and its
// report lines checked; the service panel has a link per node to http://MACHINE_IP:PORT/, and one of
// them answers; send traffic through the manager (the workers run the three tasks) is answered by
// several tasks through the routing mesh; the Networks overlay's legend lists the stack's network
// with its subnet; the stack is removed from the panel and its services go.
// Each step saves a screenshot into test-artifacts/app-net-*.png.

import http from 'node:http';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabHost, type LabHost } from '../../main/app/lab-host.ts';
import type { LabView } from '../../main/lab/protocol.ts';
import { dispatch } from '../../main/lab/requests.ts';
import { rendererDir } from '../../main/web/renderer-dir.ts';
import { startWebServer, type WebServer } from '../../main/web/server.ts';
import { Machines } from '../../vm/machines.ts';
import { MachineStore } from '../../vm/store.ts';
import { isGone, reap, tempHome } from '../vm/helpers.ts';
import { launchBrowser, type UiBrowser, type UiSession } from './browser.ts';

// 127.0.0.250 and up: no other test file uses these addresses.
const FIRST_SLOT = 250;
const PORT = 8090;
const STACK = 'shop';
const ROOT = join(import.meta.dirname, '..', '..');

const LAB = `name: netlab
description: 1 manager + 2 workers, no services
machines:
  - name: manager1
    role: manager
  - name: worker1
    role: worker
  - name: worker2
    role: worker
cluster:
  profile: lab
  heartbeat: 500ms
`;

// Three whoami tasks on the two workers: the manager runs none, so traffic through it crosses the mesh.
const COMPOSE = `services:
  whoami:
    image: swarmlab/whoami:1
    ports:
      - "${PORT}:80"
    networks: [front]
    deploy:
      replicas: 3
      placement:
        constraints: [node.role == worker]
networks:
  front:
`;

let home: string | undefined;
let host: LabHost | undefined;
let server: WebServer | undefined;
let browser: UiBrowser | undefined;
let s: UiSession;
const hostLog: string[] = [];
const pids = new Set<number>();
const requests: { method: string; params: unknown }[] = [];
const READS = /^(subscribe|templates|images|checkNodeChange|console\w+)$/;
const sent = (method: string) => requests.filter((r) => r.method === method).map((r) => r.params);

interface Seen {
  cards: { host: string; role: string; state: string; tasks: number }[];
  services: { name: string; running: number; desired: number }[];
}

const SEEN = `(() => ({
  cards: [...document.querySelectorAll('[data-testid="topology"] g.node[data-role]')].map((el) => ({
    host: el.getAttribute('data-testid').replace(/^node-/, ''),
    role: el.getAttribute('data-role'),
    state: el.getAttribute('data-state'),
    tasks: Number(el.getAttribute('data-tasks')),
  })),
  services: [...document.querySelectorAll('li[data-testid^="service-"]')].map((el) => ({
    name: el.getAttribute('data-testid').replace(/^service-/, ''),
    running: Number(el.getAttribute('data-running')),
    desired: Number(el.getAttribute('data-desired')),
  })),
}))()`;

async function seen(): Promise<Seen> {
  return (await s.page.evaluate(SEEN)) as Seen;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    await s?.screenshot(`app-net-${name}`).catch(() => {});
  }
}

async function showServices(): Promise<void> {
  await s.page.getByTestId('panel-services').click();
  await s.page.getByTestId('new-service').waitFor();
}

/** One GET on a fresh connection, as a browser following the link would. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
  });
}

/** The controller's view as of now (every subscription starts with a snapshot). */
function labView(): Promise<LabView> {
  return new Promise((resolve) => {
    let done = false;
    const stop = host!.api.subscribe((e) => {
      if (done || e.type !== 'snapshot') return;
      done = true;
      resolve(e.view);
      queueMicrotask(() => stop());
    });
  });
}

async function machinePids(): Promise<number[]> {
  const dir = join(home!, 'machines');
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = await Promise.all(names.map(async (n) => Number.parseInt(await readFile(join(dir, n, 'swarmd.pid'), 'utf8').catch(() => ''), 10)));
  return found.filter((p) => p > 0);
}

beforeAll(async () => {
  if (!existsSync(join(rendererDir(), 'index.html'))) throw new Error(`the renderer is not built (${rendererDir()}): npm run build:renderer`);
  home = await tempHome();
  const labFile = join(home, 'netlab.yaml');
  await writeFile(labFile, LAB);
  host = await openLabHost({ machines: new Machines(new MachineStore({ home, firstSlot: FIRST_SLOT })), template: labFile, log: (l) => hostLog.push(l) });
  server = await startWebServer({
    api: host.api,
    staticDir: rendererDir(),
    dispatch: (api, method, params) => {
      if (!READS.test(method)) requests.push({ method, params });
      return dispatch(api, method, params);
    },
  });
  browser = await launchBrowser();
  s = await browser.open(server.url, { viewport: { width: 1440, height: 900 }, timeoutMs: 20_000 });
}, 60_000);

afterAll(async () => {
  try {
    await s?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await host?.close().catch(() => {});
  } finally {
    if (home) {
      for (const p of await machinePids()) pids.add(p);
      await reap(home);
    }
  }
  const left = [];
  for (const p of pids) if (!(await isGone(p))) left.push(p);
  expect(left, 'swarmd processes left running').toEqual([]);
}, 60_000);

describe('networking in the app over a real lab, in Chromium', () => {
  it('brings up 1 manager + 2 workers', async () => {
    await step('1-lab-up', async () => {
      const v = await until('3 ready nodes', seen, (v) => v.cards.length === 3 && v.cards.every((c) => c.state === 'ready'), 60_000);
      expect(v.cards.map((c) => [c.host, c.role]).sort()).toEqual([['manager1', 'manager'], ['worker1', 'worker'], ['worker2', 'worker']]);
      await expect.poll(() => s.page.getByTestId('lab-name').textContent(), { timeout: 20_000 }).toMatch(/netlab\s*running/);
      for (const p of await machinePids()) pids.add(p);
      expect(pids.size).toBe(3);
    });
  }, 90_000);

  it('the WordPress file pasted alone is refused at its first relative file; picked with the files it names, it deploys and answers through the mesh', async () => {
    await step('2-wordpress', async () => {
      await showServices();
      await s.page.keyboard.press('Shift+S');
      const dialog = s.page.getByTestId('deploy-stack-dialog');
      await dialog.waitFor();
      await dialog.getByTestId('stack-name').fill('wp');
      const dir = join(ROOT, 'resources/stacks/wordpress');
      const wp = await readFile(join(dir, 'docker-compose.yml'), 'utf8');
      await dialog.getByTestId('stack-compose').fill(wp);
      await dialog.getByTestId('stack-deploy').click();
      const error = dialog.getByTestId('stack-error');
      await error.waitFor();
      const text = (await error.textContent()) ?? '';
      const line = wp.split('\n').findIndex((l) => l.includes('./db_root_password.txt')) + 1;
      expect(text).toMatch(new RegExp(`compose file:${line}:\\d+: secrets\\.db_root_password\\.file: cannot read "\\./db_root_password\\.txt"`));
      expect(text).toContain('pick it together with the compose file');
      expect(await dialog.getByTestId('stack-report').count()).toBe(0);

      // Picked together, the compose file's secrets and config go with it.
      const names = ['docker-compose.yml', 'db_password.txt', 'db_root_password.txt', 'visitor.conf'];
      await dialog.getByTestId('stack-file').setInputFiles(names.map((n) => join(dir, n)));
      expect(await dialog.getByTestId('stack-files').textContent()).toContain('db_password.txt');
      await dialog.getByTestId('stack-deploy').click();
      const report = dialog.getByTestId('stack-report');
      await report.waitFor({ timeout: 20_000 });
      const lines = ((await report.locator('pre').first().textContent()) ?? '').split('\n');
      expect(lines).toEqual(expect.arrayContaining(['Creating secret wp_db_password', 'Creating config wp_visitor_conf', 'Creating service wp_wordpress', 'Creating service wp_db']));
      const machines = (await labView()).machines;
      await until('wp_wordpress running', seen, (v) => v.services.find((x) => x.name === 'wp_wordpress')?.running === 3, 40_000);
      let body = '';
      await expect
        .poll(async () => {
          body = await new Promise<string>((resolve) => {
            http.get({ host: machines[0]!.address, port: 8000, path: '/', agent: false }, (res) => {
              let b = '';
              res.on('data', (c: Buffer) => (b += c.toString()));
              res.on('end', () => resolve(b));
            }).on('error', () => resolve(''));
          });
          return /Visits: \d+/.test(body);
        }, { timeout: 20_000 })
        .toBe(true);
      await s.screenshot('app-net-2-wordpress');
      // Cleared away, so the next steps start from an empty lab.
      await dialog.getByTestId('dialog-remove-stack-wp').click();
      const confirm = s.page.getByTestId('confirm-dialog');
      await confirm.waitFor();
      expect(await confirm.textContent()).toContain('Its 3 services');
      await s.page.getByTestId('confirm').click();
      await until('the wp stack gone', seen, (v) => !v.services.some((x) => x.name.startsWith('wp_')), 40_000);
      await s.page.keyboard.press('Shift+S');
      await s.page.getByTestId('deploy-stack-dialog').waitFor();
    });
  }, 120_000);

  it(`deploys a whoami stack with a network and port ${PORT} from the dialog: its report, three tasks on the workers`, async () => {
    await step('3-deploy-stack', async () => {
      const dialog = s.page.getByTestId('deploy-stack-dialog');
      await dialog.getByTestId('stack-name').fill(STACK);
      await dialog.getByTestId('stack-compose').fill(COMPOSE);
      await dialog.getByTestId('stack-deploy').click();
      const report = dialog.getByTestId('stack-report');
      await report.waitFor({ timeout: 20_000 });
      expect(await dialog.getByTestId('stack-error').count()).toBe(0);
      expect(((await report.locator('pre').first().textContent()) ?? '').split('\n')).toEqual([`Creating network ${STACK}_front`, `Creating service ${STACK}_whoami`]);
      expect(await dialog.getByTestId('stack-warnings').count()).toBe(0);
      const v = await until(`${STACK}_whoami 3/3 on the workers`, seen, (v) => {
        const w = v.services.find((x) => x.name === `${STACK}_whoami`);
        return w?.running === 3 && w.desired === 3 && v.cards.find((c) => c.host === 'manager1')?.tasks === 0
          && v.cards.filter((c) => c.role === 'worker').reduce((n, c) => n + c.tasks, 0) === 3;
      }, 40_000);
      expect(v.services.map((x) => x.name)).toEqual([`${STACK}_whoami`]);
      await s.screenshot('app-net-3-deploy-stack-report');
      expect(sent('deployStack')).toEqual([
        expect.objectContaining({ name: 'wp' }),
        expect.objectContaining({ name: 'wp', files: expect.objectContaining({ 'db_password.txt': expect.any(String) }) }),
        { name: STACK, compose: COMPOSE },
      ]);
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await s.page.getByTestId(`service-${STACK}_whoami`).getByTestId('stack-tag').textContent()).toBe(STACK);
    });
  }, 60_000);

  it('lists the published port with one link per node at http://MACHINE_IP:PORT/, and a link answers', async () => {
    await step('4-port-links', async () => {
      const svc = s.page.getByTestId(`service-${STACK}_whoami`);
      const port = svc.getByTestId(`port-${PORT}`);
      await expect.poll(() => port.getAttribute('data-mode')).toBe('ingress');
      const links = port.getByTestId('port-link');
      await expect.poll(() => links.count()).toBe(3);
      const hrefs = await links.evaluateAll((as) => as.map((a) => ({ node: a.getAttribute('data-node')!, href: a.getAttribute('href')! })));
      const machines = (await labView()).machines;
      expect(hrefs.map((h) => h.node).sort()).toEqual(['manager1', 'worker1', 'worker2']);
      for (const { node, href } of hrefs) {
        const m = machines.find((x) => x.name === node)!;
        expect(m.address).toMatch(/^127\.0\.0\.25\d$/);
        expect(href).toBe(`http://${m.address}:${PORT}/`);
      }
      // The manager runs no task: its link answers through the routing mesh.
      const through = hrefs.find((h) => h.node === 'manager1')!.href;
      const r = await until(`an answer from ${through}`, () => get(through).catch((e: Error) => ({ status: 0, body: e.message })), (r) => r.status === 200, 15_000);
      expect(r.body).toMatch(new RegExp(`${STACK}_whoami\\.\\d`));
    });
  }, 30_000);

  it('sends traffic through the manager (no task there): answers from several tasks, none failed', async () => {
    await step('5-send-traffic', async () => {
      const svc = s.page.getByTestId(`service-${STACK}_whoami`);
      await svc.locator('button.summary').click();
      await svc.getByTestId('traffic').waitFor();
      // The default: a node that runs no task, the manager here. Shift+T starts it as the button does.
      await s.page.keyboard.press('Shift+T');
      const run = svc.getByTestId('traffic-run');
      await run.waitFor({ timeout: 10_000 });
      await expect.poll(() => run.getAttribute('data-done'), { timeout: 20_000 }).toBe('true');
      expect(await run.getAttribute('data-answers')).toBe('20');
      const head = (await run.locator('.head').textContent()) ?? '';
      expect(head).toContain(`:${PORT}/api`);
      expect(head).toContain('through manager1');
      expect(head).not.toContain('failed');
      const perTask = await svc.getByTestId('traffic-per-task').locator('li').evaluateAll((lis) => lis.map((li) => ({ task: li.getAttribute('data-task'), n: Number(li.getAttribute('data-count')), who: li.querySelector('.who')?.textContent })));
      console.log(`traffic per task: ${perTask.map((t) => `${t.who} ${t.n}`).join(', ')}`);
      expect(perTask.length).toBeGreaterThanOrEqual(2);
      expect(perTask.reduce((a, t) => a + t.n, 0)).toBe(20);
      for (const t of perTask) expect(t.who).toMatch(new RegExp(`^${STACK}_whoami\\.\\d @ worker\\d$`));
      expect(await svc.getByTestId('traffic-answers').locator('li.error').count()).toBe(0);
      expect(sent('sendTraffic')).toEqual([{ serviceId: expect.any(String) }]);
    });
  }, 40_000);

  it('sends traffic through worker2 (one task there): the mesh still answers from worker1 too', async () => {
    await step('5b-send-traffic-via-worker', async () => {
      const svc = s.page.getByTestId(`service-${STACK}_whoami`);
      const worker2 = (await labView()).nodes.find((n) => n.hostname === 'worker2')!;
      await svc.getByTestId('traffic-via').selectOption(worker2.id);
      await svc.getByTestId('send-traffic').click();
      const run = svc.getByTestId('traffic-run');
      await expect.poll(() => run.locator('.head').textContent()).toContain('through worker2');
      await expect.poll(() => run.getAttribute('data-done'), { timeout: 20_000 }).toBe('true');
      expect(await run.getAttribute('data-answers')).toBe('20');
      expect(await run.locator('.head').textContent()).not.toContain('failed');
      const who = await svc.getByTestId('traffic-per-task').locator('li .who').allTextContents();
      expect(who.length).toBeGreaterThanOrEqual(2);
      expect(who.some((w) => w.endsWith('@ worker1'))).toBe(true);
      expect(sent('sendTraffic').at(-1)).toEqual({ serviceId: expect.any(String), viaNodeId: worker2.id });
    });
  }, 40_000);

  it(`toggles Networks: the legend lists ${STACK}_front with its subnet and the service`, async () => {
    await step('6-networks', async () => {
      await s.page.keyboard.press('o');
      const legend = s.page.getByTestId('network-legend');
      await legend.waitFor();
      const front = legend.getByTestId(`network-legend-${STACK}_front`);
      await front.waitFor({ timeout: 10_000 });
      const subnet = (await front.getByTestId('subnet').textContent()) ?? '';
      expect(subnet).toMatch(/^10\.\d+\.\d+\.0\/24$/);
      expect(await front.textContent()).toContain(`${STACK}_whoami`);
      const real = (await labView()).networks?.find((n) => n.name === `${STACK}_front`);
      expect(real?.subnet).toBe(subnet);
      // The ingress network only on request.
      expect(await legend.getByTestId('network-legend-ingress').count()).toBe(0);
      await expect.poll(async () => Number(await s.page.getByTestId(`network-${STACK}_front`).getAttribute('data-nodes'))).toBe(2);
    });
  }, 30_000);

  it('removes the stack from the services panel: its services go, and so does its network', async () => {
    await step('7-stack-removed', async () => {
      await showServices();
      await s.page.getByTestId(`remove-stack-${STACK}`).click();
      const confirm = s.page.getByTestId('confirm-dialog');
      await confirm.waitFor();
      expect(await confirm.textContent()).toContain('Its 1 service');
      await s.page.getByTestId('confirm').click();
      await until('no services, no tasks', seen, (v) => v.services.length === 0 && v.cards.every((c) => c.tasks === 0), 30_000);
      await expect.poll(() => s.page.getByTestId(`stack-${STACK}`).count()).toBe(0);
      await expect.poll(() => s.page.getByTestId(`network-legend-${STACK}_front`).count(), { timeout: 15_000 }).toBe(0);
      expect(sent('removeStack')).toEqual([{ name: 'wp' }, { name: STACK }]);
      expect(s.problems).toEqual([]);
    });
  }, 60_000);
});
