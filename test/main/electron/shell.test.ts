// The Electron shell's pieces that need no Electron: the window's settings and lock-down, the
// swarmlab:// page with its CSP, finding a binary, and the bundles (the preload, run as Electron
// would run it, exposes exactly the LabApi).

import { chmod, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appResponse, isAppPage } from '../../../main/electron/app-protocol.ts';
import { bundleElectron, ELECTRON_DIST, ELECTRON_MAIN } from '../../../main/electron/bundle.ts';
import type { ElectronMain, WebContentsLike } from '../../../main/electron/electron-api.ts';
import { findElectron, hasDisplay } from '../../../main/electron/find-electron.ts';
import { lockDown, restrictPermissions, windowOptions } from '../../../main/electron/window.ts';
import { LAB_METHODS } from '../../../main/lab/protocol.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-electron-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the window', () => {
  it('is isolated and sandboxed, without Node, with web security on', () => {
    const w = windowOptions('/x/preload.cjs').webPreferences;
    expect(w).toMatchObject({ preload: '/x/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
  });

  it('denies navigation, redirects, webviews and new windows; grants no permission but writing the clipboard', () => {
    const handlers = new Map<string, (e: { preventDefault(): void }) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    const contents = {
      on: (event: string, l: (e: { preventDefault(): void }) => void) => void handlers.set(event, l),
      setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => (openHandler = h),
    } as unknown as WebContentsLike;
    lockDown(contents);
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      let prevented = false;
      handlers.get(event)!({ preventDefault: () => (prevented = true) });
      expect(prevented, event).toBe(true);
    }
    expect(openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });

    let request: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | undefined;
    let check: ((c: unknown, p: string) => boolean) | undefined;
    restrictPermissions({ session: { defaultSession: { setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) } } } as Pick<ElectronMain, 'session'>);
    const granted: Record<string, boolean> = {};
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal']) request!(null, p, (g) => (granted[p] = g));
    expect(granted).toEqual({ media: false, geolocation: false, notifications: false, 'clipboard-read': false, 'clipboard-sanitized-write': true, openExternal: false });
    expect(check!(null, 'media')).toBe(false);
  });
});

describe('the swarmlab:// page', () => {
  it('knows its own page and nothing else', () => {
    expect(isAppPage('swarmlab://app/index.html')).toBe(true);
    expect(isAppPage('swarmlab://app/index.html?demo')).toBe(true);
    expect(isAppPage('swarmlab://app/')).toBe(true);
    for (const url of ['swarmlab://app/assets/x.js', 'swarmlab://other/index.html', 'file:///index.html', 'http://app/index.html', 'nonsense', undefined]) expect(isAppPage(url), String(url)).toBe(false);
  });

  it('serves the bundle with a strict CSP, nothing outside it, and a placeholder before it is built', async () => {
    const bundle = join(dir, 'renderer');
    const placeholder = await appResponse(bundle, 'swarmlab://app/index.html');
    expect(placeholder.status).toBe(200);
    expect(String(placeholder.body)).toContain('the renderer is not built');
    await mkdir(join(bundle, 'assets'), { recursive: true });
    await writeFile(join(bundle, 'index.html'), '<!doctype html>');
    await writeFile(join(bundle, 'assets', 'a.js'), 'x');
    await writeFile(join(dir, 'secret'), 's');
    const page = await appResponse(bundle, 'swarmlab://app/index.html');
    expect(String(page.body)).toBe('<!doctype html>');
    expect(page.headers['Content-Security-Policy']).toMatch(/^default-src 'none'; script-src 'self'; /);
    expect(page.headers['Content-Security-Policy']).toContain("connect-src 'self';");
    expect((await appResponse(bundle, 'swarmlab://app/assets/a.js')).headers['Content-Type']).toMatch(/^text\/javascript/);
    for (const url of ['swarmlab://app/../secret', 'swarmlab://app/%2e%2e/secret', 'swarmlab://app/assets/%2e%2e/%2e%2e/secret', 'swarmlab://other/index.html', 'file:///etc/passwd']) {
      expect((await appResponse(bundle, url)).status, url).toBe(404);
    }
    expect((await appResponse(bundle, 'swarmlab://app/index.html', 'POST')).status).toBe(404);
  });
});

describe('finding Electron', () => {
  it('takes SWARMLAB_ELECTRON, then the npm package, then PATH; none is undefined', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    const fake = join(bin, 'electron');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
    expect(findElectron({ SWARMLAB_ELECTRON: fake }, 'linux', dir)).toBe(fake);
    expect(findElectron({ SWARMLAB_ELECTRON: join(dir, 'missing') }, 'linux', dir)).toBeUndefined();
    expect(findElectron({ PATH: bin }, 'linux', dir)).toBe(fake);
    expect(findElectron({ PATH: '' }, 'linux', dir)).toBeUndefined();
    const pkg = join(dir, 'node_modules', 'electron');
    await mkdir(join(pkg, 'dist'), { recursive: true });
    await writeFile(join(pkg, 'path.txt'), 'electron');
    expect(findElectron({ PATH: '' }, 'linux', dir)).toBeUndefined();
    await writeFile(join(pkg, 'dist', 'electron'), '#!/bin/sh\n');
    await chmod(join(pkg, 'dist', 'electron'), 0o755);
    expect(findElectron({ PATH: '' }, 'linux', dir)).toBe(join(pkg, 'dist', 'electron'));
  });

  it('needs a display on Linux, not on macOS or Windows', () => {
    expect(hasDisplay({}, 'linux')).toBe(false);
    expect(hasDisplay({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(hasDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(hasDisplay({}, 'darwin')).toBe(true);
    expect(hasDisplay({}, 'win32')).toBe(true);
  });
});

describe('the bundles', () => {
  it('the preload, run as a sandboxed preload, puts exactly the LabApi on window.swarmlab', async () => {
    await bundleElectron();
    const code = await readFile(join(ELECTRON_DIST, 'preload.cjs'), 'utf8');
    const exposed: { key: string; api: Record<string, unknown> }[] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.push({ key, api }) },
      ipcRenderer: { invoke: async () => undefined, on: () => {} },
    };
    const required: string[] = [];
    const require = (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron;
    };
    runInNewContext(code, { require, module: { exports: {} }, exports: {}, setTimeout });
    expect(required).toEqual(['electron']);
    expect(exposed).toHaveLength(1);
    expect(exposed[0]!.key).toBe('swarmlab');
    expect(Object.keys(exposed[0]!.api).sort()).toEqual([...LAB_METHODS, 'subscribe'].sort());
    // The main process loads Electron at run time; the bundle carries none of it.
    const main = await readFile(ELECTRON_MAIN, 'utf8');
    expect(main).toContain('await import(electronModule)');
    expect(main).not.toMatch(/from ["']electron["']/);
  });
});
