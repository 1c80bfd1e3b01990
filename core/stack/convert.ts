// A loaded compose file to the Engine API objects of a stack, as docker/cli's cli/compose/convert
// makes them for `docker stack deploy`, so that a stack deployed by either is the same stack:
// names scoped as STACK_NAME (unless the file names the object), the namespace label on everything,
// the image label on services, networks attached by name with the service's name as an alias,
// `STACK_default` for services that list no network, lists sorted the way docker sorts them.
// Secret and config IDs are left empty: the deployer looks them up by name, as the CLI does.

import type { ConfigReference, EndpointSpec, Labels, PortConfig, RestartPolicy, SecretReference, ServiceSpec, TaskSpec, UpdateConfig } from '../api/objects.ts';
import type { ComposeFile, ComposeFileObject, ComposeNetwork, ComposeService, FileReference, ServiceNetwork } from './schema.ts';

export const LABEL_NAMESPACE = 'com.docker.stack.namespace';
export const LABEL_IMAGE = 'com.docker.stack.image';
const DEFAULT_NETWORK = 'default';
const DEFAULT_NETWORK_DRIVER = 'overlay';

/** A compose file ready to convert: environments resolved (env_file read, bare names looked up), file data read. */
export interface LoadedStack {
  file: ComposeFile;
  /** Secret and config contents by their key in the file, base64 (as the Engine API carries Data). */
  data: { secrets: Record<string, string>; configs: Record<string, string> };
}

/** POST /networks/create's body. */
export interface NetworkCreate {
  Name: string;
  Driver: string;
  Labels: Labels;
  Options?: Record<string, string>;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config: { Subnet: string }[] };
}

/** POST /secrets/create's (and /configs/create's) body. */
export interface FileObjectSpec {
  Name: string;
  Labels: Labels;
  /** base64 */
  Data: string;
}

export interface StackObjects {
  namespace: string;
  /** Networks to create (those some service uses), by name. */
  networks: NetworkCreate[];
  /** Networks the file declares external that some service uses: they must exist, swarm-scoped. */
  externalNetworks: string[];
  secrets: FileObjectSpec[];
  configs: FileObjectSpec[];
  /** By scoped name; secret and config references have no IDs yet. */
  services: ServiceSpec[];
}

export const scope = (namespace: string, name: string) => `${namespace}_${name}`;

function withStackLabel(namespace: string, labels: Labels | undefined): Labels {
  return { ...(labels ?? {}), [LABEL_NAMESPACE]: namespace };
}

export function convertStack(namespace: string, stack: LoadedStack): StackObjects {
  const { file } = stack;
  const networkConfigs = file.networks ?? {};
  const used = new Set<string>();
  for (const s of Object.values(file.services)) {
    const nets = Object.keys(s.networks ?? {});
    if (nets.length === 0) used.add(DEFAULT_NETWORK);
    for (const n of nets) used.add(n);
  }
  const networks: NetworkCreate[] = [];
  const externalNetworks: string[] = [];
  for (const key of [...used].sort()) {
    const nw: ComposeNetwork = networkConfigs[key] ?? {};
    if (nw.external?.external) {
      externalNetworks.push(externalName(key, nw));
      continue;
    }
    networks.push({
      Name: nw.name ?? scope(namespace, key),
      Driver: nw.driver ?? DEFAULT_NETWORK_DRIVER,
      Labels: withStackLabel(namespace, nw.labels),
      ...(nw.driver_opts && Object.keys(nw.driver_opts).length > 0 ? { Options: nw.driver_opts } : {}),
      ...(nw.internal ? { Internal: true } : {}),
      ...(nw.attachable ? { Attachable: true } : {}),
      ...(nw.ipam && (nw.ipam.driver !== undefined || (nw.ipam.config?.length ?? 0) > 0)
        ? { IPAM: { ...(nw.ipam.driver !== undefined ? { Driver: nw.ipam.driver } : {}), Config: (nw.ipam.config ?? []).map((c) => ({ Subnet: prefixOrAddress(c.subnet) })) } }
        : {}),
    });
  }
  networks.sort((a, b) => cmp(a.Name, b.Name));

  const objects = (kind: 'secrets' | 'configs'): FileObjectSpec[] =>
    Object.entries(file[kind] ?? {})
      .filter(([, o]) => !o.external?.external)
      .map(([key, o]) => ({ Name: o.name ?? scope(namespace, key), Labels: withStackLabel(namespace, o.labels), Data: stack.data[kind][key] ?? '' }))
      .sort((a, b) => cmp(a.Name, b.Name));

  const services = Object.entries(file.services)
    .map(([name, s]) => convertService(namespace, name, s, file))
    .sort((a, b) => cmp(a.Name!, b.Name!));

  return { namespace, networks, externalNetworks, secrets: objects('secrets'), configs: objects('configs'), services };
}

/** An external network's (or secret's, config's) name: its `name`, the old `external.name`, else its key. */
function externalName(key: string, o: { name?: string | undefined; external?: { external: boolean; name?: string } | undefined }): string {
  return o.name ?? o.external?.name ?? key;
}

export function convertService(namespace: string, name: string, s: ComposeService, file: ComposeFile): ServiceSpec {
  const d = s.deploy ?? {};
  if (d.mode === 'global' && d.replicas !== undefined) throw new Error(`service ${name}: replicas can only be used with replicated or replicated-job mode`);
  const container: TaskSpec['ContainerSpec'] = {
    Image: s.image,
    ...(s.entrypoint?.length ? { Command: s.entrypoint } : {}),
    ...(s.command?.length ? { Args: s.command } : {}),
    ...(s.hostname ? { Hostname: s.hostname } : {}),
    ...(s.environment && Object.keys(s.environment).length > 0 ? { Env: convertEnvironment(s.environment) } : {}),
    Labels: withStackLabel(namespace, s.labels),
    ...(s.working_dir ? { Dir: s.working_dir } : {}),
    ...(s.user ? { User: s.user } : {}),
    ...(s.stop_grace_period !== undefined ? { StopGracePeriod: s.stop_grace_period } : {}),
    ...(s.stop_signal ? { StopSignal: s.stop_signal } : {}),
  };
  const secrets = (s.secrets ?? []).map((r): SecretReference => {
    const o = fileReference(namespace, r, lookup(file.secrets, 'secret', name, r.source));
    return { File: o.file, SecretID: '', SecretName: o.name };
  });
  if (secrets.length > 0) container.Secrets = secrets.sort((a, b) => cmp(a.SecretName, b.SecretName));
  const configs = (s.configs ?? []).map((r): ConfigReference => {
    const o = fileReference(namespace, r, lookup(file.configs, 'config', name, r.source));
    return { File: o.file, ConfigID: '', ConfigName: o.name };
  });
  if (configs.length > 0) container.Configs = configs.sort((a, b) => cmp(a.ConfigName, b.ConfigName));

  const placement = d.placement ?? {};
  const restart = convertRestartPolicy(name, s.restart, d.restart_policy);
  const spec: ServiceSpec = {
    Name: scope(namespace, name),
    Labels: { ...withStackLabel(namespace, d.labels), [LABEL_IMAGE]: s.image },
    TaskTemplate: {
      ContainerSpec: container,
      Resources: convertResources(d.resources),
      ...(restart ? { RestartPolicy: restart } : {}),
      Placement: {
        ...(placement.constraints?.length ? { Constraints: placement.constraints } : {}),
        ...(placement.preferences?.length ? { Preferences: placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p.spread } })) } : {}),
        ...(placement.max_replicas_per_node ? { MaxReplicas: placement.max_replicas_per_node } : {}),
      },
      Networks: convertServiceNetworks(namespace, name, s.networks, file.networks ?? {}),
    },
    EndpointSpec: convertEndpointSpec(d.endpoint_mode, s.ports ?? []),
    Mode: d.mode === 'global' ? { Global: {} } : { Replicated: d.replicas !== undefined ? { Replicas: d.replicas } : {} },
  };
  if (d.update_config) spec.UpdateConfig = convertUpdateConfig(d.update_config);
  if (d.rollback_config) spec.RollbackConfig = convertUpdateConfig(d.rollback_config);
  return spec;
}

function lookup(objects: Record<string, ComposeFileObject> | undefined, kind: string, service: string, source: string): ComposeFileObject {
  const o = objects?.[source];
  if (!o) throw new Error(`service ${service}: undefined ${kind} ${JSON.stringify(source)}`);
  return o;
}

/** docker/cli's convertFileObject: the object's name, and where it appears (uid/gid 0, mode 0444 unless said). */
function fileReference(namespace: string, r: FileReference, o: ComposeFileObject): { name: string; file: { Name: string; UID: string; GID: string; Mode: number } } {
  const name = o.external?.external ? externalName(r.source, o) : (o.name ?? scope(namespace, r.source));
  return { name, file: { Name: r.target ?? r.source, UID: r.uid ?? '0', GID: r.gid ?? '0', Mode: r.mode ?? 0o444 } };
}

/** KEY=value, or KEY alone for a variable without a value; sorted. */
export function convertEnvironment(env: Record<string, string | null>): string[] {
  return Object.entries(env)
    .map(([k, v]) => (v === null ? k : `${k}=${v}`))
    .sort(cmp);
}

const NOT_USER_DEFINED = new Set(['default', 'bridge', 'host', 'none']);

function convertServiceNetworks(namespace: string, service: string, networks: Record<string, ServiceNetwork | null> | undefined, configs: Record<string, ComposeNetwork>): NonNullable<TaskSpec['Networks']> {
  const entries = networks && Object.keys(networks).length > 0 ? Object.entries(networks) : [[DEFAULT_NETWORK, null] as const];
  const out = entries.map(([key, nw]) => {
    const config = configs[key];
    if (!config && key !== DEFAULT_NETWORK) throw new Error(`service ${service}: undefined network ${JSON.stringify(key)}`);
    const target = config?.external?.external ? externalName(key, config) : (config?.name ?? scope(namespace, key));
    const aliases = [...(nw?.aliases ?? [])];
    // Only user-defined networks take aliases (docker's container.NetworkMode.IsUserDefined).
    if (!NOT_USER_DEFINED.has(target) && !target.startsWith('container:')) aliases.push(service);
    return { Target: target, ...(aliases.length > 0 ? { Aliases: aliases } : {}) };
  });
  return out.sort((a, b) => cmp(a.Target, b.Target));
}

function convertEndpointSpec(mode: string | undefined, ports: NonNullable<ComposeService['ports']>): EndpointSpec {
  const configs: PortConfig[] = ports.map((p) => ({
    ...(p.protocol ? { Protocol: p.protocol } : {}),
    TargetPort: p.target,
    ...(p.published !== undefined ? { PublishedPort: p.published } : {}),
    ...(p.mode ? { PublishMode: p.mode } : {}),
  }));
  // swarm.PortConfig.Compare: by published port, then target, protocol and mode.
  configs.sort((a, b) => (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0) || a.TargetPort - b.TargetPort || cmp(a.Protocol ?? '', b.Protocol ?? '') || cmp(a.PublishMode ?? '', b.PublishMode ?? ''));
  return { ...(mode ? { Mode: mode as 'vip' | 'dnsrr' } : {}), Ports: configs };
}

function convertResources(r: NonNullable<ComposeService['deploy']>['resources']): NonNullable<TaskSpec['Resources']> {
  const amounts = (a: { cpus?: number | undefined; memory?: number | undefined }) => ({ ...(a.cpus ? { NanoCPUs: a.cpus } : {}), ...(a.memory ? { MemoryBytes: a.memory } : {}) });
  return { ...(r?.limits ? { Limits: amounts(r.limits) } : {}), ...(r?.reservations ? { Reservations: amounts(r.reservations) } : {}) };
}

type ComposeUpdate = NonNullable<NonNullable<ComposeService['deploy']>['update_config']>;

/** Parallelism 1 unless said (docker/cli's default, not the API's 0). */
function convertUpdateConfig(u: ComposeUpdate): UpdateConfig {
  return {
    Parallelism: u.parallelism ?? 1,
    ...(u.delay ? { Delay: u.delay } : {}),
    ...(u.failure_action ? { FailureAction: u.failure_action as UpdateConfig['FailureAction'] } : {}),
    ...(u.monitor ? { Monitor: u.monitor } : {}),
    MaxFailureRatio: u.max_failure_ratio ?? 0,
    ...(u.order ? { Order: u.order } : {}),
  };
}

/** deploy.restart_policy; else the legacy `restart` ("always", "on-failure:3", ...), as docker/cli falls back to it. */
export function convertRestartPolicy(service: string, restart: string | undefined, policy: NonNullable<ComposeService['deploy']>['restart_policy']): RestartPolicy | undefined {
  if (policy) {
    return {
      ...(policy.condition ? { Condition: policy.condition } : {}),
      ...(policy.delay !== undefined ? { Delay: policy.delay } : {}),
      ...(policy.max_attempts ? { MaxAttempts: policy.max_attempts } : {}),
      ...(policy.window !== undefined ? { Window: policy.window } : {}),
    };
  }
  if (restart === undefined || restart === '') return undefined;
  const parsed = parseRestart(restart);
  if (typeof parsed === 'string') throw new Error(`service ${service}: ${parsed}`);
  return parsed ?? undefined;
}

/** docker's opts.ParseRestartPolicy and the conversion after it; a string is what is wrong. */
export function parseRestart(restart: string): RestartPolicy | null | string {
  const [name = '', count] = restart.split(':', 2);
  let max: number | undefined;
  if (count !== undefined) {
    if (!/^-?\d+$/.test(count)) return `invalid restart policy ${JSON.stringify(restart)}: the maximum retry count must be a number`;
    max = Number(count);
    if (max < 0) return 'invalid restart policy: maximum retry count cannot be negative';
    if (name !== 'on-failure') return `invalid restart policy ${JSON.stringify(restart)}: only on-failure takes a maximum retry count`;
  }
  switch (name) {
    case 'no':
    case '':
      return null;
    case 'always':
    case 'unless-stopped':
      return { Condition: 'any' };
    case 'on-failure':
      return { Condition: 'on-failure', ...(max ? { MaxAttempts: max } : {}) };
    default:
      return `invalid restart policy: unknown policy '${name}' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')`;
  }
}

/** docker/cli's parsePrefixOrAddr: an address without a prefix length is a one-address subnet. */
function prefixOrAddress(subnet: string): string {
  return subnet.includes('/') ? subnet : `${subnet}/${subnet.includes(':') ? 128 : 32}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
