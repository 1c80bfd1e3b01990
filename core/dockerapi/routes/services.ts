// /services: list (with ServiceStatus on request), inspect, create, update and rollback, remove.

import { DEFAULT_RESTART_POLICY, DEFAULT_UPDATE_CONFIG, SECOND } from '../../api/defaults.ts';
import type { ClusterObject, ServiceObject } from '../../api/objects.ts';
import { versionAtLeast } from '../api-version.ts';
import { readJson } from '../body.ts';
import { requireControl, sendEmpty, sendJson, strictBoolParam, updateBody, versionParam, type RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { parseFilters, serviceFilters } from '../filters.ts';

export async function listServices(ctx: RequestContext): Promise<void> {
  const { filters, none } = serviceFilters(parseFilters(ctx.query.get('filters')));
  // `status` exists from API 1.41 on; older clients' parameter is ignored, as Docker does.
  const status = versionAtLeast(ctx.version, '1.41') ? (strictBoolParam(ctx.query, 'status') ?? false) : false;
  const control = await requireControl(ctx);
  const services = await control.listServices(filters, { status });
  sendJson(ctx, 200, none ? [] : services);
}

/** SwarmKit's defaults written into the spec, for `insertDefaults=true` (what `docker service inspect` shows). */
function withDefaults(s: ServiceObject, cluster: ClusterObject | undefined): ServiceObject {
  const t = s.Spec.TaskTemplate;
  const restartDelay = cluster?.Spec.Orchestration?.DefaultRestartDelay ?? DEFAULT_RESTART_POLICY.Delay;
  return {
    ...s,
    Spec: {
      ...s.Spec,
      TaskTemplate: {
        ...t,
        ContainerSpec: { StopGracePeriod: 10 * SECOND, ...t.ContainerSpec },
        Resources: t.Resources ?? { Limits: {}, Reservations: {} },
        RestartPolicy: { ...DEFAULT_RESTART_POLICY, Delay: restartDelay, ...t.RestartPolicy },
        Placement: t.Placement ?? {},
      },
      UpdateConfig: { ...DEFAULT_UPDATE_CONFIG, ...s.Spec.UpdateConfig },
      RollbackConfig: { ...DEFAULT_UPDATE_CONFIG, ...s.Spec.RollbackConfig },
      EndpointSpec: { Mode: 'vip', ...s.Spec.EndpointSpec },
    },
  };
}

export async function inspectService(ctx: RequestContext): Promise<void> {
  const insertDefaults = strictBoolParam(ctx.query, 'insertDefaults') ?? false;
  const control = await requireControl(ctx);
  const service = await control.getService(ctx.params.id!);
  if (!insertDefaults) return sendJson(ctx, 200, service);
  const cluster = await control.getCluster().catch(() => undefined);
  sendJson(ctx, 200, withDefaults(service, cluster));
}

export async function createService(ctx: RequestContext): Promise<void> {
  // X-Registry-Auth is ignored: nodes do not pull from registries.
  const spec = await readJson(ctx.req);
  const control = await requireControl(ctx);
  const service = await control.createService(spec ?? {});
  sendJson(ctx, 201, { ID: service.ID });
}

export async function updateService(ctx: RequestContext): Promise<void> {
  const spec = await readJson(ctx.req);
  const version = versionParam(ctx.query, 'service');
  const rollback = ctx.query.get('rollback') ?? '';
  if (!['', 'none', 'previous'].includes(rollback)) throw ApiError.badRequest(`unrecognized rollback option ${rollback}`);
  const authFrom = ctx.query.get('registryAuthFrom') ?? '';
  if (!['', 'spec', 'previous-spec'].includes(authFrom)) throw ApiError.badRequest(`unsupported registryAuthFrom value ${authFrom}`);
  const control = await requireControl(ctx);
  await control.updateService(ctx.params.id!, version, updateBody(spec, ctx.query, ['version', 'rollback', 'registryAuthFrom']), rollback === 'previous' ? { rollback: 'previous' } : {});
  sendJson(ctx, 200, { Warnings: [] });
}

export async function removeService(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  await control.removeService(ctx.params.id!);
  sendEmpty(ctx);
}
