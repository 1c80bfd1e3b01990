// The bodies of the swarm endpoints other than specs (which the core validators check): validated
// here, where they come in, with a message that names the field and says what it takes.

import { z } from 'zod';
import { closest, show } from '../api/validate/format.ts';
import type { SwarmInitRequest, SwarmJoinRequest } from './backend.ts';
import { ApiError } from './errors.ts';

const AVAILABILITY = ['', 'active', 'pause', 'drain'] as const;

const str = () => z.string().default('');
const num = () => z.number().int().nonnegative().default(0);
const bool = () => z.boolean().default(false);
const strings = () => z.array(z.string()).default([]);

const initRequest = z.strictObject({
  ListenAddr: str(),
  AdvertiseAddr: str(),
  DataPathAddr: str(),
  DataPathPort: num(),
  ForceNewCluster: bool(),
  Spec: z.unknown().optional(),
  AutoLockManagers: bool(),
  Availability: z.enum(AVAILABILITY).default(''),
  DefaultAddrPool: strings(),
  SubnetSize: num(),
});

const joinRequest = z.strictObject({
  ListenAddr: str(),
  AdvertiseAddr: str(),
  DataPathAddr: str(),
  RemoteAddrs: strings(),
  JoinToken: str(),
  Availability: z.enum(AVAILABILITY).default(''),
});

const unlockRequest = z.strictObject({ UnlockKey: str() });

/** Go decodes null as the zero value: the field is as good as absent. */
function withoutNulls(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null));
}

function parse<S extends z.ZodType>(schema: S, input: unknown, name: string, known: string[]): z.output<S> {
  const result = schema.safeParse(withoutNulls(input ?? {}));
  if (result.success) return result.data;
  // A misspelt field name often explains the other issues: it goes first.
  const issue = result.error.issues.find((i) => i.code === 'unrecognized_keys') ?? result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const hint = closest(key, known);
    throw ApiError.badRequest(
      `unknown field ${JSON.stringify(key)} in ${name} (${hint ? `did you mean ${JSON.stringify(hint)}?` : `known fields: ${known.join(', ')}`})`,
    );
  }
  const field = issue.path.join('.');
  if (field === '') throw ApiError.badRequest(`invalid ${name}: expected a JSON object, got ${show(input)}`);
  let value: unknown = input;
  for (const k of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey];
  const expected =
    issue.code === 'invalid_value' ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` : issue.code === 'invalid_type' ? issue.expected : issue.message;
  throw ApiError.badRequest(`invalid ${field} in ${name}: expected ${expected}, got ${show(value)}`);
}

export function parseInitRequest(input: unknown): SwarmInitRequest {
  const req = parse(initRequest, input, 'InitRequest', Object.keys(initRequest.shape));
  return { ...req, Spec: req.Spec };
}

export function parseJoinRequest(input: unknown): SwarmJoinRequest {
  const req = parse(joinRequest, input, 'JoinRequest', Object.keys(joinRequest.shape));
  if (req.RemoteAddrs.length === 0) throw ApiError.badRequest('at least 1 RemoteAddr is required to join');
  return req;
}

export function parseUnlockRequest(input: unknown): { UnlockKey: string } {
  return parse(unlockRequest, input, 'UnlockRequest', Object.keys(unlockRequest.shape));
}
