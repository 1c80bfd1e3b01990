// /networks, until swarmlab models networks: the swarm's routing mesh (`ingress`) as Docker lists
// it, so that clients that look at networks find the one every swarm has.

import { createHash } from 'node:crypto';
import type { ClusterObject } from '../../api/objects.ts';
import { sendJson, type RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { acceptOnly, parseFilters } from '../filters.ts';

function ingress(cluster: ClusterObject) {
  const id = BigInt(`0x${createHash('sha256').update(`ingress/${cluster.ID}`).digest('hex')}`).toString(36).slice(0, 25).padStart(25, '0');
  return {
    Name: 'ingress',
    Id: id,
    Created: cluster.CreatedAt,
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] },
    Internal: false,
    Attachable: false,
    Ingress: true,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4096' },
    Labels: {},
  };
}

async function networks(ctx: RequestContext) {
  const control = ctx.backend.control();
  const cluster = control ? await control.getCluster().catch(() => undefined) : undefined;
  return cluster ? [ingress(cluster)] : [];
}

export async function listNetworks(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  acceptOnly(filters, ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
  const matches = (values: string[] | undefined, v: string, prefix = false) => !values?.length || values.some((x) => (prefix ? v.startsWith(x) : v.includes(x)));
  const all = await networks(ctx);
  sendJson(
    ctx,
    200,
    all.filter(
      (n) =>
        matches(filters.get('name'), n.Name) &&
        matches(filters.get('id'), n.Id, true) &&
        (!filters.get('driver')?.length || filters.get('driver')!.includes(n.Driver)) &&
        (!filters.get('scope')?.length || filters.get('scope')!.includes(n.Scope)) &&
        (!filters.get('type')?.length || filters.get('type')!.includes('builtin')) &&
        !filters.get('label')?.length,
    ),
  );
}

export async function inspectNetwork(ctx: RequestContext): Promise<void> {
  const ref = ctx.params.id!;
  const found = (await networks(ctx)).find((n) => n.Name === ref || n.Id.startsWith(ref));
  if (!found) throw ApiError.notFound(`network ${ref} not found`);
  sendJson(ctx, 200, found);
}
