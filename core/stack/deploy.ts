// `docker stack deploy|ls|services|ps|rm` over the Engine API, doing what docker/cli's
// cli/command/stack/swarm does, so that a stack made by either is managed by the other: the
// stack's objects are found by the com.docker.stack.namespace label, networks are created when
// missing, secrets and configs created (or updated: only their labels may change, as the swarm
// refuses new data), services created, or updated (at their version) when their spec changed, and
// left alone when it did not. Nothing is pruned unless asked. Each step is a line of the report,
// in the CLI's words ("Creating network app_default", "Updating service app_web (id: ...)").

import type { ConfigObject, NetworkObject, NodeObject, SecretObject, ServiceObject, ServiceSpec, TaskObject } from '../api/objects.ts';
import { validateServiceSpec } from '../api/validate/service.ts';
import { LABEL_IMAGE, LABEL_NAMESPACE, type FileObjectSpec, type NetworkCreate, type StackObjects } from './convert.ts';

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

/** Docker-style list filters: {label: ['k=v'], name: ['x']}. */
export type Filters = Record<string, string[]>;

/** A network as GET /networks lists it. */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Scope?: string;
  Labels?: Record<string, string>;
}

/** The Engine API calls a stack needs. Inspections resolve undefined for "not found"; other failures reject. */
export interface StackEngine {
  listServices(filters: Filters, status?: boolean): Promise<(ServiceObject & { ServiceStatus?: { RunningTasks: number; DesiredTasks: number } })[]>;
  createService(spec: ServiceSpec): Promise<string>;
  updateService(id: string, version: number, spec: ServiceSpec): Promise<void>;
  removeService(id: string): Promise<void>;
  listTasks(filters: Filters): Promise<TaskObject[]>;
  listNodes(): Promise<NodeObject[]>;
  listNetworks(filters: Filters): Promise<NetworkSummary[]>;
  inspectNetwork(idOrName: string): Promise<NetworkSummary | undefined>;
  createNetwork(spec: NetworkCreate): Promise<string>;
  removeNetwork(id: string): Promise<void>;
  listSecrets(filters: Filters): Promise<SecretObject[]>;
  inspectSecret(idOrName: string): Promise<SecretObject | undefined>;
  createSecret(spec: FileObjectSpec): Promise<string>;
  updateSecret(id: string, version: number, spec: FileObjectSpec): Promise<void>;
  removeSecret(id: string): Promise<void>;
  listConfigs(filters: Filters): Promise<ConfigObject[]>;
  inspectConfig(idOrName: string): Promise<ConfigObject | undefined>;
  createConfig(spec: FileObjectSpec): Promise<string>;
  updateConfig(id: string, version: number, spec: FileObjectSpec): Promise<void>;
  removeConfig(id: string): Promise<void>;
}

export interface DeployReport {
  lines: string[];
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
}

const STACK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** docker's validateStackName, and short enough for its services' names (63 characters at most). */
export function checkStackName(name: string): void {
  if (!STACK_NAME.test(name)) throw new StackError(`invalid stack name ${JSON.stringify(name)}: a stack name starts with a letter or digit and holds only letters, digits, '_', '.' and '-'`);
  if (name.length > 50) throw new StackError(`invalid stack name ${JSON.stringify(name)}: at most 50 characters, so that its services' names fit in 63`);
}

const stackFilter = (namespace: string): Filters => ({ label: [`${LABEL_NAMESPACE}=${namespace}`] });

export async function deployStack(engine: StackEngine, objects: StackObjects, opts: { prune?: boolean } = {}): Promise<DeployReport> {
  const namespace = objects.namespace;
  checkStackName(namespace);
  const report: DeployReport = { lines: [], created: [], updated: [], unchanged: [], removed: [] };
  const say = (line: string) => report.lines.push(line);

  if (opts.prune) {
    const wanted = new Set(objects.services.map((s) => s.Name));
    for (const s of await engine.listServices(stackFilter(namespace))) {
      if (wanted.has(s.Spec.Name)) continue;
      say(`Removing service ${s.Spec.Name ?? s.ID}`);
      await engine.removeService(s.ID);
      report.removed.push(s.Spec.Name ?? s.ID);
    }
  }

  for (const name of objects.externalNetworks) {
    const nw = await engine.inspectNetwork(name);
    if (!nw) throw new StackError(`network ${JSON.stringify(name)} is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
    if (nw.Scope !== undefined && nw.Scope !== 'swarm') throw new StackError(`network ${JSON.stringify(name)} is declared as external, but it is not in the right scope: ${JSON.stringify(nw.Scope)} instead of "swarm"`);
  }

  const existingNetworks = new Set((await engine.listNetworks(stackFilter(namespace))).map((n) => n.Name));
  for (const nw of objects.networks) {
    if (existingNetworks.has(nw.Name)) continue;
    say(`Creating network ${nw.Name}`);
    await failing(`failed to create network ${nw.Name}`, () => engine.createNetwork(nw));
  }

  for (const kind of ['secret', 'config'] as const) {
    const specs = kind === 'secret' ? objects.secrets : objects.configs;
    for (const spec of specs) {
      const current = kind === 'secret' ? await engine.inspectSecret(spec.Name) : await engine.inspectConfig(spec.Name);
      if (current) {
        try {
          await (kind === 'secret' ? engine.updateSecret(current.ID, current.Version.Index, spec) : engine.updateConfig(current.ID, current.Version.Index, spec));
        } catch (err) {
          throw new StackError(immutableMessage(kind, spec.Name, namespace, err as Error));
        }
      } else {
        say(`Creating ${kind} ${spec.Name}`);
        await failing(`failed to create ${kind} ${spec.Name}`, () => (kind === 'secret' ? engine.createSecret(spec) : engine.createConfig(spec)));
      }
    }
  }

  // The swarm stores a service's networks by ID (as Docker does): the desired spec is read the same way.
  const networkIds = new Map((await engine.listNetworks({})).map((n) => [n.Name, n.Id]));
  const services = await resolveReferences(engine, objects.services);
  const existing = new Map((await engine.listServices(stackFilter(namespace))).map((s) => [s.Spec.Name, s]));
  for (const desired of services) {
    const name = desired.Name!;
    const current = existing.get(name);
    if (!current) {
      say(`Creating service ${name}`);
      await failing(`failed to create service ${name}`, () => engine.createService(desired));
      report.created.push(name);
      continue;
    }
    const spec = forUpdate(desired, current);
    if (sameSpec(spec, current.Spec, networkIds)) {
      say(`Service ${name} is up to date (id: ${current.ID})`);
      report.unchanged.push(name);
      continue;
    }
    say(`Updating service ${name} (id: ${current.ID})`);
    await failing(`failed to update service ${name}`, () => updateAtVersion(engine, current, desired));
    report.updated.push(name);
  }
  return report;
}

/** As docker/cli: the image as the swarm resolved it is kept while the file's image is unchanged, and ForceUpdate is kept. */
function forUpdate(desired: ServiceSpec, current: ServiceObject): ServiceSpec {
  const image = desired.TaskTemplate.ContainerSpec.Image === current.Spec.Labels?.[LABEL_IMAGE] ? current.Spec.TaskTemplate.ContainerSpec.Image : desired.TaskTemplate.ContainerSpec.Image;
  const task = { ...desired.TaskTemplate, ContainerSpec: { ...desired.TaskTemplate.ContainerSpec, Image: image } };
  if (current.Spec.TaskTemplate.ForceUpdate !== undefined) task.ForceUpdate = current.Spec.TaskTemplate.ForceUpdate;
  return { ...desired, TaskTemplate: task };
}

/** An update made at the version read; if someone changed the service meanwhile, read again (a few times). */
async function updateAtVersion(engine: StackEngine, current: ServiceObject, desired: ServiceSpec): Promise<void> {
  let service = current;
  for (let attempt = 1; ; attempt++) {
    try {
      return await engine.updateService(service.ID, service.Version.Index, forUpdate(desired, service));
    } catch (err) {
      if (attempt >= 5 || !/out of sequence/i.test((err as Error).message)) throw err;
      const again = (await engine.listServices({ id: [service.ID] })).find((s) => s.ID === service.ID);
      if (!again) throw err;
      service = again;
    }
  }
}

/** docker's servicecli.ParseSecrets/ParseConfigs: references get their IDs, looked up by name. */
async function resolveReferences(engine: StackEngine, services: ServiceSpec[]): Promise<ServiceSpec[]> {
  const secretNames = new Set(services.flatMap((s) => (s.TaskTemplate.ContainerSpec.Secrets ?? []).map((r) => r.SecretName)));
  const configNames = new Set(services.flatMap((s) => (s.TaskTemplate.ContainerSpec.Configs ?? []).map((r) => r.ConfigName)));
  const secretIds = new Map<string, string>();
  const configIds = new Map<string, string>();
  if (secretNames.size > 0) for (const s of await engine.listSecrets({ name: [...secretNames] })) if (s.Spec.Name) secretIds.set(s.Spec.Name, s.ID);
  if (configNames.size > 0) for (const c of await engine.listConfigs({ name: [...configNames] })) if (c.Spec.Name) configIds.set(c.Spec.Name, c.ID);
  return services.map((s) => {
    const c = s.TaskTemplate.ContainerSpec;
    if (!c.Secrets && !c.Configs) return s;
    const secrets = c.Secrets?.map((r) => {
      const id = secretIds.get(r.SecretName);
      if (!id) throw new StackError(`service ${s.Name}: secret not found: ${r.SecretName}`);
      return { ...r, SecretID: id };
    });
    const configs = c.Configs?.map((r) => {
      const id = configIds.get(r.ConfigName);
      if (!id) throw new StackError(`service ${s.Name}: config not found: ${r.ConfigName}`);
      return { ...r, ConfigID: id };
    });
    return { ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { ...c, ...(secrets ? { Secrets: secrets } : {}), ...(configs ? { Configs: configs } : {}) } } };
  });
}

function immutableMessage(kind: 'secret' | 'config', name: string, namespace: string, err: Error): string {
  const why = err.message;
  if (/only updates to labels|immutable|cannot (be )?(change|update)|data/i.test(why)) {
    return (
      `${kind} ${name} exists with other content: ${kind}s are immutable, so its new content cannot replace the old one ` +
      `(${why}). Give the ${kind} a new name in the compose file (for example name: ${name}_v2, and point the services at it), ` +
      `or remove the stack first (swarmlab stack rm ${namespace})`
    );
  }
  return `failed to update ${kind} ${name}: ${why}`;
}

async function failing<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StackError(`${what}: ${(err as Error).message}`);
  }
}

// ---- comparing specs ------------------------------------------------------------------------------------

/**
 * Whether two service specs say the same, reading both as the swarm stores them: the desired one
 * through the API's validation (its defaults), zero values as absent (Go's omitempty), and ports
 * with their default protocol and mode.
 */
export function sameSpec(desired: ServiceSpec, current: ServiceSpec, networkIds: ReadonlyMap<string, string> = new Map()): boolean {
  let stored: ServiceSpec = desired;
  try {
    stored = validateServiceSpec(JSON.parse(JSON.stringify(desired)));
  } catch {
    /* compared as it is: the update will say what is wrong */
  }
  return canonical(normalize(stored, networkIds)) === canonical(normalize(current, networkIds));
}

function normalize(spec: ServiceSpec, networkIds: ReadonlyMap<string, string>): unknown {
  const s = JSON.parse(JSON.stringify(spec)) as ServiceSpec;
  const networks = s.TaskTemplate.Networks;
  if (networks) {
    s.TaskTemplate.Networks = networks.map((n) => ({ ...n, Target: networkIds.get(n.Target) ?? n.Target })).sort((a, b) => cmp(a.Target, b.Target));
  }
  if ('Replicated' in s.Mode) s.Mode = { Replicated: { Replicas: s.Mode.Replicated.Replicas ?? 1 } };
  if (s.EndpointSpec) s.EndpointSpec.Mode ||= 'vip';
  const ports = s.EndpointSpec?.Ports;
  if (ports) s.EndpointSpec!.Ports = ports.map((p) => ({ ...p, Protocol: p.Protocol || 'tcp', PublishMode: p.PublishMode || 'ingress' }));
  return prune(s);
}

/** Drops undefined, null, '', 0, false, [] and {} (recursively), as Go's omitempty would. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(prune);
    return out.length === 0 ? undefined : out.map((x) => x ?? null);
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v)
      .map(([k, x]) => [k, prune(x)] as const)
      .filter(([, x]) => x !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  if (v === null || v === '' || v === 0 || v === false) return undefined;
  return v;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

// ---- ls, services, ps, rm ------------------------------------------------------------------------------------

export interface StackSummary {
  name: string;
  services: number;
}

/** `docker stack ls`: every stack that has a service, by name. */
export async function listStacks(engine: StackEngine): Promise<StackSummary[]> {
  const counts = new Map<string, number>();
  for (const s of await engine.listServices({ label: [LABEL_NAMESPACE] })) {
    const ns = s.Spec.Labels?.[LABEL_NAMESPACE];
    if (ns !== undefined) counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  return [...counts].map(([name, services]) => ({ name, services })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function stackServices(engine: StackEngine, namespace: string): Promise<Awaited<ReturnType<StackEngine['listServices']>>> {
  checkStackName(namespace);
  const services = await engine.listServices(stackFilter(namespace), true);
  return services.sort((a, b) => ((a.Spec.Name ?? '') < (b.Spec.Name ?? '') ? -1 : 1));
}

export interface StackTask {
  task: TaskObject;
  service: ServiceObject;
  node?: NodeObject;
}

/** `docker stack ps`: the tasks of the stack's services, newest first within each service and slot. */
export async function stackTasks(engine: StackEngine, namespace: string): Promise<StackTask[]> {
  checkStackName(namespace);
  const services = await engine.listServices(stackFilter(namespace));
  if (services.length === 0) return [];
  const [tasks, nodes] = await Promise.all([engine.listTasks({ service: services.map((s) => s.ID) }), engine.listNodes()]);
  const byId = new Map(services.map((s) => [s.ID, s]));
  const nodeById = new Map(nodes.map((n) => [n.ID, n]));
  return tasks
    .filter((t) => byId.has(t.ServiceID))
    .map((task) => ({ task, service: byId.get(task.ServiceID)!, ...(task.NodeID && nodeById.get(task.NodeID) ? { node: nodeById.get(task.NodeID)! } : {}) }))
    .sort(
      (a, b) =>
        cmp(a.service.Spec.Name ?? '', b.service.Spec.Name ?? '') ||
        (a.task.Slot ?? 0) - (b.task.Slot ?? 0) ||
        cmp(a.task.NodeID ?? '', b.task.NodeID ?? '') ||
        cmp(b.task.CreatedAt, a.task.CreatedAt),
    );
}

export interface RemoveOptions {
  /** How long to wait for the services' tasks to go before removing the networks they used (default 30 s). */
  timeoutMs?: number;
  /** Waits between reads of the tasks (default: 200 ms of real time). */
  pause?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** `docker stack rm`: services, then secrets, configs and networks with the stack's label; "Removing ..." lines. */
export async function removeStack(engine: StackEngine, namespace: string, opts: RemoveOptions = {}): Promise<string[]> {
  checkStackName(namespace);
  const filter = stackFilter(namespace);
  const [services, secrets, configs, networks] = await Promise.all([engine.listServices(filter), engine.listSecrets(filter), engine.listConfigs(filter), engine.listNetworks(filter)]);
  if (services.length + secrets.length + configs.length + networks.length === 0) return [`Nothing found in stack: ${namespace}`];
  const lines: string[] = [];
  const errors: string[] = [];
  const attempt = async (line: string, fn: () => Promise<void>, what: string) => {
    lines.push(line);
    try {
      await fn();
    } catch (err) {
      errors.push(`failed to remove ${what}: ${(err as Error).message}`);
    }
  };
  for (const s of sortBy(services, (s) => s.Spec.Name ?? s.ID)) await attempt(`Removing service ${s.Spec.Name ?? s.ID}`, () => engine.removeService(s.ID), `service ${s.Spec.Name ?? s.ID}`);
  for (const s of sortBy(secrets, (s) => s.Spec.Name ?? s.ID)) await attempt(`Removing secret ${s.Spec.Name ?? s.ID}`, () => engine.removeSecret(s.ID), `secret ${s.Spec.Name ?? s.ID}`);
  for (const c of sortBy(configs, (c) => c.Spec.Name ?? c.ID)) await attempt(`Removing config ${c.Spec.Name ?? c.ID}`, () => engine.removeConfig(c.ID), `config ${c.Spec.Name ?? c.ID}`);
  if (networks.length > 0 && services.length > 0) await waitForTasksGone(engine, services.map((s) => s.ID), opts);
  for (const n of sortBy(networks, (n) => n.Name)) await attempt(`Removing network ${n.Name}`, () => engine.removeNetwork(n.Id), `network ${n.Name}`);
  if (errors.length > 0) throw new StackError([...lines, ...errors].join('\n'));
  return lines;
}

/** A network in use by a task cannot go: wait (until a deadline) for the removed services' tasks to be gone. */
async function waitForTasksGone(engine: StackEngine, serviceIds: string[], opts: RemoveOptions): Promise<void> {
  const now = opts.now ?? (() => Date.now());
  const pause = opts.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    // Unfiltered: a task filter naming a removed service is refused ("service ... not found"), as in Docker.
    const left = (await engine.listTasks({})).filter((t) => serviceIds.includes(t.ServiceID));
    if (left.length === 0 || now() >= deadline) return;
    await pause(200);
  }
}

function sortBy<T>(list: T[], key: (t: T) => string): T[] {
  return [...list].sort((a, b) => cmp(key(a), key(b)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type { NetworkObject };
