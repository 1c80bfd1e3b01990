// /networks: the swarm's overlay networks, as a Docker manager shows them (swarm scope only: swarmlab
// nodes have no local networks). Create takes Docker's NetworkCreateRequest and turns it into the
// swarm's network spec, as moby's daemon does; what only local networks have is refused clearly.

import type { NetworkObject } from '../../api/objects.ts';
import { driverRefusal, PREDEFINED_NETWORKS } from '../../api/validate/network.ts';
import { readJson } from '../body.ts';
import { requireControl, sendEmpty, sendJson, type RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { acceptOnly, parseFilters, type FilterArgs } from '../filters.ts';
import { networkView } from '../views.ts';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function boolFilter(args: FilterArgs, name: string): boolean | undefined {
  const v = args.get(name);
  if (!v?.length) return undefined;
  if (v.length > 1) throw ApiError.badRequest(`invalid filter '${name}': give one value, true or false`);
  const raw = v[0]!.toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw ApiError.badRequest(`Invalid filter: '${name}'='${v[0]}'`);
}

export async function listNetworks(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  acceptOnly(filters, ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
  for (const t of filters.get('type') ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw ApiError.badRequest(`invalid filter: 'type'='${t}'`);
  }
  const dangling = boolFilter(filters, 'dangling');
  const control = ctx.backend.control();
  // Outside a swarm there is no network: swarmlab nodes have no local ones.
  if (!control) return sendJson(ctx, 200, []);
  const [networks, services] = await Promise.all([control.listNetworks(), dangling === undefined ? Promise.resolve([]) : control.listServices()]);
  const used = new Set(services.flatMap((s) => (s.Spec.TaskTemplate.Networks ?? []).map((a) => a.Target)));
  const any = (name: string, test: (v: string) => boolean) => {
    const v = filters.get(name);
    return !v?.length || v.some(test);
  };
  const labels = filters.get('label') ?? [];
  const matches = (n: NetworkObject) => {
    const view = networkView(n);
    const builtin = n.Spec.Ingress === true;
    return (
      any('name', (x) => view.Name.includes(x)) &&
      any('id', (x) => view.Id.startsWith(x)) &&
      any('driver', (x) => x === view.Driver) &&
      any('scope', (x) => x === 'swarm') &&
      any('type', (x) => (x === 'builtin') === builtin) &&
      labels.every((l) => {
        const i = l.indexOf('=');
        const key = i < 0 ? l : l.slice(0, i);
        return Object.hasOwn(view.Labels, key) && (i < 0 || view.Labels[key] === l.slice(i + 1));
      }) &&
      (dangling === undefined || (!builtin && dangling === !used.has(n.ID)))
    );
  };
  sendJson(ctx, 200, networks.filter(matches).map(networkView));
}

export async function inspectNetwork(ctx: RequestContext): Promise<void> {
  const ref = ctx.params.id!;
  const scope = ctx.query.get('scope') ?? '';
  const control = ctx.backend.control();
  if (!control || (scope !== '' && scope !== 'swarm')) throw ApiError.notFound(`network ${ref} not found`);
  sendJson(ctx, 200, networkView(await control.getNetwork(ref)));
}

/** Docker's NetworkCreateRequest as the swarm's NetworkSpec (moby's BasicNetworkCreateToGRPC). */
function networkSpec(body: Record<string, unknown>): Record<string, unknown> {
  const refuse = (what: string) => {
    throw ApiError.badRequest(`${what}: swarmlab's networks are swarm-scoped overlay networks without it; leave it out`);
  };
  const driver = body.Driver ?? '';
  if (typeof driver !== 'string') throw ApiError.badRequest(`invalid driver: expected a string such as "overlay", got ${JSON.stringify(driver)}`);
  if (driver !== '' && driver !== 'overlay') throw ApiError.badRequest(driverRefusal(driver));
  const scope = body.Scope ?? '';
  if (scope !== '' && scope !== 'swarm') refuse(`invalid scope ${JSON.stringify(scope)}`);
  if (body.Internal === true) refuse('internal networks (--internal)');
  if (body.ConfigOnly === true) refuse('config-only networks (--config-only)');
  if (isPlainObject(body.ConfigFrom) && body.ConfigFrom.Network) refuse('networks made from a config (--config-from)');
  if (body.EnableIPv6 === true) throw ApiError.badRequest('invalid network spec: swarmlab networks are IPv4 only; leave IPv6 off (no --ipv6)');
  const spec: Record<string, unknown> = { Name: body.Name ?? '' };
  if (body.Labels !== undefined && body.Labels !== null) spec.Labels = body.Labels;
  const options = body.Options;
  spec.DriverConfiguration = { Name: 'overlay', ...(isPlainObject(options) && Object.keys(options).length > 0 ? { Options: options } : {}) };
  if (body.Attachable !== undefined && body.Attachable !== null) spec.Attachable = body.Attachable;
  if (body.Ingress !== undefined && body.Ingress !== null) spec.Ingress = body.Ingress;
  const ipam = body.IPAM;
  if (isPlainObject(ipam)) {
    const ipamDriver = ipam.Driver ?? '';
    if (ipamDriver !== '' && ipamDriver !== 'default') throw ApiError.badRequest(`invalid IPAM driver ${JSON.stringify(ipamDriver)}: only the default IPAM driver is supported`);
    const configs = ipam.Config ?? [];
    if (!Array.isArray(configs)) throw ApiError.badRequest(`invalid IPAM config: expected a list, got ${JSON.stringify(configs)}`);
    spec.IPAMOptions = {
      Configs: configs.map((c: unknown) => {
        if (!isPlainObject(c)) throw ApiError.badRequest(`invalid IPAM config: expected {"Subnet": ..., "Gateway": ...}, got ${JSON.stringify(c)}`);
        if (c.IPRange) refuse('an IP range (--ip-range)');
        if (isPlainObject(c.AuxiliaryAddresses) && Object.keys(c.AuxiliaryAddresses).length > 0) refuse('auxiliary addresses (--aux-address)');
        return { Subnet: c.Subnet ?? '', ...(c.Gateway ? { Gateway: c.Gateway } : {}) };
      }),
    };
  }
  return spec;
}

export async function createNetwork(ctx: RequestContext): Promise<void> {
  const body = await readJson(ctx.req);
  if (!isPlainObject(body)) throw ApiError.badRequest('invalid network create request: expected a JSON object such as {"Name": "backend", "Driver": "overlay"}');
  const spec = networkSpec(body);
  const name = typeof spec.Name === 'string' ? spec.Name : '';
  const control = await requireControl(ctx);
  if (PREDEFINED_NETWORKS.includes(name)) throw ApiError.forbidden(`${name} is a pre-defined network and cannot be created`);
  // As moby's router, before asking the swarm; the control API checks again in its transaction.
  if (name !== '' && (await control.listNetworks({ exactNames: [name] })).length > 0) throw ApiError.conflict(`network with name ${name} already exists`);
  const created = await control.createNetwork(spec);
  sendJson(ctx, 201, { Id: created.ID, Warning: '' });
}

export async function removeNetwork(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  await control.removeNetwork(ctx.params.id!);
  sendEmpty(ctx, 204);
}
