// /secrets and /configs: list (filters id, label, name, names), create, inspect, update (Labels
// only), remove. A secret is never shown with its Data; a config is.

import type { ConfigObject, SecretObject } from '../../api/objects.ts';
import type { ControlApi, DataObjectFilters, LabelFilter } from '../../manager/control/api.ts';
import { readJson } from '../body.ts';
import { requireControl, sendEmpty, sendJson, updateBody, versionParam, type Handler, type RequestContext } from '../context.ts';
import { acceptOnly, parseFilters } from '../filters.ts';
import { configView, secretView } from '../views.ts';

function filters(raw: string | null): DataObjectFilters {
  const args = parseFilters(raw);
  acceptOnly(args, ['id', 'label', 'name', 'names']);
  const get = (name: string) => {
    const v = args.get(name);
    return v && v.length > 0 ? v : undefined;
  };
  let labels: LabelFilter | undefined;
  for (const entry of get('label') ?? []) {
    const i = entry.indexOf('=');
    labels = { ...labels, [i < 0 ? entry : entry.slice(0, i)]: i < 0 ? '' : entry.slice(i + 1) };
  }
  return { ids: get('id'), names: get('name'), exactNames: get('names'), labels };
}

interface Kind<O> {
  list(c: ControlApi, f: DataObjectFilters): Promise<O[]>;
  get(c: ControlApi, ref: string): Promise<O>;
  create(c: ControlApi, spec: unknown): Promise<O>;
  update(c: ControlApi, ref: string, version: number, spec: unknown): Promise<unknown>;
  remove(c: ControlApi, ref: string): Promise<void>;
  view(o: O): unknown;
  what: string;
}

function handlers<O extends { ID: string }>(k: Kind<O>): Record<'list' | 'create' | 'inspect' | 'update' | 'remove', Handler> {
  return {
    list: async (ctx: RequestContext) => {
      const f = filters(ctx.query.get('filters'));
      const control = await requireControl(ctx);
      sendJson(ctx, 200, (await k.list(control, f)).map(k.view));
    },
    create: async (ctx: RequestContext) => {
      const spec = await readJson(ctx.req);
      const control = await requireControl(ctx);
      const o = await k.create(control, spec ?? {});
      sendJson(ctx, 201, { ID: o.ID });
    },
    inspect: async (ctx: RequestContext) => {
      const control = await requireControl(ctx);
      sendJson(ctx, 200, k.view(await k.get(control, ctx.params.id!)));
    },
    update: async (ctx: RequestContext) => {
      const spec = await readJson(ctx.req);
      const version = versionParam(ctx.query, k.what);
      const control = await requireControl(ctx);
      await k.update(control, ctx.params.id!, version, updateBody(spec, ctx.query, ['version']));
      sendEmpty(ctx);
    },
    remove: async (ctx: RequestContext) => {
      const control = await requireControl(ctx);
      await k.remove(control, ctx.params.id!);
      sendEmpty(ctx, 204);
    },
  };
}

export const secretRoutes = handlers<SecretObject>({
  what: 'secret',
  list: (c, f) => c.listSecrets(f),
  get: (c, ref) => c.getSecret(ref),
  create: (c, spec) => c.createSecret(spec),
  update: (c, ref, v, spec) => c.updateSecret(ref, v, spec),
  remove: (c, ref) => c.removeSecret(ref),
  view: secretView,
});

export const configRoutes = handlers<ConfigObject>({
  what: 'config',
  list: (c, f) => c.listConfigs(f),
  get: (c, ref) => c.getConfig(ref),
  create: (c, spec) => c.createConfig(spec),
  update: (c, ref, v, spec) => c.updateConfig(ref, v, spec),
  remove: (c, ref) => c.removeConfig(ref),
  view: configView,
});
