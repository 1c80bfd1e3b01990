// Where the bundled swarmd is. core/swarmd/launch.ts knows its place relative to the source tree;
// compiled into dist/ (npm run build) that relative path points elsewhere, so look upward for the
// install's dist/swarmd.mjs.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SWARMD_BUNDLE } from '../../core/swarmd/launch.ts';
import { MachineError } from '../errors.ts';

export function findSwarmdBundle(from: string = fileURLToPath(import.meta.url)): string {
  if (existsSync(SWARMD_BUNDLE)) return SWARMD_BUNDLE;
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', 'swarmd.mjs');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new MachineError(`swarmd is not built (no ${SWARMD_BUNDLE}): run npm install, or npx tsx main/bundle.ts`);
}
