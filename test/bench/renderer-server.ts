// Serves the built renderer (dist/renderer) on 127.0.0.1 for the UI benchmark and the screenshots,
// building it first when it is missing. The page runs its demo feed (?demo=...), so no lab is needed.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIST = join(root, 'dist', 'renderer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2',
};

export function buildRendererIfMissing(): void {
  if (existsSync(join(RENDERER_DIST, 'index.html'))) return;
  execFileSync('npx', ['vite', 'build', '--config', 'vite.renderer.config.ts'], { cwd: root, stdio: 'inherit' });
}

export async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(RENDERER_DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(RENDERER_DIST)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
