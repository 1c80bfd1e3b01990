// The building blocks of the spec validators: zod schemas for each kind of field that carry their
// own messages ("invalid <thing>: <what is expected>, got <value>"), objects that refuse unknown
// fields with a suggestion, and the step that turns zod's issues into one SpecError.

import { z } from 'zod';
import { closest, formatBytes, formatDuration, oneOfList, show } from './format.ts';

/** A spec the API refuses: `message` says what is wrong and how to fix it; `field` is its path. */
export class SpecError extends Error {
  /** Dotted path of the offending field, e.g. `TaskTemplate.RestartPolicy.Condition`; '' for the whole spec. */
  readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    this.name = 'SpecError';
    this.field = field;
  }
}

type Check<T> = (value: T) => string | undefined;

/** Cross-field checks run only on a value whose own fields are all valid. */
const whenValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** Adds `check` to `schema`; it runs only when everything inside the value is already valid. */
export function crossCheck<S extends z.ZodType>(
  schema: S,
  check: (value: z.output<S>, report: (message: string, path?: (string | number)[]) => void) => void,
): S {
  return schema.check(
    z.superRefine((value: z.output<S>, ctx) => {
      check(value, (message, path = []) => ctx.addIssue({ code: 'custom', message, path, input: value }));
    }, whenValid),
  ) as S;
}

function withCheck<T>(schema: z.ZodType<T>, check: Check<T> | undefined): z.ZodType<T> {
  if (!check) return schema;
  return schema.superRefine((value, ctx) => {
    const message = check(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  });
}

// ---- scalars ---------------------------------------------------------------------------------------

export interface StringOptions {
  /** Message when the field is absent (for required fields). */
  required?: string;
  /** What a valid value looks like, for the wrong-type message. */
  expected?: string;
  check?: Check<string>;
}

export function str(thing: string, options: StringOptions = {}): z.ZodType<string> {
  const schema = z.string({
    error: (iss) =>
      iss.input === undefined
        ? (options.required ?? `invalid ${thing}: required`)
        : `invalid ${thing}: expected ${options.expected ?? 'a string'}, got ${show(iss.input)}`,
  });
  return withCheck(schema, options.check);
}

export function bool(thing: string): z.ZodType<boolean> {
  return z.boolean({
    error: (iss) =>
      iss.input === undefined ? `invalid ${thing}: required` : `invalid ${thing}: expected true or false, got ${show(iss.input)}`,
  });
}

export interface OneOfOptions {
  required?: string;
  /** Accept '' as "not set" (the Engine API's zero value): it validates to undefined. */
  emptyIsUnset?: boolean;
}

export function oneOf<const V extends string>(
  thing: string,
  values: readonly V[],
  options: OneOfOptions & { emptyIsUnset: true },
): z.ZodType<V | undefined>;
export function oneOf<const V extends string>(thing: string, values: readonly V[], options?: OneOfOptions): z.ZodType<V>;
export function oneOf<const V extends string>(
  thing: string,
  values: readonly V[],
  options: OneOfOptions = {},
): z.ZodType<V | undefined> {
  const expected = oneOfList(values);
  const accepted: readonly string[] = options.emptyIsUnset ? [...values, ''] : values;
  return z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? (options.required ?? `invalid ${thing}: required, expected ${expected}`)
          : `invalid ${thing}: expected ${expected}, got ${show(iss.input)}`,
    })
    .superRefine((value, ctx) => {
      if (!accepted.includes(value)) {
        ctx.addIssue({ code: 'custom', message: `invalid ${thing} ${show(value)}: expected ${expected}`, input: value });
      }
    })
    .transform((value) => (value === '' ? undefined : (value as V)));
}

export type NumberKind = 'count' | 'duration' | 'bytes' | 'nanocpus' | 'port' | 'ratio';

export interface NumberOptions {
  kind: NumberKind;
  /** Inclusive; default 0. */
  min?: number;
  /** Inclusive; when given, messages speak of the range "from min to max". */
  max?: number;
  required?: string;
  /** Message for a value below `min`. */
  tooSmall?: (value: number) => string;
}

/** Docker's integers are int64/uint64: a JSON number at or beyond 2^63 cannot be one. */
const INT64_LIMIT = 2 ** 63;

const EXPECTED: Record<NumberKind, string> = {
  count: 'a whole number',
  duration: 'a duration in nanoseconds (e.g. 5000000000 for 5s)',
  bytes: 'a number of bytes',
  nanocpus: 'a number of NanoCPUs (e.g. 500000000 for half a CPU)',
  port: 'a port number',
  ratio: 'a number',
};

/** A finite number; a whole one unless the kind is 'ratio'. */
export function num(thing: string, options: NumberOptions): z.ZodType<number> {
  const { kind, min = 0, max } = options;
  const fmt = (v: number) => (kind === 'duration' ? formatDuration(v) : kind === 'bytes' ? formatBytes(v) : String(v));
  const range = max === undefined ? `≥ ${fmt(min)}` : `from ${fmt(min)} to ${fmt(max)}`;
  const expected = kind === 'count' || kind === 'port' || kind === 'ratio' ? `${EXPECTED[kind]} ${range}` : EXPECTED[kind];
  const outOfRange = (v: number) =>
    max === undefined
      ? `invalid ${thing}: must be ≥ ${fmt(min)}, got ${fmt(v)}`
      : `invalid ${thing}: must be between ${fmt(min)} and ${fmt(max)}, got ${fmt(v)}`;
  return z
    .number({
      error: (iss) =>
        iss.input === undefined
          ? (options.required ?? `invalid ${thing}: required, ${expected}`)
          : `invalid ${thing}: expected ${expected}, got ${show(iss.input)}`,
    })
    .superRefine((v, ctx) => {
      let message: string | undefined;
      if (kind !== 'ratio' && !Number.isInteger(v)) {
        message = `invalid ${thing}: must be a whole number${kind === 'duration' ? ' of nanoseconds' : ''}, got ${v}`;
      } else if (v < min) {
        message = options.tooSmall?.(v) ?? outOfRange(v);
      } else if (max !== undefined && v > max) {
        message = outOfRange(v);
      } else if (v >= INT64_LIMIT) {
        message = `invalid ${thing}: too large for a 64-bit integer, got ${v}`;
      }
      if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: v });
    });
}

// ---- collections ---------------------------------------------------------------------------------------

export function list<T>(thing: string, item: z.ZodType<T>, expected = 'a list'): z.ZodType<T[]> {
  return z.array(item, {
    error: (iss) =>
      iss.input === undefined ? `invalid ${thing}: required` : `invalid ${thing}: expected ${expected}, got ${show(iss.input)}`,
  });
}

export interface StringListOptions {
  /** What one entry is called in messages (default: the list's own name). */
  item?: string;
  expected?: string;
  check?: Check<string>;
}

export function strList(thing: string, options: StringListOptions = {}): z.ZodType<string[]> {
  const item = options.item ?? thing;
  return list(thing, str(item, { check: options.check, expected: options.expected }), 'a list of strings');
}

/** Labels: an object of string values. */
export function labels(thing: string): z.ZodType<Record<string, string>> {
  const value = z.string({ error: (iss) => `invalid ${thing}: each value must be a string, got ${show(iss.input)}` });
  const record = z.record(z.string(), value, {
    error: (iss) => `invalid ${thing}: expected an object of string values (e.g. {"zone": "east"}), got ${show(iss.input)}`,
  });
  return z.preprocess((v, ctx) => {
    // zod drops a "__proto__" key without a word; say so instead.
    if (isPlainObject(v) && hasOwn(v, '__proto__')) {
      ctx.issues.push({ code: 'custom', message: `invalid ${thing}: "__proto__" cannot be a label name`, path: ['__proto__'], input: v });
    }
    return v;
  }, record);
}

// ---- objects -------------------------------------------------------------------------------------------

export interface ObjectOptions {
  /** What the object is called in messages. */
  thing: string;
  /** Used when the field is absent (or null), so the fields inside report what they need. */
  missing?: unknown;
  /** Message when the field is absent and has no `missing` value. */
  required?: string;
  /**
   * Fields of the Docker Engine API that swarmlab does not model. Clients such as the docker CLI
   * send some of them empty (`"DNSConfig": {}`): accepted and dropped when empty, refused when set.
   */
  unsupported?: readonly string[];
  /** Fields refused whatever their value, with the message to give. */
  refused?: Readonly<Record<string, string>>;
}

/** What the issue formatter needs to word a message about a field name. */
type FieldIssueParams =
  | { fieldIssue: 'unknown'; known: readonly string[]; candidates: readonly string[] }
  | { fieldIssue: 'unsupported' }
  | { fieldIssue: 'refused'; message: string };

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** null, '', false, 0, [] and objects of nothing but those: what a Go client sends for "not set". */
function isEmpty(v: unknown, depth = 0): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (depth > 8) return false;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.values(v).every((x) => isEmpty(x, depth + 1));
  return false;
}


/**
 * An object with the given fields and no others. A field set to null counts as absent, as in the
 * Engine API (Go decodes null to the zero value).
 */
export function obj<S extends z.ZodRawShape>(shape: S, options: ObjectOptions) {
  const known = Object.keys(shape);
  const unsupported = options.unsupported ?? [];
  const refused = options.refused ?? {};
  const candidates = [...known, ...unsupported, ...Object.keys(refused)];
  const inner = z.object(shape, {
    error: (iss) =>
      iss.input === undefined
        ? (options.required ?? `invalid ${options.thing}: required`)
        : `invalid ${options.thing}: expected an object, got ${show(iss.input)}`,
  });
  return z.preprocess((value, ctx) => {
    if (value === undefined) return options.missing !== undefined ? structuredClone(options.missing) : undefined;
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (hasOwn(shape, key)) {
        if (v !== null) Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
        continue;
      }
      let params: FieldIssueParams;
      if (hasOwn(refused, key)) params = { fieldIssue: 'refused', message: refused[key]! };
      else if (unsupported.includes(key)) {
        if (isEmpty(v)) continue;
        params = { fieldIssue: 'unsupported' };
      } else params = { fieldIssue: 'unknown', known, candidates };
      ctx.issues.push({ code: 'custom', message: '', path: [key], input: v, params });
    }
    return out;
  }, inner);
}

// ---- turning zod's issues into one SpecError -------------------------------------------------------------

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function fieldIssueMessage(params: FieldIssueParams, path: readonly PropertyKey[], rootName: string): string {
  const key = String(path[path.length - 1]);
  const where = fieldPath(path.slice(0, -1)) || rootName;
  switch (params.fieldIssue) {
    case 'refused':
      return params.message;
    case 'unsupported':
      return `unsupported field ${JSON.stringify(key)} in ${where}: swarmlab does not model it yet; remove it`;
    case 'unknown': {
      const suggestion = closest(key, params.candidates);
      if (suggestion !== undefined) return `unknown field ${JSON.stringify(key)} in ${where} (did you mean ${JSON.stringify(suggestion)}?)`;
      if (params.known.length === 0) return `unknown field ${JSON.stringify(key)} in ${where} (it takes no fields)`;
      return `unknown field ${JSON.stringify(key)} in ${where} (known fields: ${params.known.join(', ')})`;
    }
  }
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) Object.defineProperty(out, k, { value: dropUndefined(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Parses `input` with `schema`; on failure throws one SpecError, for the most useful issue: a
 * misspelt or unsupported field name first (it often explains the other issues), else the first.
 */
export function parseSpec<T>(schema: z.ZodType<T>, input: unknown, root: { thing: string; name: string }): T {
  let result: ReturnType<typeof schema.safeParse>;
  try {
    result = schema.safeParse(input);
  } catch (err) {
    // Input zod cannot even walk (a getter that throws, a revoked proxy): still a SpecError.
    throw new SpecError(`invalid ${root.thing}: ${err instanceof Error ? err.message : show(err)}`, '');
  }
  if (result.success) return dropUndefined(result.data) as T;
  const issues = result.error.issues;
  const fieldIssue = issues.find(
    (i): i is z.core.$ZodIssueCustom => i.code === 'custom' && (i as z.core.$ZodIssueCustom).params?.fieldIssue !== undefined,
  );
  const issue = fieldIssue ?? issues[0]!;
  const field = fieldPath(issue.path);
  if (fieldIssue) throw new SpecError(fieldIssueMessage(fieldIssue.params as FieldIssueParams, issue.path, root.name), field);
  // Messages already worded as Docker's or SwarmKit's are kept as they are.
  const message = /^(invalid|unknown field|unsupported field|ipam configuration:|(secret|config) data must|ingress network cannot|malformed) /.test(issue.message)
    ? issue.message
    : `invalid ${field || root.thing}: ${issue.message}`;
  throw new SpecError(message, field);
}
