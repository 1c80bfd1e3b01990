// A lab file (resources/labs/*.yaml or the user's own) read into a LabDefinition: the machines to
// make, the cluster settings for `swarm init`, and the services as Engine API specs. Everything
// that can be checked without a cluster is checked here, so a bad file is refused before anything
// is created; each error names the file, the line and column, and the path within the file
// (`labs/ha.yaml:12:11: machines[3].role: expected manager or worker, got "boss"`).

import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { ClusterSpec, ServiceSpec } from '../../core/api/objects.ts';
import { SpecError } from '../../core/api/validate.ts';
import { fieldPath } from '../../core/api/validate/fields.ts';
import type { ImageCatalog } from '../../core/executor/catalog.ts';
import { PROFILE_LABEL } from '../../core/swarmd/cluster-defaults.ts';
import type { DriverName, Isolation } from '../../vm/config.ts';
import { LabError } from './errors.ts';
import { showYaml } from '../../core/api/validate/yaml-words.ts';
import { labSchema, type LabFileData, type ROLES, type PROFILES } from './lab-schema.ts';
import { serviceSpec } from './service-spec.ts';

export interface LabMachine {
  name: string;
  role: (typeof ROLES)[number];
  labels: Record<string, string>;
  driver: DriverName;
  isolation: Isolation;
}

export interface LabService {
  name: string;
  spec: ServiceSpec;
}

export interface LabDefinition {
  name: string;
  description?: string;
  /** Where it was read from, as errors name it (`labs/default.yaml`, or the path given). */
  source: string;
  machines: LabMachine[];
  cluster: {
    profile: (typeof PROFILES)[number];
    /** For `swarm init`: what the file sets, over the profile's defaults. */
    spec: ClusterSpec;
  };
  services: LabService[];
}

const MAX_REPORTED = 10;

export interface Problem {
  path: (string | number)[];
  /** For an unknown key: the key, which is where the problem is. */
  key?: string;
  message: string;
}

export function parseLabFile(text: string, source: string, catalog: ImageCatalog): LabDefinition {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${source}${at ? `:${at.line}:${at.col}` : ''}: ${first}`;
    });
    throw new LabError(report(lines));
  }
  const value: unknown = doc.toJS();
  const where = (p: Problem) => {
    const at = locate(doc, lineCounter, p.path, p.key);
    const path = fieldPath(p.path);
    return { at, text: `${source}${at ? `:${at.line}:${at.col}` : ''}: ${path ? `${path}: ` : ''}${p.message}` };
  };
  const fail = (problems: Problem[]): never => {
    const located = problems.map(where).sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.col ?? 0) - (b.at?.col ?? 0));
    throw new LabError(report(located.map((l) => l.text)));
  };

  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    fail([{ path: [], message: `expected a lab: a mapping with name, machines, cluster and services, got ${value === null || value === undefined ? 'an empty file' : showYaml(value)}` }]);
  }
  const r = labSchema.safeParse(value);
  if (!r.success) fail(r.error.issues.map(problem));
  const data = r.data!;
  const machines = machineList(data);
  const problems = [...crossCheckMachines(data, machines), ...checkServices(data, catalog)];
  if (problems.length > 0) fail(problems);

  return {
    name: data.name,
    ...(data.description !== undefined ? { description: data.description } : {}),
    source,
    machines,
    cluster: { profile: data.cluster.profile, spec: clusterSpec(data.cluster) },
    services: data.services.map((s) => ({ name: s.name, spec: serviceSpec(s) })),
  };
}

export function report(lines: string[]): string {
  const shown = lines.slice(0, MAX_REPORTED);
  if (lines.length > shown.length) shown.push(`(and ${lines.length - shown.length} more)`);
  return shown.join('\n');
}

export function problem(i: z.core.$ZodIssue): Problem {
  const path = i.path as (string | number)[];
  if (i.code === 'unrecognized_keys') return { path, key: i.keys[0], message: i.message };
  const key = i.code === 'custom' ? (i.params as { key?: string } | undefined)?.key : undefined;
  return { path, ...(key ? { key } : {}), message: i.message };
}

/** Line and column of the value at `path` (or of `key` in the mapping there), else of its nearest parent. */
export function locate(doc: Document, lc: LineCounter, path: (string | number)[], key?: string): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const start = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    if (start === undefined) continue;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
      if (range) return lc.linePos(range[0]);
    }
    return lc.linePos(start);
  }
  return undefined;
}

function machineList(data: LabFileData): LabMachine[] {
  const m = data.machines;
  if (Array.isArray(m)) return m.map((x) => ({ name: x.name, role: x.role, labels: x.labels ?? {}, driver: x.driver, isolation: x.isolation }));
  const { managers, workers, driver, isolation } = m as { managers: number; workers: number; driver: DriverName; isolation: Isolation };
  const make = (role: LabMachine['role'], n: number) => Array.from({ length: n }, (_, i) => ({ name: `${role}${i + 1}`, role, labels: {}, driver, isolation }));
  return [...make('manager', managers), ...make('worker', workers)];
}

function crossCheckMachines(data: LabFileData, machines: LabMachine[]): Problem[] {
  const out: Problem[] = [];
  const first = new Map<string, number>();
  machines.forEach((m, i) => {
    const seen = first.get(m.name);
    if (seen !== undefined) out.push({ path: ['machines', i, 'name'], message: `duplicate machine name "${m.name}" (machines[${seen}] has it too)` });
    else first.set(m.name, i);
  });
  // A namespace's 127.0.0.x is its own loopback: netns machines cannot reach process machines.
  const isolation = machines[0]?.isolation;
  const other = machines.findIndex((m) => m.isolation !== isolation);
  if (other >= 0) {
    out.push({ path: ['machines', other, 'isolation'], message: `every machine of a lab needs the same isolation: machines[0] has ${isolation}, this one ${machines[other]!.isolation} (netns machines cannot reach process machines)` });
  }
  if (Array.isArray(data.machines) && !machines.some((m) => m.role === 'manager')) {
    out.push({ path: ['machines'], message: 'a lab needs at least one manager (role: manager) to initialize its swarm' });
  }
  return out;
}

function checkServices(data: LabFileData, catalog: ImageCatalog): Problem[] {
  const out: Problem[] = [];
  const first = new Map<string, number>();
  data.services.forEach((s, i) => {
    const seen = first.get(s.name);
    if (seen !== undefined) out.push({ path: ['services', i, 'name'], message: `duplicate service name "${s.name}" (services[${seen}] has it too)` });
    else first.set(s.name, i);
    if (!catalog.resolve(s.image)) {
      out.push({ path: ['services', i, 'image'], message: `no image "${s.image}" in the lab's image catalog (it has ${catalog.summary()})` });
    }
    if (s.mode === 'global' && s.replicas !== undefined) {
      out.push({ path: ['services', i, 'replicas'], message: 'a global service runs one task on every node: remove replicas, or mode: global' });
    }
    try {
      serviceSpec(s);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      out.push({ path: ['services', i, ...labPath(err.field)], message: err.message });
    }
  });
  return out;
}

/** Where a ServiceSpec field came from in the lab file, as far as it maps one to one. */
function labPath(field: string): (string | number)[] {
  const m = /^TaskTemplate\.Placement\.Constraints\[(\d+)\]/.exec(field);
  if (m) return ['constraints', Number(m[1])];
  if (field === 'Name') return ['name'];
  if (field.startsWith('TaskTemplate.ContainerSpec.Image')) return ['image'];
  return [];
}

function clusterSpec(c: LabFileData['cluster']): ClusterSpec {
  return {
    // The profile travels as the cluster's label: swarmd picks the timings by it (cluster-defaults.ts).
    Labels: { [PROFILE_LABEL]: c.profile },
    ...(c.heartbeat !== undefined ? { Dispatcher: { HeartbeatPeriod: c.heartbeat } } : {}),
    ...(c.taskHistoryLimit !== undefined ? { Orchestration: { TaskHistoryRetentionLimit: c.taskHistoryLimit } } : {}),
    ...(c.certExpiry !== undefined ? { CAConfig: { NodeCertExpiry: c.certExpiry } } : {}),
  };
}
