// Bundles the command-line programs (swarmd, swarmctl, a lab machine) into single ES modules under
// dist/, so they start fast and small: one file, no TypeScript loader. `npm install` runs it
// (prepare), and the tests that start real swarmd processes run it once before they begin.

import { build, type Plugin } from 'esbuild';
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { existsSync } = await import('node:fs');
  const names = (Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[]).filter((n) => existsSync(join(root, PROGRAMS[n])));
  await bundle(names);
}
