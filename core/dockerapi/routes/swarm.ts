// /swarm: inspect, init, join, leave, update, the unlock key.

import { readJson } from '../body.ts';
import { boolParam, requireControl, sendEmpty, sendJson, strictBoolParam, updateBody, versionParam, type RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { NOT_IN_SWARM, SWARM_EXISTS } from '../messages.ts';
import { parseInitRequest, parseJoinRequest, parseUnlockRequest } from '../requests.ts';
import { swarmView } from '../views.ts';

export async function inspectSwarm(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  sendJson(ctx, 200, swarmView(await control.getCluster()));
}

async function nodeState(ctx: RequestContext) {
  return (await ctx.backend.info()).Swarm.LocalNodeState;
}

export async function initSwarm(ctx: RequestContext): Promise<void> {
  const req = parseInitRequest(await readJson(ctx.req));
  if ((await nodeState(ctx)) !== 'inactive' && !req.ForceNewCluster) throw ApiError.unavailable(SWARM_EXISTS);
  const nodeId = await ctx.backend.swarmInit(req);
  sendJson(ctx, 200, nodeId);
}

export async function joinSwarm(ctx: RequestContext): Promise<void> {
  const req = parseJoinRequest(await readJson(ctx.req));
  if ((await nodeState(ctx)) !== 'inactive') throw ApiError.unavailable(SWARM_EXISTS);
  await ctx.backend.swarmJoin(req);
  sendEmpty(ctx);
}

export async function leaveSwarm(ctx: RequestContext): Promise<void> {
  if ((await nodeState(ctx)) === 'inactive') throw ApiError.unavailable(NOT_IN_SWARM);
  await ctx.backend.swarmLeave(boolParam(ctx.query, 'force'));
  sendEmpty(ctx);
}

export async function updateSwarm(ctx: RequestContext): Promise<void> {
  const spec = await readJson(ctx.req);
  const version = versionParam(ctx.query, 'swarm');
  const rotation = {
    workerJoinToken: strictBoolParam(ctx.query, 'rotateWorkerToken'),
    managerJoinToken: strictBoolParam(ctx.query, 'rotateManagerToken'),
    managerUnlockKey: strictBoolParam(ctx.query, 'rotateManagerUnlockKey'),
  };
  const control = await requireControl(ctx);
  await control.updateCluster(version, updateBody(spec, ctx.query, ['version', 'rotateWorkerToken', 'rotateManagerToken', 'rotateManagerUnlockKey']), rotation);
  sendEmpty(ctx);
}

export async function unlockKey(ctx: RequestContext): Promise<void> {
  await requireControl(ctx);
  sendJson(ctx, 200, { UnlockKey: (await ctx.backend.swarmUnlockKey?.()) ?? '' });
}

export async function unlockSwarm(ctx: RequestContext): Promise<void> {
  parseUnlockRequest(await readJson(ctx.req));
  if ((await nodeState(ctx)) !== 'locked') throw ApiError.conflict('swarm is not locked');
  throw ApiError.notImplemented('swarmlab does not lock managers yet, so there is nothing to unlock');
}
