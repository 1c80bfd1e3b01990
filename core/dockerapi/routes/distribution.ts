// /distribution/{name}/json: Docker asks a registry for an image's digest, so that every node runs
// the same image. swarmlab's nodes run built-in images and never reach a registry, so it answers
// that it cannot; the docker CLI then warns ("image ... could not be accessed on a registry to
// record its digest") and goes on with the reference as written.

import type { RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export async function inspectDistribution(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  throw ApiError.notImplemented(
    `swarmlab does not contact image registries, so the digest of ${name} cannot be resolved; services use the image reference as given (docker service create --no-resolve-image skips this lookup)`,
  );
}
