// A compose file (format 3.x) read as `docker stack deploy` reads it: YAML (1.1, as docker's yaml.v2:
// `mode: 0440` is octal), variables interpolated from an environment, then checked strictly. Each
// problem names the file, the line and column, and the path within the file, through the lab file's
// machinery (`stack.yml:7:5: services.web.deploy.replicas: expected a whole number, got "three"`).
// Keys the docker CLI ignores come back as warnings in its words; keys nobody knows are errors
// with the key they resemble. Secret and config files, and env files, are read relative to the
// compose file's directory.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { type LoadedStack } from '../../core/stack/convert.ts';
import { interpolate } from '../../core/stack/interpolate.ts';
import { DEPRECATED, FORBIDDEN, NOT_MODELLED, TOP_NOT_MODELLED, UNSUPPORTED } from '../../core/stack/properties.ts';
import { showYaml } from '../../core/api/validate/yaml-words.ts';
import { composeSchema, type ComposeFile } from '../../core/stack/schema.ts';
import { closest } from '../../core/api/validate/format.ts';
import { fieldPath } from '../../core/api/validate/fields.ts';
import { parseRestart } from '../../core/stack/convert.ts';
import { LabError } from '../lab/errors.ts';
import { locate, problem, report, type Problem } from '../lab/lab-file.ts';

export class ComposeError extends LabError {
  constructor(message: string) {
    super(message);
    this.name = 'ComposeError';
  }
}

export interface LoadOptions {
  /** The file as messages name it (`stack.yml`, or the path given). */
  source: string;
  /** Variables for ${VAR} and for environment entries without a value (the CLI passes its own). */
  env: Readonly<Record<string, string | undefined>>;
  /** Where relative paths (secret, config and env files) are; without it, a file that needs one is refused. */
  dir?: string;
  /** Reads a file (default: from disk). */
  read?: (file: string) => Promise<Buffer>;
}

export interface LoadResult {
  stack: LoadedStack;
  /** For the user, as the docker CLI prints them ("Ignoring unsupported options: build, links"). */
  warnings: string[];
}

/** The compose format versions docker stack deploy reads: 3 and 3.x (and none, as the Compose spec). */
const VERSION = /^3(\.\d+)?$/;

export async function loadCompose(text: string, opts: LoadOptions): Promise<LoadResult> {
  const { source } = opts;
  const lineCounter = new LineCounter();
  // YAML 1.1 as docker's yaml.v2, without its sexagesimal numbers (yaml.v2 reads 22:22 as a string).
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    version: '1.1',
    merge: true,
    customTags: (tags) => tags.filter((t) => (t as { format?: string }).format !== 'TIME' && (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
  });
  if (doc.errors.length > 0) {
    throw new ComposeError(
      report(
        doc.errors.map((e) => {
          const at = e.linePos?.[0];
          return `${source}${at ? `:${at.line}:${at.col}` : ''}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
        }),
      ),
    );
  }
  const fail = (problems: Problem[]): never => {
    throw new ComposeError(report(locateAll(doc, lineCounter, source, problems)));
  };
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    fail([{ path: [], message: `expected a compose file: a mapping with services (and networks, secrets, configs), got ${raw === null || raw === undefined ? 'an empty file' : showYaml(raw)}` }]);
  }
  const top = raw as Record<string, unknown>;
  const version = top.version;
  if (version !== undefined && !VERSION.test(String(version))) {
    fail([
      {
        path: ['version'],
        message: `unsupported Compose file version: ${String(version)} (stacks are deployed from version 3 files: "3" to "3.9", or no version)`,
      },
    ]);
  }

  const inter = interpolate(top, opts.env);
  if (inter.problems.length > 0) fail(inter.problems);
  const value = stripExtensions(inter.value) as Record<string, unknown>;
  const warnings: string[] = inter.unset.map((v) => `The "${v}" variable is not set. Defaulting to a blank string.`);
  const { problems: keyProblems, warnings: keyWarnings } = setAside(value);
  warnings.push(...keyWarnings);
  if (keyProblems.length > 0) fail(keyProblems);

  const r = composeSchema.safeParse(value);
  if (!r.success) fail(r.error.issues.map(problem));
  const file = r.data!;
  const references = crossCheck(file, value);
  if (references.length > 0) fail(references);

  const read = opts.read ?? ((f: string) => readFile(f));
  const fileProblems: Problem[] = [];
  const readRelative = async (p: string, at: (string | number)[]): Promise<Buffer | undefined> => {
    if (!path.isAbsolute(p) && opts.dir === undefined) {
      fileProblems.push({ path: at, message: `cannot read ${JSON.stringify(p)}: the compose file was given as text, so there is no directory to find it in (pick it together with the compose file, or use an absolute path)` });
      return undefined;
    }
    const full = path.resolve(opts.dir ?? '/', p);
    try {
      return await read(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      fileProblems.push({ path: at, message: code === 'ENOENT' ? `no such file: ${full}` : `cannot read ${full}: ${(err as Error).message}` });
      return undefined;
    }
  };

  const data: LoadedStack['data'] = { secrets: {}, configs: {} };
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [key, o] of Object.entries(file[kind] ?? {})) {
      if (o.external?.external) continue;
      const content = await readRelative(o.file!, [kind, key, 'file']);
      if (content) data[kind][key] = content.toString('base64');
    }
  }
  for (const [name, s] of Object.entries(file.services)) {
    const env: Record<string, string | null> = {};
    const files = s.env_file ?? [];
    for (let i = 0; i < files.length; i++) {
      const content = await readRelative(files[i]!, ['services', name, 'env_file', ...(Array.isArray((value.services as Record<string, { env_file?: unknown }>)[name]!.env_file) ? [i] : [])]);
      if (content) Object.assign(env, parseEnvFile(content.toString('utf8')));
    }
    Object.assign(env, s.environment ?? {});
    // docker/cli's updateEnvironment: a variable without a value (or an empty one) takes the environment's, if it has one.
    for (const [k, v] of Object.entries(env)) {
      const fromEnv = opts.env[k];
      if ((v === null || v === '') && fromEnv !== undefined) env[k] = fromEnv;
    }
    if (files.length > 0 || s.environment) s.environment = env;
    delete s.env_file;
  }
  if (fileProblems.length > 0) fail(fileProblems);
  return { stack: { file, data }, warnings };
}

function locateAll(doc: Document, lc: LineCounter, source: string, problems: Problem[]): string[] {
  return problems
    .map((p) => {
      const at = locate(doc, lc, p.path, p.key);
      const where = fieldPath(p.path);
      return { at, text: `${source}${at ? `:${at.line}:${at.col}` : ''}: ${where ? `${where}: ` : ''}${p.message}` };
    })
    .sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.col ?? 0) - (b.at?.col ?? 0))
    .map((l) => l.text);
}

/** Extension fields (`x-...`) are the user's own, at any level: compose ignores them. */
function stripExtensions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripExtensions);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-')).map(([k, x]) => [k, stripExtensions(x)]));
  return v;
}

/**
 * Takes out the service keys the docker CLI ignores or refuses and those swarmlab does not model,
 * with warnings in the CLI's words, or errors for refused ones. `restart` stays: it is converted
 * when deploy.restart_policy is not set, as docker/cli does, after the same warning.
 */
function setAside(file: Record<string, unknown>): { problems: Problem[]; warnings: string[] } {
  const problems: Problem[] = [];
  const unsupported = new Set<string>();
  const deprecated = new Set<string>();
  const notModelled = new Set<string>();
  const services = file.services;
  if (services !== null && typeof services === 'object' && !Array.isArray(services)) {
    for (const [name, s] of Object.entries(services as Record<string, unknown>)) {
      if (s === null || typeof s !== 'object' || Array.isArray(s)) continue;
      const svc = s as Record<string, unknown>;
      for (const key of Object.keys(svc)) {
        if (key in FORBIDDEN) problems.push({ path: ['services', name], key, message: `unsupported option ${JSON.stringify(key)}: ${FORBIDDEN[key]}` });
        else if ((UNSUPPORTED as readonly string[]).includes(key)) unsupported.add(key);
        else if (key in DEPRECATED) deprecated.add(key);
        else if ((NOT_MODELLED as readonly string[]).includes(key)) notModelled.add(key);
        else continue;
        if (key !== 'restart') delete svc[key];
      }
    }
  }
  for (const key of TOP_NOT_MODELLED) {
    if (key in file) {
      notModelled.add(`${key} (top level)`);
      delete file[key];
    }
  }
  const warnings: string[] = [];
  if (unsupported.size > 0) warnings.push(`Ignoring unsupported options: ${[...unsupported].sort().join(', ')}`);
  if (deprecated.size > 0) warnings.push(`Ignoring deprecated options:\n\n${[...deprecated].sort().map((k) => `${k}: ${DEPRECATED[k]}`).join('\n\n')}`);
  if (notModelled.size > 0) warnings.push(`Ignoring options swarmlab does not model: ${[...notModelled].sort().join(', ')}`);
  return { problems, warnings };
}

/** References from services to the file's networks, secrets and configs, and what the converter would refuse. */
function crossCheck(file: ComposeFile, value: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  const known = (kind: 'networks' | 'secrets' | 'configs') => Object.keys(file[kind] ?? {});
  const undefinedRef = (kind: 'network' | 'secret' | 'config', name: string, list: string[]) => {
    const hint = closest(name, list);
    return `undefined ${kind} ${JSON.stringify(name)} (${hint ? `did you mean ${JSON.stringify(hint)}? ` : ''}${list.length ? `the file's ${kind}s are ${list.join(', ')}` : `the file declares no ${kind}s: add it under the top-level ${kind}s`})`;
  };
  const rawServices = value.services as Record<string, Record<string, unknown>>;
  for (const [name, s] of Object.entries(file.services)) {
    const rawNetworks = rawServices[name]!.networks;
    for (const [i, n] of Object.keys(s.networks ?? {}).entries()) {
      if (n === 'default' || known('networks').includes(n)) continue;
      out.push({ path: ['services', name, 'networks', ...(Array.isArray(rawNetworks) ? [i] : [n])], message: undefinedRef('network', n, known('networks')) });
    }
    for (const kind of ['secrets', 'configs'] as const) {
      const targets = new Map<string, number>();
      (s[kind] ?? []).forEach((r, i) => {
        if (!known(kind).includes(r.source)) out.push({ path: ['services', name, kind, i], message: undefinedRef(kind === 'secrets' ? 'secret' : 'config', r.source, known(kind)) });
        const target = r.target ?? r.source;
        const seen = targets.get(target);
        if (seen !== undefined) out.push({ path: ['services', name, kind, i], message: `duplicate ${kind === 'secrets' ? 'secret' : 'config'} target for ${target} not allowed (${kind}[${seen}] has it too)` });
        else targets.set(target, i);
      });
    }
    if (s.deploy?.mode === 'global' && s.deploy.replicas !== undefined) {
      out.push({ path: ['services', name, 'deploy', 'replicas'], message: 'replicas can only be used with replicated mode (a global service runs one task on every node)' });
    }
    if (s.restart !== undefined && !s.deploy?.restart_policy) {
      const r = parseRestart(s.restart);
      if (typeof r === 'string') out.push({ path: ['services', name, 'restart'], message: r });
    }
  }
  for (const kind of ['secrets', 'configs'] as const) {
    const what = kind === 'secrets' ? 'secret' : 'config';
    for (const [key, o] of Object.entries(file[kind] ?? {})) {
      if (o.external?.external) {
        if (o.file !== undefined) out.push({ path: [kind, key, 'file'], message: `an external ${what} has no file: it exists already (remove file, or external)` });
        if (o.external.name !== undefined && o.name !== undefined) out.push({ path: [kind, key], message: `${what} ${key}: ${what}.external.name and ${what}.name conflict; only use ${what}.name` });
      } else if (o.file === undefined) {
        out.push({ path: [kind, key], message: `a ${what} needs a file (its content, relative to the compose file), or external: true for one that exists` });
      }
    }
  }
  for (const [key, n] of Object.entries(file.networks ?? {})) {
    if (n.external?.external && n.external.name !== undefined && n.name !== undefined) {
      out.push({ path: ['networks', key], message: `network ${key}: network.external.name and network.name conflict; only use network.name` });
    }
  }
  return out;
}

/** docker's opts.ParseEnvFile, minus the variables taken from the environment (resolved after). */
export function parseEnvFile(text: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i < 0) out[line.trim()] = null;
    else out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
