// Where lab files come from: a template of resources/labs (`swarmlab up ha`) or a file of the
// user's (`swarmlab up ./mylab.yaml`). A template is named in errors as labs/NAME.yaml, a file as
// the path the user gave.

import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageCatalog } from '../../core/executor/catalog.ts';
import { defaultCatalogPath } from '../../core/swarmd/catalog-path.ts';
import { LabError } from './errors.ts';
import { parseLabFile, type LabDefinition } from './lab-file.ts';

export const DEFAULT_TEMPLATE = 'default';

/** resources/labs at the top of the tree, found by walking up (from main/lab, or from dist/ once built). */
export function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources', 'labs');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new LabError('cannot find the lab templates (resources/labs): is this a complete swarmlab install?');
}

export async function templateNames(dir = templatesDir()): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}

export interface LoadOptions {
  templates?: string;
  catalog?: ImageCatalog;
}

/** Reads and checks a lab: `arg` is a template's name or a file's path (default: the default template). */
export async function loadLab(arg: string | undefined, opts: LoadOptions = {}): Promise<LabDefinition> {
  const { file, source } = await resolveLab(arg ?? DEFAULT_TEMPLATE, opts.templates);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LabError(`cannot read ${source}: ${(err as Error).message}`);
  }
  const catalog = opts.catalog ?? (await ImageCatalog.load(defaultCatalogPath()));
  return parseLabFile(text, source, catalog);
}

async function resolveLab(arg: string, templates?: string): Promise<{ file: string; source: string }> {
  const looksLikePath = /[\\/]/.test(arg) || /\.ya?ml$/.test(arg);
  if (looksLikePath || (await isFile(arg))) {
    if (!(await isFile(arg))) throw new LabError(`no lab file ${arg}`);
    return { file: arg, source: arg };
  }
  const dir = templates ?? templatesDir();
  const file = join(dir, `${arg}.yaml`);
  if (await isFile(file)) return { file, source: `labs/${arg}.yaml` };
  throw new LabError(`no lab template or file named "${arg}": the templates are ${(await templateNames(dir)).join(', ')}; a lab file's path ends in .yaml`);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
