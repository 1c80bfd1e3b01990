// SwarmKit's service flags (cmd/swarmctl/service/flagparser) and their merge into a Docker-shaped
// ServiceSpec: only the flags given change the spec, so `service update --image x` keeps the rest.
// A flag given replaces that field whole (--env replaces the environment, as in SwarmKit).

import type { PortConfig, RestartCondition, ServiceSpec, UpdateConfig } from '../api/objects.ts';
import { type FlagSpec, type Flags, UsageError } from './args.ts';

export const SERVICE_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string', usage: 'service name' },
  { name: 'label', type: 'list', usage: 'service label (key=value)' },
  { name: 'replicas', type: 'uint', usage: 'number of replicas for the service (only works in replicated service mode)', default: '1' },
  { name: 'image', type: 'string', usage: 'container image' },
  { name: 'hostname', type: 'string', usage: 'container hostname' },
  { name: 'command', type: 'list', usage: 'override entrypoint' },
  { name: 'args', type: 'list', usage: 'container args' },
  { name: 'env', type: 'list', usage: 'container env' },
  { name: 'ports', type: 'list', usage: 'ports (name:port[/protocol][:published port])' },
  { name: 'memory-reservation', type: 'string', usage: 'amount of reserved memory (e.g. 512m)' },
  { name: 'memory-limit', type: 'string', usage: 'memory limit (e.g. 512m)' },
  { name: 'cpu-reservation', type: 'string', usage: 'number of CPU cores reserved (e.g. 0.5)' },
  { name: 'cpu-limit', type: 'string', usage: 'CPU cores limit (e.g. 0.5)' },
  { name: 'update-parallelism', type: 'uint', usage: 'task update parallelism (0 = all at once)' },
  { name: 'update-delay', type: 'string', usage: 'delay between task updates (0s = none)', default: '0s' },
  { name: 'update-on-failure', type: 'string', usage: 'action on failure during update (pause|continue|rollback)', default: 'pause' },
  { name: 'update-order', type: 'string', usage: 'order of shutting down old task and starting updated task (stop-first|start-first)', default: 'stop-first' },
  { name: 'rollback-parallelism', type: 'uint', usage: 'task update parallelism during rollback (0 = all at once)' },
  { name: 'rollback-delay', type: 'string', usage: 'delay between task updates during rollback (0s = none)', default: '0s' },
  { name: 'rollback-on-failure', type: 'string', usage: 'action on failure during rollback (pause|continue)', default: 'pause' },
  { name: 'rollback-order', type: 'string', usage: 'order of shutting down old task and starting rolled-back task (stop-first|start-first)', default: 'stop-first' },
  { name: 'restart-condition', type: 'string', usage: 'condition to restart the task (any, failure, none)', default: 'any' },
  { name: 'restart-delay', type: 'string', usage: 'delay between task restarts' },
  { name: 'restart-max-attempts', type: 'uint', usage: 'maximum number of restart attempts (0 = unlimited)' },
  { name: 'restart-window', type: 'string', usage: 'time window to evaluate restart attempts (0 = unbound)', default: '0s' },
  { name: 'constraint', type: 'list', usage: 'Placement constraint (e.g. node.labels.key==value)' },
  { name: 'replicas-max-per-node', type: 'uint', usage: 'maximum number of replicas of the service on one node (0 = unlimited)' },
];

export const CREATE_FLAGS: FlagSpec[] = [...SERVICE_FLAGS, { name: 'mode', type: 'string', usage: 'one of replicated, global', default: 'replicated' }];

export const UPDATE_FLAGS: FlagSpec[] = [...SERVICE_FLAGS, { name: 'force', type: 'bool', usage: 'force tasks to restart even if nothing has changed' }];

/** What `service create` starts from: one replica, as SwarmKit's swarmctl does. */
export const newServiceSpec = (): ServiceSpec => ({ TaskTemplate: { ContainerSpec: { Image: '' } }, Mode: { Replicated: { Replicas: 1 } } });

function oneOf<T extends string>(flags: Flags, name: string, allowed: Record<string, T>, message: string): T | undefined {
  const v = flags.string(name);
  if (v === undefined) return undefined;
  const mapped = allowed[v];
  if (mapped === undefined) throw new UsageError(message.replace('%s', v));
  return mapped;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1g", "1.5GiB", "1024" (binary multiples). */
export function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(v);
  if (!m) throw new UsageError(`invalid size: '${v}'`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
}

/** CPUs as a decimal ("0.5") to NanoCPUs, refusing more precision than a nanocpu. */
export function cpusToNano(v: string): number {
  if (!/^\d*\.?\d+$/.test(v)) throw new UsageError(`invalid cpu: ${v}`);
  const [whole = '0', frac = ''] = v.split('.');
  if (frac.length > 9) throw new UsageError(`CPU value cannot have more than 9 decimal places: ${v}`);
  return Number(whole) * 1e9 + Number(frac.padEnd(9, '0'));
}

/** SwarmKit's --ports entry: name:port[/protocol][:published[/protocol]]. */
export function parsePort(entry: string): PortConfig {
  const parts = entry.split(':');
  if (parts.length < 2) throw new UsageError(`insufficient parameters in port configuration: ${entry} (expected name:port[/protocol][:published port])`);
  const spec = (s: string, what: string): [PortConfig['Protocol'], number] => {
    const [p = '', proto = 'tcp'] = s.split('/');
    if (!/^\d+$/.test(p) || Number(p) > 65535) throw new UsageError(`failed to parse ${what}: invalid port ${JSON.stringify(p)} in ${entry}`);
    const lower = proto.toLowerCase();
    if (lower !== 'tcp' && lower !== 'udp' && lower !== 'sctp') throw new UsageError(`failed to parse ${what}: invalid protocol string: ${proto}`);
    return [lower, Number(p)];
  };
  const [protocol, target] = spec(parts[1]!, 'port');
  const port: PortConfig = { Name: parts[0]!, Protocol: protocol, TargetPort: target, PublishMode: 'host' };
  if (parts.length > 2) {
    const [published, number] = spec(parts[2]!, 'node port');
    if (published !== protocol) throw new UsageError(`protocol mismatch in port configuration: ${entry}`);
    port.PublishedPort = number;
  }
  return port;
}

function labels(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of entries) {
    const eq = l.indexOf('=');
    if (eq < 0) throw new UsageError(`malformed label: ${l}`);
    out[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return out;
}

function updateConfig(flags: Flags, prefix: 'update' | 'rollback', current: UpdateConfig | undefined): UpdateConfig | undefined {
  const changed = ['parallelism', 'delay', 'on-failure', 'order'].some((f) => flags.changed(`${prefix}-${f}`));
  if (!changed) return current;
  const next: UpdateConfig = { ...current };
  const parallelism = flags.uint(`${prefix}-parallelism`);
  if (parallelism !== undefined) next.Parallelism = parallelism;
  const delay = flags.duration(`${prefix}-delay`);
  if (delay !== undefined) next.Delay = delay;
  const actions: Record<string, UpdateConfig['FailureAction'] & string> =
    prefix === 'update' ? { pause: 'pause', continue: 'continue', rollback: 'rollback' } : { pause: 'pause', continue: 'continue' };
  const action = oneOf(flags, `${prefix}-on-failure`, actions, `--${prefix}-on-failure value must be ${Object.keys(actions).join(', ').replace(/, (\w+)$/, ' or $1')}`);
  if (action) next.FailureAction = action;
  const order = oneOf(flags, `${prefix}-order`, { 'stop-first': 'stop-first', 'start-first': 'start-first' } as const, `--${prefix}-order value must be stop-first or start-first`);
  if (order) next.Order = order;
  return next;
}

/** The spec with the given flags applied; `spec` itself is left as it was. */
export function mergeServiceFlags(spec: ServiceSpec, flags: Flags): ServiceSpec {
  const next = structuredClone(spec);
  const task = next.TaskTemplate;
  const container = task.ContainerSpec;

  if (flags.bool('force')) task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
  if (flags.changed('name')) next.Name = flags.string('name');
  if (flags.changed('label')) next.Labels = labels(flags.list('label'));

  const mode = oneOf(flags, 'mode', { replicated: 'replicated', global: 'global' } as const, 'invalid mode %s: expected replicated or global');
  if (mode === 'global' && !('Global' in next.Mode)) next.Mode = { Global: {} };
  if (mode === 'replicated' && !('Replicated' in next.Mode)) next.Mode = { Replicated: { Replicas: 1 } };
  const replicas = flags.uint('replicas');
  if (replicas !== undefined) {
    if (!('Replicated' in next.Mode)) throw new UsageError('--replicas can only be specified in --mode replicated');
    next.Mode.Replicated.Replicas = replicas;
  }

  if (flags.changed('image')) container.Image = flags.string('image')!;
  if (flags.changed('hostname')) container.Hostname = flags.string('hostname');
  if (flags.changed('command')) container.Command = flags.list('command');
  if (flags.changed('args')) container.Args = flags.list('args');
  if (flags.changed('env')) container.Env = flags.list('env');

  const memRes = flags.string('memory-reservation');
  const memLim = flags.string('memory-limit');
  const cpuRes = flags.string('cpu-reservation');
  const cpuLim = flags.string('cpu-limit');
  if ([memRes, memLim, cpuRes, cpuLim].some((v) => v !== undefined)) {
    const r = (task.Resources = { ...task.Resources });
    if (memRes !== undefined || cpuRes !== undefined) {
      r.Reservations = { ...r.Reservations };
      if (memRes !== undefined) r.Reservations.MemoryBytes = ramInBytes(memRes);
      if (cpuRes !== undefined) r.Reservations.NanoCPUs = cpusToNano(cpuRes);
    }
    if (memLim !== undefined || cpuLim !== undefined) {
      r.Limits = { ...r.Limits };
      if (memLim !== undefined) r.Limits.MemoryBytes = ramInBytes(memLim);
      if (cpuLim !== undefined) r.Limits.NanoCPUs = cpusToNano(cpuLim);
    }
  }

  if (flags.changed('ports')) next.EndpointSpec = { ...next.EndpointSpec, Ports: flags.list('ports').map(parsePort) };

  const restartFlags = ['restart-condition', 'restart-delay', 'restart-max-attempts', 'restart-window'];
  if (restartFlags.some((f) => flags.changed(f))) {
    const policy = (task.RestartPolicy = { ...task.RestartPolicy });
    // SwarmKit says "failure"; the Engine API's name is "on-failure": both are understood.
    const condition = oneOf<RestartCondition>(flags, 'restart-condition', { any: 'any', none: 'none', failure: 'on-failure', 'on-failure': 'on-failure' }, 'invalid restart condition: %s');
    if (condition) policy.Condition = condition;
    const delay = flags.duration('restart-delay');
    if (delay !== undefined) policy.Delay = delay;
    const attempts = flags.uint('restart-max-attempts');
    if (attempts !== undefined) policy.MaxAttempts = attempts;
    const window = flags.duration('restart-window');
    if (window !== undefined) policy.Window = window;
  }

  next.UpdateConfig = updateConfig(flags, 'update', next.UpdateConfig);
  next.RollbackConfig = updateConfig(flags, 'rollback', next.RollbackConfig);
  if (next.UpdateConfig === undefined) delete next.UpdateConfig;
  if (next.RollbackConfig === undefined) delete next.RollbackConfig;

  if (flags.changed('constraint')) task.Placement = { ...task.Placement, Constraints: flags.list('constraint') };
  const maxReplicas = flags.uint('replicas-max-per-node');
  if (maxReplicas !== undefined) {
    if (!('Replicated' in next.Mode)) throw new UsageError('--replicas-max-per-node can only be specified in --mode replicated');
    task.Placement = { ...task.Placement, MaxReplicas: maxReplicas };
  }
  return next;
}
