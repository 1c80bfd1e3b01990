// The renderer's build: one bundle in dist/renderer that main/web serves and Electron loads from
// file:// — hence relative asset paths (base './') and nothing fetched from the network.

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte()],
  logLevel: 'warn',
  build: {
    outDir: join(here, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    // Electron's Chromium and Debian's are both recent; no legacy transforms.
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
