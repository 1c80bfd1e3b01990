// The words of YAML files' schema errors (lab files, compose files): what was expected, what the
// file has instead ("a list", "a mapping", a quoted string), and unknown keys with a suggestion.

import { z } from 'zod';
import { closest } from './format.ts';

/** A value as the user wrote it in YAML, after "got". */
export function showYaml(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

type Issue = { input?: unknown };

/** The message for a value of the wrong kind, or a missing one. */
export const expected = (what: string) => (iss: Issue) => (iss.input === undefined ? `required: ${what}` : `expected ${what}, got ${showYaml(iss.input)}`);

/** A mapping with these keys only; an unknown key is named, with the closest known one. */
export function strict<S extends z.ZodRawShape>(shape: S, what: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const key = iss.keys[0]!;
        const hint = closest(key, known);
        return `unknown key ${JSON.stringify(key)} (${hint ? `did you mean ${JSON.stringify(hint)}?` : `known keys: ${known.join(', ')}`})`;
      }
      return expected(`${what} (a mapping of ${known.join(', ')})`)(iss);
    },
  });
}

/** One of several shapes, chosen by what the YAML value is, so that errors speak of that shape only. */
export function byShape<L extends z.ZodType = z.ZodNever, M extends z.ZodType = z.ZodNever, S extends z.ZodType = z.ZodNever, N = never>(
  what: string,
  shapes: { list?: L; mapping?: M; scalar?: S; nothing?: N },
) {
  return z.unknown().transform((v, ctx): z.output<L> | z.output<M> | z.output<S> | N => {
    if ((v === null || v === undefined) && 'nothing' in shapes) return shapes.nothing as N;
    const schema = Array.isArray(v) ? shapes.list : v !== null && typeof v === 'object' ? shapes.mapping : v !== undefined && v !== null ? shapes.scalar : undefined;
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: expected(what)({ input: v }) });
      return z.NEVER;
    }
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    for (const i of r.error.issues) {
      ctx.addIssue({ code: 'custom', message: i.message, path: i.path as (string | number)[], params: i.code === 'unrecognized_keys' ? { key: i.keys[0] } : undefined });
    }
    return z.NEVER;
  });
}
