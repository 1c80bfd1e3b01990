// The renderer's build: one bundle in dist/renderer that main/web serves and Electron loads from
// file:// — hence relative asset paths (base './') and nothing fetched from the network.

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Kept at the top of the tree, not in renderer/: it runs in Node, and nothing in renderer/ may.
const top = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: join(top, 'renderer'),
  base: './',
  plugins: [svelte()],
  logLevel: 'warn',
  build: {
    outDir: join(top, 'dist', 'renderer'),
    emptyOutDir: true,
    // Electron's Chromium and Debian's are both recent; no legacy transforms.
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
