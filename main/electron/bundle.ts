// Bundles the Electron shell into dist/electron: main.mjs (the main process, an ES module with the
// lab controller inside) and preload.cjs (sandboxed preloads must be CommonJS). Electron itself is
// never bundled: it is built into the binary that runs them.

import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';

// From main/electron in a checkout, or from dist/ when the swarmlab CLI is bundled.
const root = packageRoot();
export const ELECTRON_DIST = join(root, 'dist', 'electron');
export const ELECTRON_MAIN = join(ELECTRON_DIST, 'main.mjs');

export async function bundleElectron(): Promise<void> {
  const common: BuildOptions = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning', external: ['electron', 'node-pty', 'ssh2', 'cpu-features'] };
  await build({
    ...common,
    entryPoints: [join(root, 'main', 'electron', 'main.ts')],
    outfile: ELECTRON_MAIN,
    format: 'esm',
    // Packages that use require() inside an ES module bundle need a require of their own.
    banner: { js: "import { createRequire as __swarmlabRequire } from 'node:module'; const require = __swarmlabRequire(import.meta.url);" },
  });
  await build({ ...common, entryPoints: [join(root, 'main', 'electron', 'preload.ts')], outfile: join(ELECTRON_DIST, 'preload.cjs'), format: 'cjs' });
}
