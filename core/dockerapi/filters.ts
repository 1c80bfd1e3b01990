// Docker's `filters` query parameter: JSON of name -> {value: true} (or the legacy name -> [values]),
// checked against the names an endpoint accepts, and turned into the control API's filters.

import type { NodeRole, TaskState } from '../api/objects.ts';
import { TASK_STATES } from '../api/task-state.ts';
import type { LabelFilter, NodeFilters, ServiceFilters, TaskFilters } from '../manager/control/api.ts';
import { ApiError } from './errors.ts';

export type FilterArgs = Map<string, string[]>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseFilters(raw: string | null): FilterArgs {
  const args: FilterArgs = new Map();
  if (raw === null || raw === '') return args;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw ApiError.badRequest(`invalid filters: ${(err as Error).message} (expected JSON such as {"name":{"web":true}})`);
  }
  if (!isPlainObject(parsed)) throw ApiError.badRequest('invalid filters: expected a JSON object such as {"name":{"web":true}}');
  for (const [name, values] of Object.entries(parsed)) {
    if (Array.isArray(values) && values.every((v) => typeof v === 'string')) args.set(name, values);
    else if (isPlainObject(values) && Object.values(values).every((v) => typeof v === 'boolean')) args.set(name, Object.keys(values));
    else throw ApiError.badRequest(`invalid filters: the values of ${JSON.stringify(name)} must be {"value": true, ...} or a list of strings`);
  }
  return args;
}

/** Refuses filters an endpoint does not know, in Docker's words. */
export function acceptOnly(args: FilterArgs, accepted: readonly string[]): void {
  for (const name of args.keys()) {
    if (!accepted.includes(name)) throw ApiError.badRequest(`invalid filter '${name}'`);
  }
}

const list = (args: FilterArgs, name: string) => {
  const v = args.get(name);
  return v && v.length > 0 ? v : undefined;
};

/** `label=key` (present) and `label=key=value` (equal). */
function labels(args: FilterArgs, name: string): LabelFilter | undefined {
  const v = list(args, name);
  if (!v) return undefined;
  const out: LabelFilter = {};
  for (const entry of v) {
    const i = entry.indexOf('=');
    if (i < 0) out[entry] = '';
    else out[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return out;
}

function enumValues<T extends string>(args: FilterArgs, name: string, allowed: readonly T[], invalid: (v: string) => string): T[] | undefined {
  const v = list(args, name);
  if (!v) return undefined;
  const out: T[] = [];
  for (const raw of v) {
    if (raw === '') continue;
    const value = raw.toLowerCase() as T;
    if (!allowed.includes(value)) throw ApiError.badRequest(invalid(raw));
    out.push(value);
  }
  return out;
}

export function nodeFilters(args: FilterArgs): NodeFilters {
  acceptOnly(args, ['name', 'id', 'label', 'role', 'membership', 'node.label']);
  return {
    ids: list(args, 'id'),
    names: list(args, 'name'),
    labels: labels(args, 'label'),
    nodeLabels: labels(args, 'node.label'),
    roles: enumValues<NodeRole>(args, 'role', ['manager', 'worker'], (v) => `Invalid role filter: '${v}'`),
    memberships: enumValues(args, 'membership', ['accepted', 'pending'] as const, (v) => `Invalid membership filter: '${v}'`),
  };
}

/** Every swarmlab task runs a container: a runtime filter either keeps everything or nothing. */
const runtimeExcludes = (args: FilterArgs) => {
  const v = list(args, 'runtime');
  return !!v && !v.includes('container');
};

export function serviceFilters(args: FilterArgs): { filters: ServiceFilters; none: boolean } {
  acceptOnly(args, ['name', 'id', 'label', 'mode', 'runtime']);
  return {
    filters: {
      ids: list(args, 'id'),
      names: list(args, 'name'),
      labels: labels(args, 'label'),
      modes: enumValues(args, 'mode', ['replicated', 'global'] as const, (v) => `Invalid filter: 'mode'='${v}'`),
    },
    none: runtimeExcludes(args),
  };
}

export function taskFilters(args: FilterArgs): { filters: TaskFilters; none: boolean } {
  acceptOnly(args, ['name', 'id', 'label', 'service', 'node', 'desired-state', '_up-to-date', 'runtime']);
  return {
    filters: {
      ids: list(args, 'id'),
      names: list(args, 'name'),
      labels: labels(args, 'label'),
      services: list(args, 'service'),
      nodes: list(args, 'node'),
      desiredStates: enumValues<TaskState>(args, 'desired-state', TASK_STATES, (v) => `Invalid desired-state filter: '${v}'`),
      upToDate: (args.get('_up-to-date') ?? []).length > 0,
    },
    none: runtimeExcludes(args),
  };
}
