// Bundles the command-line programs (swarmd, swarmctl, a lab machine) into single ES modules under
// dist/, so they start fast and small: one file, no TypeScript loader; and builds the renderer into
// dist/renderer. `npm install` runs it (prepare), and the tests that start real swarmd processes
// run it once before they begin.

import { build, type Plugin } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const PROGRAMS = {
  swarmd: 'core/swarmd/main.ts',
  swarmctl: 'core/swarmctl/main.ts',
  machine: 'vm/local/machine-main.ts',
} as const;

/**
 * Loaded from node_modules at run time instead of bundled: node-pty is native, and ssh2 loads its
 * optional native crypto (and cpu-features) by relative paths that only exist in its own package.
 */
const EXTERNAL = ['node-pty', 'ssh2', 'cpu-features'];

/**
 * zod exports every message locale (about 600 KiB of the bundle); swarmlab speaks English only, and
 * each node's memory counts when a laptop runs a dozen of them.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: join(root, 'node_modules', 'zod', 'v4', 'locales'),
    }));
  },
};

export async function bundle(names: (keyof typeof PROGRAMS)[] = Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const outfile = join(root, 'dist', `${name}.mjs`);
    await build({
      entryPoints: [join(root, PROGRAMS[name])],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      plugins: [zodEnglishOnly],
      external: EXTERNAL,
      logLevel: 'warning',
      // Packages that use require() inside an ES module bundle need a require of their own.
      banner: { js: "import { createRequire as __swarmlabRequire } from 'node:module'; const require = __swarmlabRequire(import.meta.url);" },
    });
    out.push(outfile);
  }
  return out;
}

/** Files the renderer bundle is made from, besides renderer/ itself (its type-only contract). */
const RENDERER_INPUTS = ['renderer', 'main/lab/protocol.ts', 'package-lock.json'];

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/**
 * Builds the renderer (vite, renderer/vite.config.ts) into dist/renderer. With `ifStale`, only when
 * a source is newer than the last build, which costs a few seconds of CPU the tests need not pay
 * each run.
 */
export async function buildRenderer(opts: { ifStale?: boolean } = {}): Promise<boolean> {
  const index = join(root, 'dist', 'renderer', 'index.html');
  if (opts.ifStale) {
    const built = statSync(index, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (built > 0 && RENDERER_INPUTS.every((p) => newestMtime(join(root, p)) <= built)) return false;
  }
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(root, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { existsSync } = await import('node:fs');
  const names = (Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[]).filter((n) => existsSync(join(root, PROGRAMS[n])));
  await bundle(names);
  if (existsSync(join(root, 'renderer', 'vite.config.ts'))) await buildRenderer();
  // The Electron shell (dist/electron), for whoever packages the app or has an Electron binary.
  await (await import('./electron/bundle.ts')).bundleElectron();
}
