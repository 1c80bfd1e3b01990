// Variable interpolation in a compose file's values, as docker/cli's (cli/compose/template and
// interpolation): $VAR, ${VAR}, ${VAR:-default} (unset or empty), ${VAR-default} (unset),
// ${VAR:?message} and ${VAR?message} (required), $$ for a dollar. Afterwards the values at the paths
// docker casts (replicas, ports, ...) are turned from strings into numbers or booleans when they read
// as one, so `replicas: ${REPLICAS:-2}` is the number 2; a value that does not read as one is left as
// it is for the schema to report.

export interface InterpolationProblem {
  path: (string | number)[];
  message: string;
}

export interface Interpolated {
  value: unknown;
  problems: InterpolationProblem[];
  /** Variables used without a value nor a default (each once). */
  unset: string[];
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** One string substituted; throws a message (without the path) for a malformed or required variable. */
export function substitute(input: string, env: Readonly<Record<string, string | undefined>>, unset: Set<string>): string {
  let out = '';
  let i = 0;
  const invalid = () => new Error(`invalid interpolation format: ${JSON.stringify(input)}. You may need to escape any $ with another $`);
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      // Find the matching brace (defaults may hold ${...} themselves).
      let depth = 1;
      let j = i + 2;
      for (; j < input.length && depth > 0; j++) {
        if (input[j] === '{') depth++;
        else if (input[j] === '}') depth--;
      }
      if (depth !== 0) throw invalid();
      const body = input.slice(i + 2, j - 1);
      const name = NAME.exec(body)?.[0];
      if (!name) throw invalid();
      const rest = body.slice(name.length);
      const value = env[name];
      if (rest === '') {
        if (value === undefined) unset.add(name);
        out += value ?? '';
      } else {
        const op = /^(:?)([-?])([\s\S]*)$/.exec(rest);
        if (!op) throw invalid();
        const [, colon, kind, arg] = op;
        const missing = value === undefined || (colon === ':' && value === '');
        if (kind === '-') out += missing ? substitute(arg!, env, unset) : value;
        else if (missing) throw new Error(`required variable ${name} is missing a value${arg ? `: ${arg}` : ''}`);
        else out += value;
      }
      i = j;
      continue;
    }
    const name = NAME.exec(input.slice(i + 1))?.[0];
    if (!name) throw invalid();
    const value = env[name];
    if (value === undefined) unset.add(name);
    out += value ?? '';
    i += 1 + name.length;
  }
  return out;
}

type Cast = 'int' | 'float' | 'bool';

/** docker/cli's interpolateTypeCastMapping, for the keys this loader knows ('*' is any key or index). */
const CASTS: [string[], Cast][] = [
  [['services', '*', 'configs', '*', 'mode'], 'int'],
  [['services', '*', 'secrets', '*', 'mode'], 'int'],
  [['services', '*', 'deploy', 'replicas'], 'int'],
  [['services', '*', 'deploy', 'update_config', 'parallelism'], 'int'],
  [['services', '*', 'deploy', 'update_config', 'max_failure_ratio'], 'float'],
  [['services', '*', 'deploy', 'rollback_config', 'parallelism'], 'int'],
  [['services', '*', 'deploy', 'rollback_config', 'max_failure_ratio'], 'float'],
  [['services', '*', 'deploy', 'restart_policy', 'max_attempts'], 'int'],
  [['services', '*', 'deploy', 'placement', 'max_replicas_per_node'], 'int'],
  [['services', '*', 'ports', '*', 'target'], 'int'],
  [['services', '*', 'ports', '*', 'published'], 'int'],
  [['networks', '*', 'external'], 'bool'],
  [['networks', '*', 'internal'], 'bool'],
  [['networks', '*', 'attachable'], 'bool'],
  [['secrets', '*', 'external'], 'bool'],
  [['configs', '*', 'external'], 'bool'],
];

function castFor(path: (string | number)[]): Cast | undefined {
  for (const [pattern, cast] of CASTS) {
    if (pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i])) return cast;
  }
  return undefined;
}

function cast(s: string, how: Cast): unknown {
  switch (how) {
    case 'int':
      return /^[+-]?\d+$/.test(s.trim()) ? Number(s) : s;
    case 'float':
      return s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
    case 'bool': {
      const l = s.trim().toLowerCase();
      return ['true', 'yes', 'y', 'on', '1'].includes(l) ? true : ['false', 'no', 'n', 'off', '0'].includes(l) ? false : s;
    }
  }
}

/** Every string value of the document substituted (keys are not), then cast where docker casts. */
export function interpolate(value: unknown, env: Readonly<Record<string, string | undefined>>): Interpolated {
  const problems: InterpolationProblem[] = [];
  const unset = new Set<string>();
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      let s = v;
      if (v.includes('$')) {
        try {
          s = substitute(v, env, unset);
        } catch (err) {
          problems.push({ path, message: (err as Error).message });
          return v;
        }
      }
      const how = castFor(path);
      return how ? cast(s, how) : s;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { value: walk(value, []), problems, unset: [...unset].sort() };
}
