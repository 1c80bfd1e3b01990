#!/usr/bin/env node
// Runs the swarmlab CLI: bundled (dist/swarmlab.mjs, made by `npm install` or `npm run build`) when
// the bundle is there and no source it was made from changed since, else the TypeScript source
// through tsx. The check reads dist/swarmlab.inputs.json (written with the bundle) and stats the
// files it lists: about a millisecond, where tsx costs a second or two of CPU.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundled = fileURLToPath(new URL('../dist/swarmlab.mjs', import.meta.url));

/** 'fresh', 'stale' (a source is newer, or gone), or 'missing'. */
function bundleState() {
  let manifest;
  try {
    statSync(bundled);
    manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../dist/swarmlab.inputs.json', import.meta.url)), 'utf8'));
  } catch {
    return 'missing';
  }
  if (typeof manifest?.builtAt !== 'number' || !Array.isArray(manifest.inputs)) return 'stale';
  for (const input of manifest.inputs) {
    const st = statSync(root + input, { throwIfNoEntry: false });
    if (!st || st.mtimeMs > manifest.builtAt) return 'stale';
  }
  return 'fresh';
}

const state = bundleState();
let tsx;
if (state !== 'fresh') {
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    // An install without development tools: a stale bundle is better than none.
    if (state === 'missing') throw err;
  }
}
if (tsx) {
  tsx.register();
  await import('../main/cli/main.ts');
} else {
  await import(pathToFileURL(bundled).href);
}
