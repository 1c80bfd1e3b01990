// Where an Electron binary is, if this machine has one: named by SWARMLAB_ELECTRON, installed by
// the `electron` npm package (which downloads it in an install script, not run everywhere), or on
// PATH. And whether a window could be shown at all (Linux without a display cannot).

import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../package-root.ts';

// From main/electron in a checkout, or from dist/ when the swarmlab CLI is bundled.
const root = packageRoot();

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findElectron(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, base = root): string | undefined {
  if (env.SWARMLAB_ELECTRON) return executable(env.SWARMLAB_ELECTRON) ? env.SWARMLAB_ELECTRON : undefined;
  // The npm package writes the binary's path inside its dist/ into path.txt once it has downloaded it.
  const pkg = join(base, 'node_modules', 'electron');
  const pathTxt = join(pkg, 'path.txt');
  if (existsSync(pathTxt)) {
    const bin = join(pkg, 'dist', readFileSync(pathTxt, 'utf8').trim());
    if (executable(bin)) return bin;
  }
  const names = platform === 'win32' ? ['electron.exe', 'electron.cmd'] : ['electron'];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** A window can open: always on macOS and Windows; on Linux and the BSDs, with an X or Wayland display. */
export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
