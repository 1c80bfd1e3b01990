// Bundles the command-line programs (swarmd, swarmctl, a lab machine, the swarmlab CLI) into single
// ES modules under dist/, so they start fast and small: one file, no TypeScript loader; and builds
// the renderer into dist/renderer. `npm install` runs it (prepare), and the tests that start real
// swarmd processes run it once before they begin. Beside each bundle, NAME.inputs.json lists the
// source files it was made from and when, so that bin/swarmlab.js can tell a bundle older than the
// sources of a checkout being edited (and run those through tsx instead).

import { build, type Plugin } from 'esbuild';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const PROGRAMS = {
  swarmd: 'core/swarmd/main.ts',
  swarmctl: 'core/swarmctl/main.ts',
  machine: 'vm/local/machine-main.ts',
  swarmlab: 'main/cli/main.ts',
} as const;

/**
 * Loaded from node_modules at run time instead of bundled: node-pty is native, and ssh2 loads its
 * optional native crypto (and cpu-features) by relative paths that only exist in its own package.
 * esbuild (a development tool with a native binary) is what `swarmlab app` bundles the Electron
 * shell with.
 */
const EXTERNAL = ['node-pty', 'ssh2', 'cpu-features', 'esbuild'];

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

/**
 * dockerode loads gRPC and protobuf (about 850 KiB, and a third of the CLI's start) for BuildKit
 * image builds, which swarmlab never asks for: its session and progress modules are left out.
 */
const dockerodeWithoutBuildKit: Plugin = {
  name: 'dockerode-without-buildkit',
  setup(b) {
    b.onLoad({ filter: /dockerode[\\/]lib[\\/](session|buildkit)\.js$/ }, (args) => ({
      contents: /session\.js$/.test(args.path)
        ? "module.exports = function withSession(_docker, _auth, handler) { handler(new Error('BuildKit sessions are not part of swarmlab'), null, function () {}); };"
        : "exports.followProgress = function () { throw new Error('BuildKit progress is not part of swarmlab'); };",
      loader: 'js',
    }));
  },
};

/**
 * docker-modem loads ssh2 as it loads, for ssh:// Docker hosts, which swarmlab does not dial: the
 * require moves to where such a connection is made. If the file is not as expected (another
 * version), it is bundled as it is.
 */
const dockerModemLazySsh2: Plugin = {
  name: 'docker-modem-lazy-ssh2',
  setup(b) {
    b.onLoad({ filter: /docker-modem[\\/]lib[\\/]ssh\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const head = "var Client = require('ssh2').Client,\n  http = require('http');";
      const use = 'var conn = new Client();';
      if (!text.includes(head) || !text.includes(use)) return undefined;
      return { contents: text.replace(head, "var http = require('http');").replace(use, "var conn = new (require('ssh2').Client)();"), loader: 'js' };
    });
  },
};

/**
 * esbuild escapes non-ASCII characters in strings but keeps some comments as they are, and one such
 * character makes V8 hold the whole module's source in two bytes a character (0.9 MiB more per
 * process for a machine): those left are escaped too (only comments have any).
 */
function asciiOnly(file: string): void {
  const text = readFileSync(file, 'utf8');
  const nonAscii = /[^\x00-\x7f]/g;
  if (nonAscii.test(text)) writeFileSync(file, text.replace(nonAscii, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** What bin/swarmlab.js reads to tell whether a bundle is older than its sources. */
export interface BundleInputs {
  /** When the build started (ms since the epoch): a source changed later makes the bundle stale. */
  builtAt: number;
  /** The files outside node_modules it was made from, relative to the top of the tree, with '/'. */
  inputs: string[];
}

export async function bundle(names: (keyof typeof PROGRAMS)[] = Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const outfile = join(root, 'dist', `${name}.mjs`);
    const builtAt = Date.now();
    const result = await build({
      entryPoints: [join(root, PROGRAMS[name])],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      plugins: [zodEnglishOnly, dockerodeWithoutBuildKit, dockerModemLazySsh2],
      external: EXTERNAL,
      logLevel: 'warning',
      metafile: true,
      absWorkingDir: root,
      // Packages that use require() inside an ES module bundle need a require of their own.
      banner: { js: "import { createRequire as __swarmlabRequire } from 'node:module'; const require = __swarmlabRequire(import.meta.url);" },
    });
    asciiOnly(outfile);
    // The metafile names inputs relative to absWorkingDir, with '/'.
    const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node_modules/') && !p.startsWith('../') && !p.includes(':'));
    // Dependencies count too: a changed lock file means other packages than the bundle's.
    const manifest: BundleInputs = { builtAt, inputs: [...inputs, 'package-lock.json'] };
    writeFileSync(join(root, 'dist', `${name}.inputs.json`), `${JSON.stringify(manifest)}\n`);
    out.push(outfile);
  }
  return out;
}

/** Files the renderer bundle is made from, besides renderer/ itself (its type-only contract). */
const RENDERER_INPUTS = ['renderer', 'vite.renderer.config.ts', 'main/lab/protocol.ts', 'package-lock.json'];

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/**
 * Builds the renderer (vite, vite.renderer.config.ts) into dist/renderer. With `ifStale`, only when
 * a source is newer than the last build, which costs a few seconds of CPU the tests need not pay
 * each run.
 */
export async function buildRenderer(opts: { ifStale?: boolean } = {}): Promise<boolean> {
  const index = join(root, 'dist', 'renderer', 'index.html');
  if (opts.ifStale) {
    const built = statSync(index, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (built > 0 && RENDERER_INPUTS.every((p) => newestMtime(join(root, p)) <= built)) return false;
  }
  // Built beside and swapped in whole: a test run starting meanwhile never serves half a bundle.
  const out = join(root, 'dist', 'renderer');
  const next = `${out}.next-${process.pid}`;
  const old = `${out}.old-${process.pid}`;
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(root, 'vite.renderer.config.ts'), logLevel: 'warn', build: { outDir: next, emptyOutDir: true } });
  await rename(out, old).catch(() => {});
  await rename(next, out);
  await rm(old, { recursive: true, force: true });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { existsSync } = await import('node:fs');
  const names = (Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[]).filter((n) => existsSync(join(root, PROGRAMS[n])));
  await bundle(names);
  if (existsSync(join(root, 'vite.renderer.config.ts'))) await buildRenderer();
  // The Electron shell (dist/electron), for whoever packages the app or has an Electron binary.
  await (await import('./electron/bundle.ts')).bundleElectron();
}
