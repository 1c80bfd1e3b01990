#!/usr/bin/env node
// Runs the swarmlab CLI: compiled (dist/main/cli/main.js, made by `npm run build`) when it is
// there, else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/main/cli/main.js', import.meta.url));
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../main/cli/main.ts');
}
