// Flags as SwarmKit's swarmctl reads them (spf13/pflag): --name value, --name=value, -n value,
// -nvalue, grouped short booleans (-aq), `--` ending the flags, flags anywhere among the
// arguments, and string slices that repeat and split on commas (--env A=1,B=2 --env C=3).

import { parseDuration } from './duration.ts';

export type FlagType = 'bool' | 'string' | 'list' | 'uint';

export interface FlagSpec {
  name: string;
  short?: string;
  /** Other long names accepted for it (the help shows the first name only). */
  aliases?: string[];
  type: FlagType;
  usage: string;
  /** Shown in the help, as pflag shows defaults; the value itself is the caller's to apply. */
  default?: string;
}

/** A mistake in how the command was called: it exits 2 and points at the help. */
export class UsageError extends Error {
  /** The command it concerns ("swarmctl service create"), for the pointer to its help. */
  command: string | undefined;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Value = string | boolean | string[];

export class Flags {
  constructor(private readonly values: ReadonlyMap<string, Value>) {}

  /** pflag's Changed: the flag was given, whatever its value. */
  changed(name: string): boolean {
    return this.values.has(name);
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** A uint64 flag, read when used so that its error names the flag as pflag's does. */
  uint(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw new UsageError(`invalid argument ${JSON.stringify(v)} for "--${name}" flag: expected a whole number such as 3`);
    }
    return Number(v);
  }

  /** A Go duration flag (1s, 500ms) in nanoseconds, read when used so its error names the flag. */
  duration(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    try {
      return parseDuration(v);
    } catch (err) {
      throw new UsageError(`invalid argument ${JSON.stringify(v)} for "--${name}" flag: ${(err as Error).message}`);
    }
  }
}

export interface ParsedArgs {
  flags: Flags;
  positionals: string[];
}

/** Splits one slice value as pflag does, with encoding/csv: commas separate, double quotes group. */
export function splitList(value: string): string[] {
  if (value === '') return [];
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((n) => [n, s] as const)));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values = new Map<string, Value>();
  const positionals: string[] = [];

  const set = (spec: FlagSpec, raw: string | undefined) => {
    if (spec.type === 'bool') {
      if (raw === undefined || raw === 'true' || raw === '1') values.set(spec.name, true);
      else if (raw === 'false' || raw === '0') values.set(spec.name, false);
      else throw new UsageError(`invalid argument ${JSON.stringify(raw)} for "--${spec.name}" flag: expected true or false`);
    } else if (spec.type === 'list') {
      const prev = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), ...splitList(raw!)]);
    } else values.set(spec.name, raw!);
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (spec.type === 'bool') set(spec, undefined);
      else if (i + 1 < argv.length) set(spec, argv[++i]);
      else throw new UsageError(`flag needs an argument: --${name}`);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const spec = byShort.get(c);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        if (spec.type === 'bool') {
          if (a[j + 1] === '=') {
            set(spec, a.slice(j + 2));
            break;
          }
          set(spec, undefined);
          continue;
        }
        const rest = a.slice(j + 1).replace(/^=/, '');
        if (rest !== '') set(spec, rest);
        else if (i + 1 < argv.length) set(spec, argv[++i]);
        else throw new UsageError(`flag needs an argument: '${c}' in ${a}`);
        break;
      }
    } else positionals.push(a);
  }
  return { flags: new Flags(values), positionals };
}

/** Whether `arg` is a flag that takes the next argument as its value (to skip it while finding the command). */
export function takesValue(arg: string, specs: readonly FlagSpec[]): boolean {
  if (arg.startsWith('--')) {
    if (arg.includes('=')) return false;
    const name = arg.slice(2);
    const spec = specs.find((s) => s.name === name || s.aliases?.includes(name));
    return !!spec && spec.type !== 'bool';
  }
  if (!arg.startsWith('-') || arg.length < 2) return false;
  // -abc: the last letter may take the next argument when all before it are booleans.
  for (let j = 1; j < arg.length; j++) {
    const spec = specs.find((s) => s.short === arg[j]);
    if (!spec) return false;
    if (spec.type !== 'bool') return j === arg.length - 1;
  }
  return false;
}
