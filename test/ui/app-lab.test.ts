// The app in web mode over a real lab, driven in Chromium like a trainer would: the default lab
// (3 managers + 2 workers, local machines in a temporary home) comes up through the lab host; a
// six-replica service is created from its dialog; the leader is killed from its context menu and the
// crown moves; a worker is killed from the node inspector and its tasks land elsewhere; a console
// runs `docker node ls`; a rolling update is followed to completed; a demote that would lose quorum
// shows its warning and is cancelled. The steps share one lab and run in order; each waits for
// what the page shows (never a fixed sleep) and saves a screenshot to test-artifacts/app-lab-*.png.
// Task dots are drawn on a canvas, so the counts come from the cards' data-tasks.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabHost, type LabHost } from '../../main/app/lab-host.ts';
import { dispatch } from '../../main/lab/requests.ts';
import { rendererDir } from '../../main/web/renderer-dir.ts';
import { startWebServer, type WebServer } from '../../main/web/server.ts';
import { Machines } from '../../vm/machines.ts';
import { MachineStore } from '../../vm/store.ts';
import { isGone, reap, tempHome } from '../vm/helpers.ts';
import { launchBrowser, type UiBrowser, type UiSession } from './browser.ts';

// 127.0.0.60 and up: no other test file uses these addresses.
const FIRST_SLOT = 60;
const IMAGE = 'swarmlab/whoami:1';
const NEW_IMAGE = 'swarmlab/whoami:2';

let home: string | undefined;
let host: LabHost | undefined;
let server: WebServer | undefined;
let browser: UiBrowser | undefined;
let s: UiSession;
const hostLog: string[] = [];
const durations: [string, number][] = [];
const pids = new Set<number>();
/** The page's requests that change the lab, as the server received them. */
const requests: { method: string; params: unknown }[] = [];
const READS = /^(subscribe|templates|images|checkNodeChange|console\w+)$/;
const sent = (method: string) => requests.filter((r) => r.method === method).map((r) => r.params);

interface Card {
  host: string;
  role: string;
  state: string;
  leader: boolean;
  tasks: number;
}

interface Service {
  name: string;
  running: number;
  desired: number;
  text: string;
  update?: string;
  /** The update's progress as the panel words it. */
  progress?: string;
}

/** Everything the tests look at, in one read of the page. */
interface Seen {
  cards: Card[];
  crowns: number;
  services: Service[];
}

// Runs in the page (as a string: the tests' TypeScript has no DOM types).
const SEEN = `(() => {
  const cards = [...document.querySelectorAll('[data-testid="topology"] g.node[data-role]')].map((el) => ({
    host: el.getAttribute('data-testid').replace(/^node-/, ''),
    role: el.getAttribute('data-role'),
    state: el.getAttribute('data-state'),
    leader: el.getAttribute('data-leader') === 'true',
    tasks: Number(el.getAttribute('data-tasks')),
  }));
  const services = [...document.querySelectorAll('li[data-testid^="service-"]')].map((el) => {
    const bar = el.querySelector('[data-testid="update-progress"]');
    return {
      name: el.getAttribute('data-testid').replace(/^service-/, ''),
      running: Number(el.getAttribute('data-running')),
      desired: Number(el.getAttribute('data-desired')),
      text: el.querySelector('[data-testid="replicas"]')?.textContent ?? '',
      ...(bar ? { update: bar.getAttribute('data-state'), progress: bar.textContent } : {}),
    };
  });
  return { cards, crowns: document.querySelectorAll('[data-testid="topology"] [data-testid="crown"]').length, services };
})()`;

async function seen(): Promise<Seen> {
  return (await s.page.evaluate(SEEN)) as Seen;
}

/** Polls `read` until `ok` holds; on a timeout, says what was last seen. */
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const total = (v: Seen) => v.cards.reduce((n, c) => n + c.tasks, 0);
const service = (v: Seen, name: string) => v.services.find((x) => x.name === name);
const card = (v: Seen, name: string) => v.cards.find((c) => c.host === name);
/** Replicas the lab's own services want (the default lab comes with whoami), besides ours. */
const others = (v: Seen) => v.services.filter((x) => x.name !== 'web').reduce((n, x) => n + x.desired, 0);
const othersRunning = (v: Seen) => v.services.filter((x) => x.name !== 'web').every((x) => x.running === x.desired);

const cardOf = (name: string) => s.page.getByTestId(`node-${name}`);

async function showServices(): Promise<void> {
  await s.page.getByTestId('panel-services').click();
  await s.page.getByTestId('new-service').waitFor();
}

/** Right-clicks a node's card and picks an action of its context menu. */
async function menuAction(name: string, action: string): Promise<void> {
  await cardOf(name).click({ button: 'right' });
  const menu = s.page.getByTestId('node-menu');
  await menu.waitFor();
  await menu.locator(`[data-action="${action}"]`).click();
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const start = Date.now();
  try {
    await fn();
  } finally {
    durations.push([name, Date.now() - start]);
    await s?.screenshot(`app-lab-${name}`).catch(() => {});
  }
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
  host = await openLabHost({ machines: new Machines(new MachineStore({ home, firstSlot: FIRST_SLOT })), template: 'default', log: (l) => hostLog.push(l) });
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
  console.log(`app-lab steps (ms): ${durations.map(([n, ms]) => `${n} ${ms}`).join(', ')}`);
  expect(left, 'swarmd processes left running').toEqual([]);
}, 60_000);

describe('the app over a real lab, in Chromium', () => {
  let leader: string;
  let worker: string;

  it('brings up the default lab: 5 nodes, one leader', async () => {
    await step('1-lab-up', async () => {
      expect(hostLog[0]).toBe('swarmlab: no lab is up: bringing up "default" (the app shows its progress)');
      const v = await until('5 ready nodes, one crown, the lab running', seen, (v) =>
        v.cards.length === 5 && v.cards.every((c) => c.state === 'ready') && v.crowns === 1 && v.cards.filter((c) => c.leader).length === 1
        && v.services.length > 0 && othersRunning(v), 60_000);
      await expect.poll(() => s.page.getByTestId('lab-name').textContent(), { timeout: 20_000 }).toMatch(/default\s*running/);
      expect(v.cards.map((c) => [c.host, c.role]).sort()).toEqual([
        ['manager1', 'manager'], ['manager2', 'manager'], ['manager3', 'manager'], ['worker1', 'worker'], ['worker2', 'worker'],
      ]);
      leader = v.cards.find((c) => c.leader)!.host;
      expect(leader).toMatch(/^manager/);
      await expect.poll(() => s.page.getByText('manager · leader', { exact: true }).count()).toBe(1);
      await expect.poll(() => s.page.getByTestId('quorum-meter').textContent()).toContain('3 managers · quorum 2 · can lose 1');
      for (const p of await machinePids()) pids.add(p);
      expect(pids.size).toBe(5);
    });
  }, 90_000);

  it('creates a six-replica service from its dialog: six task dots', async () => {
    await step('2-six-replicas', async () => {
      await showServices();
      await s.page.getByTestId('new-service').click();
      const dialog = s.page.getByTestId('create-service');
      await dialog.waitFor();
      await dialog.getByTestId('service-name').fill('web');
      await expect.poll(() => dialog.getByTestId('service-image').locator('option').allTextContents()).toContainEqual(expect.stringContaining(NEW_IMAGE));
      await dialog.getByTestId('service-image').selectOption(IMAGE);
      await dialog.getByTestId('service-replicas').fill('6');
      await dialog.getByTestId('service-create').click();
      await dialog.waitFor({ state: 'detached' });
      const v = await until('web 6/6, six more dots', seen, (v) => {
        const web = service(v, 'web');
        return web?.running === 6 && web.desired === 6 && othersRunning(v) && total(v) === 6 + others(v);
      }, 40_000);
      expect(service(v, 'web')?.text).toBe('6/6');
      await expect.poll(() => s.page.getByTestId('service-web').locator('code').textContent()).toBe(IMAGE);
      expect(sent('createService')).toEqual([expect.objectContaining({ name: 'web', image: IMAGE, mode: 'replicated', replicas: 6 })]);
    });
  }, 60_000);

  it('kills the leader from its context menu: another manager wears the crown, six tasks still run', async () => {
    await step('3-leader-killed', async () => {
      const old = leader;
      const killed = Date.now();
      const firsts = new Map<string, number>();
      const mark = (what: string, yes: boolean) => yes && !firsts.has(what) && firsts.set(what, Date.now() - killed);
      await menuAction(old, 'kill');
      // Killing one of three managers keeps quorum: no warning, but confirm one if the lab asks.
      await until('the kill under way', async () => {
        if (await s.page.getByTestId('confirm-dialog').isVisible()) await s.page.getByTestId('confirm').click();
        return seen();
      }, (v) => !card(v, old)!.leader || card(v, old)!.state !== 'ready', 20_000);
      await showServices();
      const v = await until('a new leader; web 6/6 with none on the dead manager', seen, (v) => {
        const now = v.cards.find((c) => c.leader);
        mark('new crown', now !== undefined && now.host !== old);
        mark(`${old} down`, card(v, old)!.state === 'down');
        mark('its tasks moved', card(v, old)!.tasks === 0 && total(v) === 6 + others(v));
        return v.crowns === 1 && now !== undefined && now.host !== old && now.role === 'manager'
          && card(v, old)!.state === 'down' && card(v, old)!.tasks === 0
          && service(v, 'web')?.running === 6 && othersRunning(v) && total(v) === 6 + others(v);
      }, 40_000);
      leader = v.cards.find((c) => c.leader)!.host;
      console.log(`after the leader's kill (ms): ${[...firsts].map(([what, ms]) => `${what} ${ms}`).join(', ')}`);
      expect(service(v, 'web')?.text).toBe('6/6');
      await expect.poll(() => s.page.getByTestId('quorum-meter').textContent()).toContain('can lose 0');
      await expect.poll(() => cardOf(old).getAttribute('data-leader')).toBe('false');
      expect(sent('machineAction')).toEqual([{ machine: old, action: 'kill' }]);
    });
  }, 60_000);

  it('kills a worker from the node inspector: its tasks come back on other nodes', async () => {
    await step('4-worker-killed', async () => {
      const before = await seen();
      worker = before.cards.filter((c) => c.role === 'worker').sort((a, b) => b.tasks - a.tasks)[0]!.host;
      expect(card(before, worker)!.tasks).toBeGreaterThan(0);
      await cardOf(worker).click();
      const inspector = s.page.getByTestId('node-inspector');
      await expect.poll(() => inspector.locator('h3').textContent()).toContain(worker);
      await inspector.locator('[data-action="kill"]').click();
      await until('the kill under way', async () => {
        if (await s.page.getByTestId('confirm-dialog').isVisible()) await s.page.getByTestId('confirm').click();
        return seen();
      }, (v) => card(v, worker)!.state !== 'ready' || card(v, worker)!.tasks === 0, 20_000);
      await showServices();
      const v = await until(`${worker} down, its tasks elsewhere: web 6/6`, seen, (v) =>
        card(v, worker)!.state === 'down' && card(v, worker)!.tasks === 0
        && service(v, 'web')?.running === 6 && othersRunning(v) && total(v) === 6 + others(v), 40_000);
      const live = v.cards.filter((c) => c.state === 'ready');
      expect(live).toHaveLength(3);
      expect(live.reduce((n, c) => n + c.tasks, 0)).toBe(6 + others(v));
      expect(service(v, 'web')?.text).toBe('6/6');
      expect(sent('machineAction').at(-1)).toEqual({ machine: worker, action: 'kill' });
    });
  }, 60_000);

  it('opens a console on a manager and reads docker node ls in the terminal', async () => {
    await step('5-console', async () => {
      const dead = (await seen()).cards.find((c) => c.role === 'manager' && c.state === 'down')!.host;
      await menuAction(leader, 'console');
      const term = s.page.getByTestId(`console-${leader}`);
      await term.waitFor();
      const rows = term.locator('.xterm-rows');
      // The shell's prompt first: input typed before the session is open goes nowhere.
      await expect.poll(() => rows.innerText(), { timeout: 20_000 }).toMatch(/\S/);
      await term.click();
      await s.page.keyboard.type('docker node ls');
      await s.page.keyboard.press('Enter');
      const text = await until('the output of docker node ls', () => rows.innerText(), (t) =>
        /HOSTNAME\s+STATUS/.test(t) && /Leader/.test(t) && ['manager1', 'manager2', 'manager3', 'worker1', 'worker2'].every((h) => t.includes(h)), 20_000);
      const lines = text.split('\n');
      const line = (h: string) => lines.find((l) => new RegExp(`\\s${h}\\s`).test(l)) ?? '';
      expect(line(leader)).toMatch(/Ready\s+Active\s+Leader/);
      expect(line(worker)).toMatch(/Down\s+Active/);
      expect(line(dead)).toMatch(/Down\s+Active\s+Unreachable/);
    });
  }, 60_000);

  it('runs a rolling update from its dialog (parallelism 2) and follows it to completed', async () => {
    await step('6-rolling-update', async () => {
      await showServices();
      const web = s.page.getByTestId('service-web');
      await web.locator('button.summary').click();
      await web.getByTestId('update').click();
      const dialog = s.page.getByTestId('update-service');
      await dialog.waitFor();
      await dialog.getByTestId('update-image').selectOption(NEW_IMAGE);
      await dialog.getByTestId('update-parallelism').fill('2');
      await dialog.getByTestId('update-delay').fill('0s');
      await dialog.getByTestId('update-start').click();
      await dialog.waitFor({ state: 'detached' });
      const progress = web.getByTestId('update-progress');
      // The bar walks: note every state and count it shows on the way (read as often as the page allows).
      const walked: string[] = [];
      let shot = false;
      const v = await until('the update completed', async () => {
        const now = await seen();
        const web = service(now, 'web');
        const at = web?.update ? `${web.update} ${web.progress?.match(/\d+\/\d+/)?.[0]}` : 'not started';
        if (walked.at(-1) !== at) walked.push(at);
        if (!shot && service(now, 'web')?.update === 'updating') {
          shot = true;
          await s.screenshot('app-lab-6-rolling-update-progress');
        }
        return now;
      }, (v) => service(v, 'web')?.update === 'completed' && service(v, 'web')?.running === 6, 60_000);
          console.log(`rolling update as the panel showed it: ${walked.join(' → ')}`);
      expect(sent('updateService')).toEqual([expect.objectContaining({ image: NEW_IMAGE, policy: expect.objectContaining({ parallelism: 2 }) })]);
      await expect.poll(() => progress.getAttribute('data-state')).toBe('completed');
      await expect.poll(() => progress.textContent()).toContain('completed');
      await expect.poll(() => progress.textContent()).toContain('6/6');
      await expect.poll(() => web.locator('code').textContent()).toBe(NEW_IMAGE);
      expect(total(v)).toBe(6 + others(v));
    });
  }, 90_000);

  it('a demote that would lose quorum shows the warning and its reason, and is not done', async () => {
    await step('7-demote-cancelled', async () => {
      const dead = (await seen()).cards.find((c) => c.role === 'manager' && c.state === 'down')!.host;
      const v = await until('two live managers', seen, (v) => v.cards.filter((c) => c.role === 'manager' && c.state === 'ready').length === 2, 20_000);
      const target = v.cards.find((c) => c.role === 'manager' && c.state === 'ready' && !c.leader)!.host;
      await menuAction(target, 'demote');
      const dialog = s.page.getByTestId('confirm-dialog');
      await dialog.waitFor();
      await expect.poll(() => dialog.locator('h2').textContent()).toBe(`Demoting ${target} would lose quorum`);
      const reason = dialog.getByTestId('warning-reason');
      await expect.poll(() => reason.textContent()).toContain(`demoting ${target} leaves`);
      await expect.poll(() => reason.textContent()).toContain(`${dead} is unreachable`);
      await expect.poll(() => reason.textContent()).toContain('so the swarm would lose quorum');
      await expect.poll(() => dialog.getByTestId('confirm').textContent()).toBe('Demote anyway');
      await s.screenshot('app-lab-7-demote-warning');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => cardOf(target).getAttribute('data-role')).toBe('manager');
      expect(sent('setNodeRole')).toEqual([]);
      expect(s.problems).toEqual([]);
    });
  }, 60_000);
});
