// /nodes: list, inspect, update, remove.

import { readJson } from '../body.ts';
import { boolParam, requireControl, sendEmpty, sendJson, updateBody, versionParam, type RequestContext } from '../context.ts';
import { nodeFilters, parseFilters } from '../filters.ts';

export async function listNodes(ctx: RequestContext): Promise<void> {
  const filters = nodeFilters(parseFilters(ctx.query.get('filters')));
  const control = await requireControl(ctx);
  sendJson(ctx, 200, await control.listNodes(filters));
}

export async function inspectNode(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  sendJson(ctx, 200, await control.getNode(ctx.params.id!));
}

export async function updateNode(ctx: RequestContext): Promise<void> {
  const spec = await readJson(ctx.req);
  const version = versionParam(ctx.query, 'node');
  const control = await requireControl(ctx);
  await control.updateNode(ctx.params.id!, version, updateBody(spec, ctx.query, ['version']));
  sendEmpty(ctx);
}

export async function removeNode(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  await control.removeNode(ctx.params.id!, { force: boolParam(ctx.query, 'force') });
  sendEmpty(ctx);
}
