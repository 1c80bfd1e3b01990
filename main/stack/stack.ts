// A compose file deployed as a stack, and a stack removed, as the CLI and the lab controller both do
// it: load (file:line:column errors), convert (docker/cli's objects), deploy over the Engine API.
// Failures the user can fix come back as LabErrors (their message alone is printed).

import { convertStack } from '../../core/stack/convert.ts';
import { checkStackName, deployStack, removeStack, StackError, type RemoveOptions, type StackEngine } from '../../core/stack/deploy.ts';
import { LabError } from '../lab/errors.ts';
import { ComposeError, loadCompose, type LoadOptions } from './load.ts';

export interface DeployRequest extends Omit<LoadOptions, 'source'> {
  /** The stack's name (its namespace). */
  name: string;
  /** The compose file's text. */
  compose: string;
  /** How messages name the file (default "compose file"). */
  source?: string;
  /** Remove the stack's services the file no longer has. */
  prune?: boolean;
}

export interface DeployResult {
  /** What was done, a line a step ("Creating service app_web"). */
  lines: string[];
  /** Keys ignored, variables not set ("Ignoring unsupported options: build"). */
  warnings: string[];
}

export async function deployCompose(engine: StackEngine, req: DeployRequest): Promise<DeployResult> {
  const { stack, warnings } = await loadCompose(req.compose, { source: req.source ?? 'compose file', env: req.env, ...(req.dir !== undefined ? { dir: req.dir } : {}), ...(req.read ? { read: req.read } : {}) });
  return userErrors(async () => {
    checkStackName(req.name);
    let objects;
    try {
      objects = convertStack(req.name, stack);
    } catch (err) {
      throw new ComposeError(`${req.source ?? 'compose file'}: ${(err as Error).message}`);
    }
    const report = await deployStack(engine, objects, { prune: req.prune ?? false });
    return { lines: report.lines, warnings };
  });
}

export async function removeComposeStack(engine: StackEngine, name: string, opts?: RemoveOptions): Promise<string[]> {
  return userErrors(() => removeStack(engine, name, opts));
}

/** Stack and engine failures are the user's to fix: their message alone. */
export async function userErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LabError) throw err;
    if (err instanceof StackError || (err as Error).name === 'EngineCallError') throw new LabError((err as Error).message);
    throw err;
  }
}
