// Where the bundled programs are (dist/swarmd.mjs, dist/machine.mjs, made by `npm install`).
// core/swarmd/launch.ts knows swarmd's place relative to the source tree; compiled into dist/
// (npm run build) that relative path points elsewhere, so look upward for the install's dist/.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SWARMD_BUNDLE } from '../../core/swarmd/launch.ts';
import { MachineError } from '../errors.ts';

export type BundleName = 'swarmd' | 'machine';

export function findBundle(name: BundleName, from: string = fileURLToPath(import.meta.url)): string {
  const beside = path.join(path.dirname(SWARMD_BUNDLE), `${name}.mjs`);
  if (existsSync(beside)) return beside;
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', `${name}.mjs`);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new MachineError(`${name} is not built (no ${beside}): run npm install, or npx tsx main/bundle.ts`);
}
