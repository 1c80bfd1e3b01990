#!/usr/bin/env -S node --max-semi-space-size=1
// Runs the bundled swarmd (dist/swarmd.mjs, made by `npm install` or `npm run build`), or the
// TypeScript source through tsx when there is no bundle yet.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundled = fileURLToPath(new URL('../dist/swarmd.mjs', import.meta.url));
if (existsSync(bundled)) {
  await import(pathToFileURL(bundled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../core/swarmd/main.ts');
}
