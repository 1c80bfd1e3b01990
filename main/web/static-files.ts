// The renderer bundle as files (vite's build output), or, before it is built, a page that says so
// and how to build it: the web mode then still starts and its API still answers.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function placeholderPage(dir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swarmlab</title>
<style>body{font:18px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}code{background:#eee;padding:0 .3em}</style>
</head><body>
<h1>swarmlab: the renderer is not built</h1>
<p>The web server and its API are running, but there is no user interface to serve: <code>${escapeHtml(dir)}</code> has no <code>index.html</code>.</p>
<p>Build it with <code>npm run build</code>, then reload this page.</p>
</body></html>
`;
}

/** Serves GET/HEAD of `dir`'s files; `/` is index.html. Resolves false when nothing matched (404 is the caller's). */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, dir: string, headers: Record<string, string>): Promise<boolean> {
  const root = resolve(dir);
  const path = decodePath(req.url ?? '/');
  if (path === undefined) return false;
  const file = resolve(join(root, path === '/' ? 'index.html' : path));
  // A path that climbs out of the bundle (../, encoded or not) is simply not one of its files.
  if (file !== root && !file.startsWith(root + sep)) return false;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    if (path !== '/') return false;
    send(res, 200, { ...headers, 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' }, req.method === 'HEAD' ? '' : placeholderPage(root));
    return true;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': contentType(file),
    'Content-Length': String(info.size),
    // vite names assets by content hash; the page itself must always be fresh.
    'Cache-Control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', done);
    stream.pipe(res);
  });
  return true;
}

function decodePath(url: string): string | undefined {
  try {
    const path = decodeURIComponent(new URL(url, 'http://x').pathname);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
