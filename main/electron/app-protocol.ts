// The window's page comes from swarmlab://app/, a scheme of our own served from the renderer bundle,
// rather than from file://: responses carry a strict CSP and security headers (file:// has no
// headers), the page can reach no other file on disk, and "the app's own page" is one exact origin
// that IPC checks every sender against.

import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { contentSecurityPolicy } from '../web/headers.ts';
import { contentType, placeholderPage } from '../web/static-files.ts';

export const APP_SCHEME = 'swarmlab';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** Is this the app's own page (any query, as ?demo; never another path, host or scheme)? */
export function isAppPage(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'app' && (u.pathname === '/index.html' || u.pathname === '/');
  } catch {
    return false;
  }
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export function appHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/** The response to a request of swarmlab://app/PATH: a file of the bundle, its placeholder, or 404. */
export async function appResponse(rendererDir: string, url: string, method = 'GET'): Promise<AppResponse> {
  const headers = appHeaders();
  const notFound = { status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'not found\n' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return notFound;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== 'app' || method !== 'GET') return notFound;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return notFound;
  }
  const root = resolve(rendererDir);
  const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
  if (path.includes('\0') || !file.startsWith(root + sep)) return notFound;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    if (isAppPage(url)) return { status: 200, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' }, body: placeholderPage(root) };
    return notFound;
  }
  return { status: 200, headers: { ...headers, 'Content-Type': contentType(file) }, body: await readFile(file) };
}
