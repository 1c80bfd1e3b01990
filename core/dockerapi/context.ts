// What a route handler gets: the request with its API version, path parameters and query, the
// backend, a signal that aborts when the client goes away, and the ways to answer.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlApi } from '../manager/control/api.ts';
import type { EngineBackend } from './backend.ts';
import { ApiError } from './errors.ts';
import { notAManager } from './messages.ts';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  backend: EngineBackend;
  /** The API version the client asked for (the newest one served when its path has none). */
  version: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborts when the client disconnects or the server closes: streams stop on it. */
  signal: AbortSignal;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

export function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

/** Docker's answer to a successful call that returns nothing: the status and an empty body. */
export function sendEmpty(ctx: RequestContext, status = 200): void {
  ctx.res.writeHead(status, { 'Content-Length': 0 });
  ctx.res.end();
}

/** Docker's BoolValue: anything but '', '0', 'no', 'false' and 'none' is true. */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const v = (query.get(name) ?? '').trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

/** A strict boolean (Go's strconv.ParseBool), for the parameters Docker parses that way. */
export function strictBoolParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw ApiError.badRequest(`invalid value for ${name}: ${v}`);
}

/** The `version` parameter of an update: the object version the client read. */
export function versionParam(query: URLSearchParams, what: string): number {
  const raw = query.get('version') ?? '';
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    const why = raw === '' ? 'the version is required (the Version.Index the object was read at)' : 'expected a whole number';
    throw ApiError.badRequest(`invalid ${what} version '${raw}': ${why}`);
  }
  return Number(raw);
}

/**
 * The spec of an update request. dockerode sends its options both as the query and as the body, so
 * the body of its updates carries the query's parameters too (`version`, `rotateWorkerToken`...);
 * Docker ignores them there, and so does swarmlab. Any other field a spec does not have is refused.
 */
export function updateBody(body: unknown, query: URLSearchParams, params: readonly string[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body ?? {};
  const spec: Record<string, unknown> = { ...body };
  for (const p of params) {
    if (Object.hasOwn(spec, p) && String(spec[p]) === query.get(p)) delete spec[p];
  }
  return spec;
}

/** The control API, or Docker's answer for a node that is not a manager. */
export async function requireControl(ctx: RequestContext): Promise<ControlApi> {
  const control = ctx.backend.control();
  if (control) return control;
  const info = await ctx.backend.info();
  throw ApiError.unavailable(notAManager(info.Swarm.LocalNodeState));
}
