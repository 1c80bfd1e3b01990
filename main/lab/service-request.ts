// The app's service forms, as Engine API specs: a new service (ServiceCreateRequest) becomes what
// a lab file's service would (service-spec.ts, checked by the API's own validator), with its image
// checked against the lab's catalog first; an update changes the image and the update policy of
// the spec the service has.

import type { ServiceSpec, UpdateConfig } from '../../core/api/objects.ts';
import { SpecError } from '../../core/api/validate.ts';
import type { ImageCatalog } from '../../core/executor/catalog.ts';
import { parseDuration } from '../../core/swarmctl/duration.ts';
import { LabError } from './errors.ts';
import type { LabServiceData } from './lab-schema.ts';
import type { ServiceCreateRequest, ServiceUpdatePolicy } from './protocol.ts';
import { serviceSpec } from './service-spec.ts';

export function checkImage(image: string, catalog: ImageCatalog, what: string): void {
  if (!catalog.resolve(image)) throw new LabError(`${what}: no image "${image}" in the lab's image catalog (it has ${catalog.summary()})`);
}

export function createSpec(req: ServiceCreateRequest, catalog: ImageCatalog): ServiceSpec {
  checkImage(req.image, catalog, 'createService');
  const data: LabServiceData = {
    name: req.name,
    image: req.image,
    mode: req.mode,
    ...(req.mode === 'replicated' ? { replicas: req.replicas ?? 1 } : {}),
    ...(req.command?.length ? { command: req.command } : {}),
    ...(req.env?.length ? { env: req.env } : {}),
    ...(req.ports?.length ? { publish: req.ports.map((p) => ({ target: p.target, ...(p.published ? { published: p.published } : {}), ...(p.protocol ? { protocol: p.protocol } : {}), ...(p.mode ? { mode: p.mode } : {}) })) } : {}),
    ...(req.constraints?.length ? { constraints: req.constraints } : {}),
    ...(req.restart
      ? {
          restart: {
            ...(req.restart.condition ? { condition: req.restart.condition } : {}),
            ...(req.restart.delay !== undefined ? { delay: parseDuration(req.restart.delay) } : {}),
            ...(req.restart.maxAttempts !== undefined ? { maxAttempts: req.restart.maxAttempts } : {}),
          },
        }
      : {}),
    ...(req.update ? { update: updateData(req.update) } : {}),
  };
  try {
    return serviceSpec(data);
  } catch (err) {
    if (err instanceof SpecError) throw new LabError(`createService: ${err.message}`);
    throw err;
  }
}

function updateData(p: ServiceUpdatePolicy): NonNullable<LabServiceData['update']> {
  return {
    ...(p.parallelism !== undefined ? { parallelism: p.parallelism } : {}),
    ...(p.delay !== undefined ? { delay: parseDuration(p.delay) } : {}),
    ...(p.failureAction ? { failureAction: p.failureAction } : {}),
    ...(p.order ? { order: p.order } : {}),
    ...(p.monitor !== undefined ? { monitor: parseDuration(p.monitor) } : {}),
  };
}

/** The policy's fields over the spec's UpdateConfig (what `docker service update --update-*` does). */
export function withPolicy(config: UpdateConfig | undefined, p: ServiceUpdatePolicy): UpdateConfig {
  const d = updateData(p);
  return {
    ...config,
    ...(d.parallelism !== undefined ? { Parallelism: d.parallelism } : {}),
    ...(d.delay !== undefined ? { Delay: d.delay } : {}),
    ...(d.failureAction ? { FailureAction: d.failureAction } : {}),
    ...(d.order ? { Order: d.order } : {}),
    ...(d.monitor !== undefined ? { Monitor: d.monitor } : {}),
  };
}

/** The spec with a new image and update policy (the rolling update the service panel starts). */
export function updatedSpec(spec: ServiceSpec, change: { image?: string; policy?: ServiceUpdatePolicy }, catalog: ImageCatalog): ServiceSpec {
  if (change.image !== undefined) checkImage(change.image, catalog, 'updateService');
  return {
    ...spec,
    TaskTemplate: change.image !== undefined ? { ...spec.TaskTemplate, ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, Image: change.image } } : spec.TaskTemplate,
    ...(change.policy ? { UpdateConfig: withPolicy(spec.UpdateConfig, change.policy) } : {}),
  };
}
