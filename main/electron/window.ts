// The app's window and the rules every web contents lives by: isolated, sandboxed, no Node, no
// navigation away from the app, no new windows, no webviews, no permissions but writing the
// clipboard (a console's copy).

import { APP_URL } from './app-protocol.ts';
import type { BrowserWindowOptions, ElectronMain, WebContentsLike } from './electron-api.ts';

export function windowOptions(preload: string): BrowserWindowOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'swarmlab',
    show: false,
    backgroundColor: '#101418',
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/**
 * Links the page may open outside the app, in the user's browser: `allowed` says which (the lab's
 * node addresses over plain http, see main/lab/node-links.ts), `open` opens them (shell.openExternal).
 */
export interface ExternalLinks {
  allowed: (url: string) => boolean;
  open: (url: string) => void;
}

/**
 * The page is a single-page app: it never needs to navigate, open a window or embed one. A new
 * window asked for a link the lab allows (a published port on a node) opens in the browser instead.
 */
export function lockDown(contents: WebContentsLike, external?: ExternalLinks): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (external?.allowed(url)) external.open(url);
    return { action: 'deny' };
  });
  for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview'] as const) contents.on(event, (e) => e.preventDefault());
}

const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function restrictPermissions(electron: Pick<ElectronMain, 'session'>): void {
  const s = electron.session.defaultSession;
  s.setPermissionRequestHandler((_contents, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));
  s.setPermissionCheckHandler((_contents, permission) => ALLOWED_PERMISSIONS.has(permission));
}

export async function openWindow(electron: Pick<ElectronMain, 'BrowserWindow'>, preload: string): Promise<void> {
  const win = new electron.BrowserWindow(windowOptions(preload));
  win.once('ready-to-show', () => win.show());
  await win.loadURL(APP_URL);
}
