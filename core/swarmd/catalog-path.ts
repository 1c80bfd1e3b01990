// Where this install keeps the built-in image catalog: resources/images/catalog.json at the top of
// the tree, found by walking up from this module (it runs from core/swarmd in a checkout and from
// dist/ once bundled).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultCatalogPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources', 'images', 'catalog.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find resources/images/catalog.json: pass --images PATH');
}
