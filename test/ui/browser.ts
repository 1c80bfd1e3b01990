// Real Chromium for the UI tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser). A test file launches one browser (a launch costs seconds here) and opens a
// fresh page per test; each page records what it complains about (console errors, uncaught
// exceptions, CSP refusals) and saves screenshots into test-artifacts/. Pages and the browser are
// always closed, whatever the test did; withPage does all of it for a single page.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SWARMLAB_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

export interface UiSession {
  page: Page;
  /** Console errors and uncaught exceptions, in order. */
  problems: string[];
  /** Saves test-artifacts/NAME.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface PageOptions {
  viewport?: { width: number; height: number };
  /** How long page actions and waits may take by default. */
  timeoutMs?: number;
}

export interface UiBrowser {
  open(url: string, o?: PageOptions): Promise<UiSession>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<UiBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium, as .ci/run does) or set SWARMLAB_CHROMIUM`);
  }
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  const contexts = new Set<BrowserContext>();
  return {
    async open(url, o = {}) {
      // A context per page: no storage, cookies or session tokens carried from one test to the next.
      const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 800 } });
      contexts.add(context);
      const close = async (): Promise<void> => {
        contexts.delete(context);
        await context.close();
      };
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(o.timeoutMs ?? 15_000);
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(`console: ${m.text()}`);
        });
        page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
        await page.goto(url);
        return {
          page,
          problems,
          async screenshot(name) {
            await mkdir(ARTIFACTS, { recursive: true });
            const path = join(ARTIFACTS, `${name}.png`);
            await page.screenshot({ path, fullPage: true });
            return path;
          },
          close,
        };
      } catch (err) {
        await close();
        throw err;
      }
    },
    async close() {
      for (const c of [...contexts]) await c.close().catch(() => {});
      await browser.close();
    },
  };
}

/** One page in its own browser, closed afterwards. */
export async function withPage<T>(url: string, fn: (s: UiSession) => Promise<T>, o: PageOptions = {}): Promise<T> {
  const browser = await launchBrowser();
  try {
    const session = await browser.open(url, o);
    try {
      return await fn(session);
    } finally {
      await session.close();
    }
  } finally {
    await browser.close();
  }
}
