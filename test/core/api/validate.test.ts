import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SpecError,
  formatDuration,
  validateClusterSpec,
  validateNodeSpec,
  validateServiceSpec,
} from '../../../core/api/validate.ts';
import type { ClusterSpec, NodeSpec, PortConfig, ServiceSpec } from '../../../core/api/objects.ts';
import { HOUR, MINUTE, SECOND } from '../../../core/api/defaults.ts';

const MiB = 1024 * 1024;

const minimal = (): Record<string, unknown> => ({
  TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
  Mode: { Replicated: { Replicas: 1 } },
});

const full = (): ServiceSpec => ({
  Name: 'web',
  Labels: { tier: 'front', 'com.example.owner': 'team-a' },
  TaskTemplate: {
    ContainerSpec: {
      Image: 'registry.example.com:5000/team/web:2.1',
      Labels: { role: 'http' },
      Command: ['/bin/web'],
      Args: ['--port', '8080'],
      Hostname: 'web-{{.Task.Slot}}',
      Env: ['MODE=prod', 'EMPTY=', 'FROM_HOST', 'WITH_EQUALS=a=b'],
      Dir: '/srv',
      User: '1000:1000',
      StopGracePeriod: 10 * SECOND,
      StopSignal: 'SIGTERM',
    },
    Resources: {
      Limits: { NanoCPUs: 1e9, MemoryBytes: 256 * MiB },
      Reservations: { NanoCPUs: 5e8, MemoryBytes: 128 * MiB },
    },
    RestartPolicy: { Condition: 'on-failure', Delay: 5 * SECOND, MaxAttempts: 3, Window: MINUTE },
    Placement: {
      Constraints: ['node.role==worker', 'node.labels.zone != west'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
      MaxReplicas: 2,
      Platforms: [{ Architecture: 'amd64', OS: 'linux' }],
    },
    Networks: [{ Target: 'backend', Aliases: ['web'] }],
    ForceUpdate: 2,
    Runtime: 'container',
  },
  Mode: { Replicated: { Replicas: 3 } },
  UpdateConfig: {
    Parallelism: 2,
    Delay: 10 * SECOND,
    FailureAction: 'rollback',
    Monitor: 5 * SECOND,
    MaxFailureRatio: 0.25,
    Order: 'start-first',
  },
  RollbackConfig: { Parallelism: 0, Delay: 0, FailureAction: 'continue', Monitor: SECOND, MaxFailureRatio: 1, Order: 'stop-first' },
  EndpointSpec: {
    Mode: 'vip',
    Ports: [
      { Name: 'http', Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 8080 },
      { TargetPort: 9000, PublishedPort: 0 },
      { TargetPort: 9001 },
    ],
  },
});

/** Runs `fn`, which must throw a SpecError; returns it. */
function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error('expected a SpecError, got none');
}

function expectRefused(fn: () => unknown, message: string, field: string) {
  const err = specError(fn);
  expect({ message: err.message, field: err.field }).toEqual({ message, field });
}

/** `minimal()` with `path` set to `value` (creating objects on the way). */
function withField(path: string, value: unknown, base: Record<string, unknown> = minimal()): Record<string, unknown> {
  const keys = path.split('.');
  let at: Record<string, unknown> = base;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys[keys.length - 1]!] = value;
  return base;
}

describe('validateServiceSpec: valid specs', () => {
  it('passes a minimal spec unchanged', () => {
    expect(validateServiceSpec(minimal())).toEqual(minimal());
  });

  it('passes a full spec and keeps every value', () => {
    expect(validateServiceSpec(full())).toEqual(full());
  });

  it('passes a global service', () => {
    const spec = { ...minimal(), Mode: { Global: {} } };
    expect(validateServiceSpec(spec)).toEqual(spec);
  });

  it('allows an empty or missing name (Docker generates one) and a 63-character name', () => {
    expect(validateServiceSpec({ ...minimal(), Name: '' }).Name).toBe('');
    expect(validateServiceSpec(minimal()).Name).toBeUndefined();
    expect(validateServiceSpec({ ...minimal(), Name: 'a'.repeat(63) }).Name).toHaveLength(63);
    expect(validateServiceSpec({ ...minimal(), Name: 'A1_b.c-d' }).Name).toBe('A1_b.c-d');
  });

  it('gives a missing mode or replica count one replica, as Docker does', () => {
    expect(validateServiceSpec({ TaskTemplate: minimal().TaskTemplate }).Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(validateServiceSpec({ ...minimal(), Mode: { Replicated: {} } }).Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(validateServiceSpec({ ...minimal(), Mode: { Replicated: { Replicas: 0 } } }).Mode).toEqual({
      Replicated: { Replicas: 0 },
    });
  });

  it('treats null and empty enums as "not set", as the Engine API does', () => {
    const spec = validateServiceSpec({
      ...minimal(),
      Labels: null,
      TaskTemplate: {
        ContainerSpec: { Image: 'nginx', Command: null },
        RestartPolicy: { Condition: '', Delay: null },
        Placement: null,
      },
      UpdateConfig: { FailureAction: '', Order: '' },
      EndpointSpec: { Mode: '', Ports: [{ TargetPort: 80, Protocol: '', PublishMode: '' }] },
    });
    expect(spec).toEqual({
      TaskTemplate: { ContainerSpec: { Image: 'nginx' }, RestartPolicy: {} },
      Mode: { Replicated: { Replicas: 1 } },
      UpdateConfig: {},
      EndpointSpec: { Ports: [{ TargetPort: 80 }] },
    });
    expect('Condition' in spec.TaskTemplate.RestartPolicy!).toBe(false);
  });

  it('accepts what the docker CLI sends for `docker service create`, dropping the empty fields it does not model', () => {
    const fromCli = {
      Name: 'web',
      Labels: {},
      TaskTemplate: {
        ContainerSpec: {
          Image: 'nginx:1.27@sha256:' + 'ab'.repeat(32),
          Labels: {},
          Init: false,
          StopGracePeriod: 10 * SECOND,
          DNSConfig: {},
          Isolation: '',
          Mounts: [],
          Privileges: { CredentialSpec: null, SELinuxContext: null },
        },
        Resources: { Limits: {}, Reservations: {} },
        Placement: { Platforms: [{ Architecture: 'amd64', OS: 'linux' }] },
        ForceUpdate: 0,
        LogDriver: null,
      },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5 * SECOND, MaxFailureRatio: 0, Order: 'stop-first' },
      RollbackConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5 * SECOND, MaxFailureRatio: 0, Order: 'stop-first' },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] },
    };
    const spec = validateServiceSpec(fromCli);
    expect(spec.TaskTemplate.ContainerSpec).toEqual({
      Image: fromCli.TaskTemplate.ContainerSpec.Image,
      Labels: {},
      StopGracePeriod: 10 * SECOND,
    });
    expect(spec.TaskTemplate.Resources).toEqual({ Limits: {}, Reservations: {} });
    expect(spec.EndpointSpec).toEqual(fromCli.EndpointSpec);
  });

  it('accepts the image references Docker accepts', () => {
    for (const image of [
      'nginx',
      'nginx:latest',
      'library/nginx:1.27-alpine',
      'swarmlab/whoami:1',
      'localhost:5000/a/b/c:v1.0_rc-1',
      '[::1]:5000/app',
      'my-registry.io/team__x/app.name-2',
      `alpine@sha256:${'0'.repeat(64)}`,
    ]) {
      expect(validateServiceSpec(withField('TaskTemplate.ContainerSpec.Image', image)).TaskTemplate.ContainerSpec.Image).toBe(
        image,
      );
    }
  });

  it('allows dnsrr with host-mode ports, and the same published port on different protocols', () => {
    const spec = withField('EndpointSpec', {
      Mode: 'dnsrr',
      Ports: [
        { TargetPort: 53, PublishedPort: 53, Protocol: 'tcp', PublishMode: 'host' },
        { TargetPort: 53, PublishedPort: 53, Protocol: 'udp', PublishMode: 'host' },
      ],
    });
    expect(validateServiceSpec(spec)).toEqual(spec);
  });

  it('does not compare a reservation with a limit of 0 (no limit)', () => {
    const spec = withField('TaskTemplate.Resources', {
      Limits: { NanoCPUs: 0, MemoryBytes: 0 },
      Reservations: { NanoCPUs: 4e9, MemoryBytes: 1024 * MiB },
    });
    expect(validateServiceSpec(spec)).toEqual(spec);
  });
});

describe('validateServiceSpec: each invalid case has its message and field', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['not an object', () => 5, 'invalid service spec: expected an object, got 5', ''],
    ['null', () => null, 'invalid service spec: expected an object, got null', ''],
    ['an array', () => [1, 'a'], 'invalid service spec: expected an object, got [1,"a"]', ''],
    ['a long value, shortened', () => 'x'.repeat(100), `invalid service spec: expected an object, got "${'x'.repeat(77)}..."`, ''],
    // name
    ['a name with a space', () => ({ ...minimal(), Name: 'x y' }), 'invalid name "x y": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed', 'Name'],
    ['a name starting with -', () => ({ ...minimal(), Name: '-web' }), 'invalid name "-web": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed', 'Name'],
    ['a name too long', () => ({ ...minimal(), Name: 'a'.repeat(64) }), `invalid name "${'a'.repeat(64)}": must be at most 63 characters, got 64`, 'Name'],
    ['a name not a string', () => ({ ...minimal(), Name: 7 }), 'invalid name: expected a string, got 7', 'Name'],
    ['labels not strings', () => ({ ...minimal(), Labels: { a: 1 } }), 'invalid labels: each value must be a string, got 1', 'Labels.a'],
    ['labels a list', () => ({ ...minimal(), Labels: ['a=b'] }), 'invalid labels: expected an object of string values (e.g. {"zone": "east"}), got ["a=b"]', 'Labels'],
    // image
    ['no task template', () => ({ Mode: { Global: {} } }), 'invalid image: an image is required (e.g. swarmlab/whoami:1)', 'TaskTemplate.ContainerSpec.Image'],
    ['no container spec', () => ({ TaskTemplate: {} }), 'invalid image: an image is required (e.g. swarmlab/whoami:1)', 'TaskTemplate.ContainerSpec.Image'],
    ['an empty image', () => withField('TaskTemplate.ContainerSpec.Image', ''), 'invalid image: an image is required (e.g. swarmlab/whoami:1)', 'TaskTemplate.ContainerSpec.Image'],
    ['a blank image', () => withField('TaskTemplate.ContainerSpec.Image', '  '), 'invalid image: an image is required (e.g. swarmlab/whoami:1)', 'TaskTemplate.ContainerSpec.Image'],
    ['an image not a string', () => withField('TaskTemplate.ContainerSpec.Image', 5), 'invalid image: expected an image reference such as swarmlab/whoami:1, got 5', 'TaskTemplate.ContainerSpec.Image'],
    ['an uppercase image', () => withField('TaskTemplate.ContainerSpec.Image', 'Nginx'), 'invalid image "Nginx": repository name must be lowercase', 'TaskTemplate.ContainerSpec.Image'],
    ['a malformed image', () => withField('TaskTemplate.ContainerSpec.Image', 'nginx::1'), 'invalid image "nginx::1": expected name[:tag][@digest], e.g. swarmlab/whoami:1 or registry.example.com:5000/team/app:2.1', 'TaskTemplate.ContainerSpec.Image'],
    ['a task template not an object', () => ({ TaskTemplate: 'nginx' }), 'invalid task template: expected an object, got "nginx"', 'TaskTemplate'],
    // container spec
    ['an env entry without a key', () => withField('TaskTemplate.ContainerSpec.Env', ['A=1', '=x']), 'invalid env entry "=x": expected KEY=value or KEY', 'TaskTemplate.ContainerSpec.Env[1]'],
    ['an env key with a space', () => withField('TaskTemplate.ContainerSpec.Env', ['MY VAR=1']), 'invalid env entry "MY VAR=1": expected KEY=value or KEY', 'TaskTemplate.ContainerSpec.Env[0]'],
    ['an env entry not a string', () => withField('TaskTemplate.ContainerSpec.Env', [5]), 'invalid env entry: expected a string KEY=value or KEY, got 5', 'TaskTemplate.ContainerSpec.Env[0]'],
    ['env as an object', () => withField('TaskTemplate.ContainerSpec.Env', { A: '1' }), 'invalid env: expected a list of strings, got {"A":"1"}', 'TaskTemplate.ContainerSpec.Env'],
    ['a command as a string', () => withField('TaskTemplate.ContainerSpec.Command', 'echo hi'), 'invalid command: expected a list of strings, got "echo hi"', 'TaskTemplate.ContainerSpec.Command'],
    ['a negative stop grace period', () => withField('TaskTemplate.ContainerSpec.StopGracePeriod', -SECOND), 'invalid stop grace period: must be ≥ 0s, got -1s', 'TaskTemplate.ContainerSpec.StopGracePeriod'],
    ['a stop grace period as text', () => withField('TaskTemplate.ContainerSpec.StopGracePeriod', '10s'), 'invalid stop grace period: expected a duration in nanoseconds (e.g. 5000000000 for 5s), got "10s"', 'TaskTemplate.ContainerSpec.StopGracePeriod'],
    ['a fractional stop grace period', () => withField('TaskTemplate.ContainerSpec.StopGracePeriod', 1.5), 'invalid stop grace period: must be a whole number of nanoseconds, got 1.5', 'TaskTemplate.ContainerSpec.StopGracePeriod'],
    // mode
    ['an empty mode', () => ({ ...minimal(), Mode: {} }), 'invalid mode: choose one of Replicated or Global, got neither', 'Mode'],
    ['both modes', () => ({ ...minimal(), Mode: { Replicated: { Replicas: 1 }, Global: {} } }), 'invalid mode: choose one of Replicated or Global, got both', 'Mode'],
    ['a job', () => ({ ...minimal(), Mode: { ReplicatedJob: {} } }), 'invalid mode: swarmlab does not run jobs yet; use Replicated or Global', 'Mode.ReplicatedJob'],
    ['a mode as a string', () => ({ ...minimal(), Mode: 'replicated' }), 'invalid mode: expected an object, got "replicated"', 'Mode'],
    ['negative replicas', () => withField('Mode.Replicated.Replicas', -1), 'invalid replicas: must be ≥ 0, got -1', 'Mode.Replicated.Replicas'],
    ['fractional replicas', () => withField('Mode.Replicated.Replicas', 2.5), 'invalid replicas: must be a whole number, got 2.5', 'Mode.Replicated.Replicas'],
    ['replicas as text', () => withField('Mode.Replicated.Replicas', '3'), 'invalid replicas: expected a whole number ≥ 0, got "3"', 'Mode.Replicated.Replicas'],
    ['infinite replicas', () => withField('Mode.Replicated.Replicas', Infinity), 'invalid replicas: expected a whole number ≥ 0, got Infinity', 'Mode.Replicated.Replicas'],
    ['NaN replicas', () => withField('Mode.Replicated.Replicas', NaN), 'invalid replicas: expected a whole number ≥ 0, got NaN', 'Mode.Replicated.Replicas'],
    ['replicas beyond 64 bits', () => withField('Mode.Replicated.Replicas', 2 ** 64), 'invalid replicas: too large for a 64-bit integer, got 18446744073709552000', 'Mode.Replicated.Replicas'],
    // restart policy
    ['an unknown restart condition', () => withField('TaskTemplate.RestartPolicy.Condition', 'always'), 'invalid restart condition "always": expected none, on-failure or any', 'TaskTemplate.RestartPolicy.Condition'],
    ['a restart condition not a string', () => withField('TaskTemplate.RestartPolicy.Condition', true), 'invalid restart condition: expected none, on-failure or any, got true', 'TaskTemplate.RestartPolicy.Condition'],
    ['a negative restart delay', () => withField('TaskTemplate.RestartPolicy.Delay', -5 * SECOND), 'invalid restart delay: must be ≥ 0s, got -5s', 'TaskTemplate.RestartPolicy.Delay'],
    ['a negative restart window', () => withField('TaskTemplate.RestartPolicy.Window', -1), 'invalid restart window: must be ≥ 0s, got -1ns', 'TaskTemplate.RestartPolicy.Window'],
    ['negative max attempts', () => withField('TaskTemplate.RestartPolicy.MaxAttempts', -1), 'invalid restart max attempts: must be ≥ 0, got -1', 'TaskTemplate.RestartPolicy.MaxAttempts'],
    ['fractional max attempts', () => withField('TaskTemplate.RestartPolicy.MaxAttempts', 0.5), 'invalid restart max attempts: must be a whole number, got 0.5', 'TaskTemplate.RestartPolicy.MaxAttempts'],
    // update and rollback
    ['negative parallelism', () => withField('UpdateConfig.Parallelism', -1), 'invalid update parallelism: must be ≥ 0, got -1', 'UpdateConfig.Parallelism'],
    ['a negative update delay', () => withField('UpdateConfig.Delay', -1), 'invalid update delay: must be ≥ 0s, got -1ns', 'UpdateConfig.Delay'],
    ['a negative monitor period', () => withField('RollbackConfig.Monitor', -MINUTE), 'invalid rollback monitor period: must be ≥ 0s, got -1m0s', 'RollbackConfig.Monitor'],
    ['an unknown failure action', () => withField('UpdateConfig.FailureAction', 'stop'), 'invalid update failure action "stop": expected pause, continue or rollback', 'UpdateConfig.FailureAction'],
    ['a rollback that rolls back', () => withField('RollbackConfig.FailureAction', 'rollback'), 'invalid rollback failure action "rollback": expected pause or continue', 'RollbackConfig.FailureAction'],
    ['a failure ratio above 1', () => withField('UpdateConfig.MaxFailureRatio', 1.5), 'invalid update max failure ratio: must be between 0 and 1, got 1.5', 'UpdateConfig.MaxFailureRatio'],
    ['a negative failure ratio', () => withField('RollbackConfig.MaxFailureRatio', -0.1), 'invalid rollback max failure ratio: must be between 0 and 1, got -0.1', 'RollbackConfig.MaxFailureRatio'],
    ['an unknown order', () => withField('UpdateConfig.Order', 'first-start'), 'invalid update order "first-start": expected stop-first or start-first', 'UpdateConfig.Order'],
    // placement
    ['a constraint with =', () => withField('TaskTemplate.Placement.Constraints', ['node.labels.zone=a']), 'invalid constraint "node.labels.zone=a": expected == or !=', 'TaskTemplate.Placement.Constraints[0]'],
    ['a constraint on an unknown key', () => withField('TaskTemplate.Placement.Constraints', ['node.role==worker', 'node.zone==a']), 'invalid constraint "node.zone==a": unknown key "node.zone" (use node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>)', 'TaskTemplate.Placement.Constraints[1]'],
    ['a constraint not a string', () => withField('TaskTemplate.Placement.Constraints', [{}]), 'invalid constraint: expected a string such as node.role==worker, got {}', 'TaskTemplate.Placement.Constraints[0]'],
    ['a spread on a non-label', () => withField('TaskTemplate.Placement.Preferences', [{ Spread: { SpreadDescriptor: 'node.zone' } }]), 'invalid spread descriptor "node.zone": expected node.labels.<name> or engine.labels.<name>', 'TaskTemplate.Placement.Preferences[0].Spread.SpreadDescriptor'],
    ['a spread on an empty label', () => withField('TaskTemplate.Placement.Preferences', [{ Spread: { SpreadDescriptor: 'node.labels.' } }]), 'invalid spread descriptor "node.labels.": expected node.labels.<name> or engine.labels.<name>', 'TaskTemplate.Placement.Preferences[0].Spread.SpreadDescriptor'],
    ['a preference without Spread', () => withField('TaskTemplate.Placement.Preferences', [{}]), 'invalid placement preference: expected {"Spread": {"SpreadDescriptor": "node.labels.<name>"}}', 'TaskTemplate.Placement.Preferences[0].Spread'],
    ['a preference as a string', () => withField('TaskTemplate.Placement.Preferences', ['spread=node.labels.zone']), 'invalid placement preference: expected an object, got "spread=node.labels.zone"', 'TaskTemplate.Placement.Preferences[0]'],
    ['negative max replicas', () => withField('TaskTemplate.Placement.MaxReplicas', -2), 'invalid max replicas per node: must be ≥ 0, got -2', 'TaskTemplate.Placement.MaxReplicas'],
    ['a platform OS not a string', () => withField('TaskTemplate.Placement.Platforms', [{ OS: 1 }]), 'invalid platform OS: expected a string, got 1', 'TaskTemplate.Placement.Platforms[0].OS'],
    // resources
    ['a negative CPU limit', () => withField('TaskTemplate.Resources.Limits.NanoCPUs', -1), 'invalid CPU limit: must be ≥ 0, got -1', 'TaskTemplate.Resources.Limits.NanoCPUs'],
    ['a negative memory reservation', () => withField('TaskTemplate.Resources.Reservations.MemoryBytes', -MiB), 'invalid memory reservation: must be ≥ 0 bytes, got -1MiB', 'TaskTemplate.Resources.Reservations.MemoryBytes'],
    ['too little CPU', () => withField('TaskTemplate.Resources.Limits.NanoCPUs', 500), 'invalid CPU limit: the minimum is 0.001 CPU (NanoCPUs 1000000), got NanoCPUs 500', 'TaskTemplate.Resources.Limits.NanoCPUs'],
    ['too little memory', () => withField('TaskTemplate.Resources.Limits.MemoryBytes', 1000), 'invalid memory limit: the minimum is 4MiB (4194304 bytes), got 1000 bytes', 'TaskTemplate.Resources.Limits.MemoryBytes'],
    ['a CPU reservation above the limit', () => withField('TaskTemplate.Resources', { Limits: { NanoCPUs: 1e9 }, Reservations: { NanoCPUs: 2e9 } }), 'invalid CPU reservation: 2 CPUs is more than the CPU limit of 1 CPU', 'TaskTemplate.Resources.Reservations.NanoCPUs'],
    ['a memory reservation above the limit', () => withField('TaskTemplate.Resources', { Limits: { MemoryBytes: 256 * MiB }, Reservations: { MemoryBytes: 512 * MiB } }), 'invalid memory reservation: 512MiB is more than the memory limit of 256MiB', 'TaskTemplate.Resources.Reservations.MemoryBytes'],
    // networks
    ['a network without a target', () => withField('TaskTemplate.Networks', [{ Aliases: ['x'] }]), 'invalid network: Target is required (a network name or ID)', 'TaskTemplate.Networks[0].Target'],
    ['a network with an empty target', () => withField('TaskTemplate.Networks', [{ Target: '' }]), 'invalid network: Target is required (a network name or ID)', 'TaskTemplate.Networks[0].Target'],
    // endpoint
    ['an unknown endpoint mode', () => withField('EndpointSpec.Mode', 'rr'), 'invalid endpoint mode "rr": expected vip or dnsrr', 'EndpointSpec.Mode'],
    ['a target port of 0', () => withField('EndpointSpec.Ports', [{ TargetPort: 0 }]), 'invalid target port: must be between 1 and 65535, got 0', 'EndpointSpec.Ports[0].TargetPort'],
    ['no target port', () => withField('EndpointSpec.Ports', [{ PublishedPort: 80 }]), 'invalid target port: required, the container port from 1 to 65535', 'EndpointSpec.Ports[0].TargetPort'],
    ['a published port too high', () => withField('EndpointSpec.Ports', [{ TargetPort: 80, PublishedPort: 65536 }]), 'invalid published port: must be between 0 and 65535, got 65536', 'EndpointSpec.Ports[0].PublishedPort'],
    ['a port as text', () => withField('EndpointSpec.Ports', [{ TargetPort: '80' }]), 'invalid target port: expected a port number from 1 to 65535, got "80"', 'EndpointSpec.Ports[0].TargetPort'],
    ['an unknown protocol', () => withField('EndpointSpec.Ports', [{ TargetPort: 80, Protocol: 'http' }]), 'invalid port protocol "http": expected tcp, udp or sctp', 'EndpointSpec.Ports[0].Protocol'],
    ['an unknown publish mode', () => withField('EndpointSpec.Ports', [{ TargetPort: 80, PublishMode: 'mesh' }]), 'invalid publish mode "mesh": expected ingress or host', 'EndpointSpec.Ports[0].PublishMode'],
    ['a port published twice', () => withField('EndpointSpec.Ports', [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 81, PublishedPort: 8080, Protocol: 'tcp', PublishMode: 'host' }]), 'invalid ports: port 8080/tcp is published twice', 'EndpointSpec.Ports[1].PublishedPort'],
    ['dnsrr with an ingress port', () => withField('EndpointSpec', { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 8080 }] }), "invalid endpoint spec: port published with ingress mode can't be used with dnsrr mode (port 80/tcp: set PublishMode to host, or use Mode vip)", 'EndpointSpec.Ports[0].PublishMode'],
    ['ports not a list', () => withField('EndpointSpec.Ports', { TargetPort: 80 }), 'invalid ports: expected a list, got {"TargetPort":80}', 'EndpointSpec.Ports'],
  ];

  it.each(cases)('%s', (_name, input, message, field) => {
    expectRefused(() => validateServiceSpec(input()), message, field);
  });
});

describe('validateServiceSpec: field names', () => {
  it('refuses an unknown field and suggests the closest known one', () => {
    expectRefused(
      () => validateServiceSpec(withField('Mode.Replicated', { Replica: 3 })),
      'unknown field "Replica" in Mode.Replicated (did you mean "Replicas"?)',
      'Mode.Replicated.Replica',
    );
    expectRefused(
      () => validateServiceSpec({ ...minimal(), name: 'web' }),
      'unknown field "name" in ServiceSpec (did you mean "Name"?)',
      'name',
    );
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.ContainerSpec.Imgae', 'nginx')),
      'unknown field "Imgae" in TaskTemplate.ContainerSpec (did you mean "Image"?)',
      'TaskTemplate.ContainerSpec.Imgae',
    );
    expectRefused(
      () => validateServiceSpec(withField('UpdateConfig.FailureActon', 'pause')),
      'unknown field "FailureActon" in UpdateConfig (did you mean "FailureAction"?)',
      'UpdateConfig.FailureActon',
    );
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.RestartPolicy.MaxAttempt', 3)),
      'unknown field "MaxAttempt" in TaskTemplate.RestartPolicy (did you mean "MaxAttempts"?)',
      'TaskTemplate.RestartPolicy.MaxAttempt',
    );
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.Placement.Constraint', ['node.role==worker'])),
      'unknown field "Constraint" in TaskTemplate.Placement (did you mean "Constraints"?)',
      'TaskTemplate.Placement.Constraint',
    );
    expectRefused(
      () => validateServiceSpec(withField('EndpointSpec.Port', [])),
      'unknown field "Port" in EndpointSpec (did you mean "Ports"?)',
      'EndpointSpec.Port',
    );
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.Restart', {})),
      'unknown field "Restart" in TaskTemplate (known fields: ContainerSpec, Resources, RestartPolicy, Placement, Networks, ForceUpdate, Runtime)',
      'TaskTemplate.Restart',
    );
  });

  it('lists the known fields when nothing is close', () => {
    expectRefused(
      () => validateServiceSpec({ ...minimal(), Color: 'blue' }),
      'unknown field "Color" in ServiceSpec (known fields: Name, Labels, TaskTemplate, Mode, UpdateConfig, RollbackConfig, EndpointSpec, Networks)',
      'Color',
    );
    expectRefused(
      () => validateServiceSpec({ ...minimal(), Mode: { Global: { Replicas: 1 } } }),
      'unknown field "Replicas" in Mode.Global (it takes no fields)',
      'Mode.Global.Replicas',
    );
  });

  it('reports an unknown field before the errors it probably causes', () => {
    // The typo also leaves Image missing; the typo is what to fix.
    expectRefused(
      () => validateServiceSpec({ TaskTemplate: { ContainerSpec: { image: 'nginx' } } }),
      'unknown field "image" in TaskTemplate.ContainerSpec (did you mean "Image"?)',
      'TaskTemplate.ContainerSpec.image',
    );
  });

  it('refuses a Docker field swarmlab does not model when it is set', () => {
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.ContainerSpec.Mounts', [{ Type: 'bind', Source: '/', Target: '/host' }])),
      'unsupported field "Mounts" in TaskTemplate.ContainerSpec: swarmlab does not model it yet; remove it',
      'TaskTemplate.ContainerSpec.Mounts',
    );
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.Resources.Limits.Pids', 100)),
      'unsupported field "Pids" in TaskTemplate.Resources.Limits: swarmlab does not model it yet; remove it',
      'TaskTemplate.Resources.Limits.Pids',
    );
    expectRefused(
      () => validateServiceSpec(withField('TaskTemplate.LogDriver', { Name: 'json-file' })),
      'unsupported field "LogDriver" in TaskTemplate: swarmlab does not model it yet; remove it',
      'TaskTemplate.LogDriver',
    );
  });

  it('refuses "__proto__" as a field or a label name instead of dropping it', () => {
    expectRefused(
      () => validateServiceSpec(JSON.parse('{"__proto__": {"Name": "x"}, "TaskTemplate": {"ContainerSpec": {"Image": "nginx"}}}')),
      'unknown field "__proto__" in ServiceSpec (known fields: Name, Labels, TaskTemplate, Mode, UpdateConfig, RollbackConfig, EndpointSpec, Networks)',
      '__proto__',
    );
    expectRefused(
      () => validateServiceSpec(JSON.parse('{"Labels": {"__proto__": "x"}, "TaskTemplate": {"ContainerSpec": {"Image": "nginx"}}}')),
      'invalid labels: "__proto__" cannot be a label name',
      'Labels.__proto__',
    );
  });
});

describe('validateNodeSpec', () => {
  it('passes a valid spec', () => {
    const spec: NodeSpec = { Name: 'w1', Labels: { zone: 'east' }, Role: 'worker', Availability: 'drain' };
    expect(validateNodeSpec(spec)).toEqual(spec);
    expect(validateNodeSpec({ Role: 'manager', Availability: 'pause' })).toEqual({ Role: 'manager', Availability: 'pause' });
  });

  it.each<[string, unknown, string, string]>([
    ['a bad availability', { Role: 'worker', Availability: 'drained' }, 'invalid availability "drained": expected active, pause or drain', 'Availability'],
    ['an empty availability', { Role: 'worker', Availability: '' }, 'invalid availability "": expected active, pause or drain', 'Availability'],
    ['no availability', { Role: 'worker' }, 'invalid availability: an availability is required (active, pause or drain)', 'Availability'],
    ['a bad role', { Role: 'leader', Availability: 'active' }, 'invalid role "leader": expected manager or worker', 'Role'],
    ['no role', { Availability: 'active' }, 'invalid role: a role is required (manager or worker)', 'Role'],
    ['a role not a string', { Role: 1, Availability: 'active' }, 'invalid role: expected manager or worker, got 1', 'Role'],
    ['labels not strings', { Role: 'worker', Availability: 'active', Labels: { zone: true } }, 'invalid node labels: each value must be a string, got true', 'Labels.zone'],
    ['a typo', { Role: 'worker', Availibility: 'active' }, 'unknown field "Availibility" in NodeSpec (did you mean "Availability"?)', 'Availibility'],
    ['not an object', 'drain', 'invalid node spec: expected an object, got "drain"', ''],
  ])('%s', (_name, input, message, field) => {
    expectRefused(() => validateNodeSpec(input), message, field);
  });
});

describe('validateClusterSpec', () => {
  it('passes a valid spec and keeps its values', () => {
    const spec: ClusterSpec = {
      Name: 'default',
      Labels: {},
      Orchestration: { TaskHistoryRetentionLimit: 5 },
      Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 },
      Dispatcher: { HeartbeatPeriod: 5 * SECOND },
      CAConfig: { NodeCertExpiry: 90 * 24 * HOUR },
      TaskDefaults: {},
      EncryptionConfig: { AutoLockManagers: false },
    };
    expect(validateClusterSpec(spec)).toEqual(spec);
    expect(validateClusterSpec({})).toEqual({});
    expect(validateClusterSpec({ CAConfig: { NodeCertExpiry: HOUR } })).toEqual({ CAConfig: { NodeCertExpiry: HOUR } });
    // A year: more nanoseconds than 2^53, still an int64.
    expect(validateClusterSpec({ CAConfig: { NodeCertExpiry: 365 * 24 * HOUR } }).CAConfig?.NodeCertExpiry).toBe(365 * 24 * HOUR);
  });

  it('accepts the empty CA and task-default fields a client sends back', () => {
    expect(validateClusterSpec({ CAConfig: { NodeCertExpiry: HOUR, ExternalCAs: [], ForceRotate: 0 }, TaskDefaults: { LogDriver: null } })).toEqual(
      { CAConfig: { NodeCertExpiry: HOUR }, TaskDefaults: {} },
    );
  });

  it.each<[string, unknown, string, string]>([
    ['a short certificate expiry', { CAConfig: { NodeCertExpiry: 30 * MINUTE } }, 'invalid CAConfig.NodeCertExpiry: minimum certificate expiry time is: 1h0m0s (got 30m0s)', 'CAConfig.NodeCertExpiry'],
    ['a zero certificate expiry', { CAConfig: { NodeCertExpiry: 0 } }, 'invalid CAConfig.NodeCertExpiry: minimum certificate expiry time is: 1h0m0s (got 0s)', 'CAConfig.NodeCertExpiry'],
    ['a certificate expiry as text', { CAConfig: { NodeCertExpiry: '90d' } }, 'invalid certificate expiry: expected a duration in nanoseconds (e.g. 5000000000 for 5s), got "90d"', 'CAConfig.NodeCertExpiry'],
    ['external CAs', { CAConfig: { ExternalCAs: [{ Protocol: 'cfssl', URL: 'https://ca' }] } }, 'unsupported field "ExternalCAs" in CAConfig: swarmlab does not model it yet; remove it', 'CAConfig.ExternalCAs'],
    ['a negative task history', { Orchestration: { TaskHistoryRetentionLimit: -1 } }, 'invalid task history retention limit: must be ≥ 0, got -1', 'Orchestration.TaskHistoryRetentionLimit'],
    ['an election tick not above the heartbeat', { Raft: { ElectionTick: 2, HeartbeatTick: 3 } }, 'invalid election tick: must be greater than the heartbeat tick (3), got 2', 'Raft.ElectionTick'],
    ['an election tick equal to the default heartbeat', { Raft: { ElectionTick: 1 } }, 'invalid election tick: must be greater than the heartbeat tick (1, the default), got 1', 'Raft.ElectionTick'],
    ['a heartbeat tick above the default election tick', { Raft: { HeartbeatTick: 10 } }, 'invalid heartbeat tick: must be less than the election tick (10, the default), got 10', 'Raft.HeartbeatTick'],
    ['a zero heartbeat tick', { Raft: { HeartbeatTick: 0 } }, 'invalid heartbeat tick: must be ≥ 1, got 0', 'Raft.HeartbeatTick'],
    ['a zero snapshot interval', { Raft: { SnapshotInterval: 0 } }, 'invalid snapshot interval: must be ≥ 1, got 0', 'Raft.SnapshotInterval'],
    ['a zero dispatcher heartbeat', { Dispatcher: { HeartbeatPeriod: 0 } }, 'invalid dispatcher heartbeat period: must be more than 0s, got 0s', 'Dispatcher.HeartbeatPeriod'],
    ['a negative dispatcher heartbeat', { Dispatcher: { HeartbeatPeriod: -500_000_000 } }, 'invalid dispatcher heartbeat period: must be more than 0s, got -500ms', 'Dispatcher.HeartbeatPeriod'],
    ['autolock as text', { EncryptionConfig: { AutoLockManagers: 'yes' } }, 'invalid autolock setting: expected true or false, got "yes"', 'EncryptionConfig.AutoLockManagers'],
    ['a typo', { Raft: { ElectionTicks: 10 } }, 'unknown field "ElectionTicks" in Raft (did you mean "ElectionTick"?)', 'Raft.ElectionTicks'],
    ['not an object', [], 'invalid cluster spec: expected an object, got []', ''],
  ])('%s', (_name, input, message, field) => {
    expectRefused(() => validateClusterSpec(input), message, field);
  });
});

describe('formatDuration', () => {
  it("prints durations as Go's time.Duration does", () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(1)).toBe('1ns');
    expect(formatDuration(1500)).toBe('1.5µs');
    expect(formatDuration(1_500_000)).toBe('1.5ms');
    expect(formatDuration(500_000_000)).toBe('500ms');
    expect(formatDuration(SECOND)).toBe('1s');
    expect(formatDuration(1.5 * SECOND)).toBe('1.5s');
    expect(formatDuration(30 * MINUTE)).toBe('30m0s');
    expect(formatDuration(HOUR)).toBe('1h0m0s');
    expect(formatDuration(HOUR + 30 * MINUTE)).toBe('1h30m0s');
    expect(formatDuration(90 * 24 * HOUR)).toBe('2160h0m0s');
    expect(formatDuration(HOUR + 1)).toBe('1h0m0.000000001s');
    expect(formatDuration(-5 * SECOND)).toBe('-5s');
  });
});

// ---- properties ------------------------------------------------------------------------------------------

const labelKey = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);
const labelsArb = fc.dictionary(labelKey, fc.string({ maxLength: 12 }), { maxKeys: 3 });
const duration = fc.oneof(fc.integer({ min: 0, max: 10 * 60 * SECOND }), fc.maxSafeNat());
const image = fc.constantFrom(
  'swarmlab/whoami:1',
  'nginx',
  'nginx:1.27-alpine',
  'registry.example.com:5000/team/app:2.1',
  `alpine@sha256:${'a'.repeat(64)}`,
);
const constraint = fc
  .tuple(
    fc.constantFrom('node.role', 'node.hostname', 'node.id', 'node.labels.zone', 'engine.labels.disk', 'node.platform.os'),
    fc.constantFrom('==', '!=', ' == ', ' != '),
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/),
  )
  .map(([k, op, v]) => k + op + v);
const cpus = fc.oneof(fc.constant(0), fc.integer({ min: 1e6, max: 64e9 }));
const memory = fc.oneof(fc.constant(0), fc.integer({ min: 4 * MiB, max: 2 ** 40 }));
const resources = fc
  .record({ cpu: cpus, mem: memory, cpuShare: fc.double({ min: 0, max: 1, noNaN: true }), memShare: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ cpu, mem, cpuShare, memShare }) => {
    const reserve = (limit: number, share: number, min: number, max: number) => {
      const top = limit > 0 ? limit : max;
      return top < min ? 0 : Math.max(min, Math.floor(top * share));
    };
    return {
      Limits: { NanoCPUs: cpu, MemoryBytes: mem },
      Reservations: { NanoCPUs: reserve(cpu, cpuShare, 1e6, 64e9), MemoryBytes: reserve(mem, memShare, 4 * MiB, 2 ** 40) },
    };
  });
const updateConfig = (actions: readonly ('pause' | 'continue' | 'rollback')[]) =>
  fc.record(
    {
      Parallelism: fc.nat(),
      Delay: duration,
      FailureAction: fc.constantFrom(...actions),
      Monitor: duration,
      MaxFailureRatio: fc.double({ min: 0, max: 1, noNaN: true }),
      Order: fc.constantFrom('stop-first' as const, 'start-first' as const),
    },
    { requiredKeys: [] },
  );
const port = (publishMode: fc.Arbitrary<'ingress' | 'host' | undefined>) =>
  fc
    .record({
      TargetPort: fc.integer({ min: 1, max: 65535 }),
      PublishedPort: fc.integer({ min: 0, max: 65535 }),
      Protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
      PublishMode: publishMode,
    })
    .map((p) => {
      const out: PortConfig = { TargetPort: p.TargetPort, PublishedPort: p.PublishedPort, Protocol: p.Protocol };
      if (p.PublishMode !== undefined) out.PublishMode = p.PublishMode;
      return out;
    });
const uniquePorts = (p: fc.Arbitrary<PortConfig>) =>
  fc.uniqueArray(p, {
    maxLength: 4,
    selector: (x) => (x.PublishedPort ? `${x.PublishedPort}/${x.Protocol}` : `unpublished ${x.TargetPort}`),
  });
const endpoint = fc.oneof(
  uniquePorts(port(fc.constantFrom('ingress' as const, 'host' as const, undefined))).map((Ports) => ({ Mode: 'vip' as const, Ports })),
  uniquePorts(port(fc.constant('host' as const))).map((Ports) => ({ Mode: 'dnsrr' as const, Ports })),
);

const validSpec: fc.Arbitrary<ServiceSpec> = fc.record(
  {
    Name: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/),
    Labels: labelsArb,
    TaskTemplate: fc.record(
      {
        ContainerSpec: fc.record(
          {
            Image: image,
            Labels: labelsArb,
            Command: fc.array(fc.string(), { maxLength: 3 }),
            Args: fc.array(fc.string(), { maxLength: 3 }),
            Env: fc.array(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}(=.{0,10})?$/), { maxLength: 3 }),
            StopGracePeriod: duration,
          },
          { requiredKeys: ['Image'] },
        ),
        Resources: resources,
        RestartPolicy: fc.record(
          { Condition: fc.constantFrom('none' as const, 'on-failure' as const, 'any' as const), Delay: duration, MaxAttempts: fc.nat(), Window: duration },
          { requiredKeys: [] },
        ),
        Placement: fc.record(
          {
            Constraints: fc.array(constraint, { maxLength: 3 }),
            Preferences: fc.array(
              fc.constantFrom('node.labels.zone', 'engine.labels.rack').map((d) => ({ Spread: { SpreadDescriptor: d } })),
              { maxLength: 2 },
            ),
            MaxReplicas: fc.nat(),
          },
          { requiredKeys: [] },
        ),
        ForceUpdate: fc.nat(),
      },
      { requiredKeys: ['ContainerSpec'] },
    ),
    Mode: fc.oneof(fc.nat().map((n) => ({ Replicated: { Replicas: n } })), fc.constant({ Global: {} })),
    UpdateConfig: updateConfig(['pause', 'continue', 'rollback']),
    RollbackConfig: updateConfig(['pause', 'continue']),
    EndpointSpec: endpoint,
  },
  { requiredKeys: ['TaskTemplate', 'Mode'] },
);

function isSpecErrorMessage(err: unknown): boolean {
  return err instanceof SpecError && /^(invalid|unknown field|unsupported field) /.test(err.message);
}

/** Replaces the value at a random path of a JSON-like value. */
function mutate(value: unknown, choices: number[], replacement: unknown): unknown {
  if (choices.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const [choice, ...rest] = choices as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const i = choice % value.length;
    return value.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[choice % keys.length]!;
  return { ...value, [key]: mutate((value as Record<string, unknown>)[key], rest, replacement) };
}

describe('properties', () => {
  it('random valid service specs pass, unchanged', () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        expect(validateServiceSpec(spec)).toEqual(spec);
      }),
      { numRuns: 500 },
    );
  });

  it('random inputs never crash: they pass or give a SpecError', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withDate: true }), (input) => {
        for (const validate of [validateServiceSpec, validateNodeSpec, validateClusterSpec]) {
          try {
            validate(input);
          } catch (err) {
            expect(isSpecErrorMessage(err), String(err)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a valid spec with one value replaced by anything passes or gives a SpecError naming a field', () => {
    fc.assert(
      fc.property(
        validSpec,
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.oneof(fc.anything({ withBigInt: true }), fc.constantFrom(-1, 1.5, NaN, Infinity, '', 'x', null, 2 ** 64)),
        (spec, choices, replacement) => {
          const input = mutate(spec, choices, replacement);
          try {
            validateServiceSpec(input);
          } catch (err) {
            expect(isSpecErrorMessage(err), String(err)).toBe(true);
            expect((err as SpecError).field).not.toBe('');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random node and cluster specs built from valid parts pass', () => {
    const node = fc.record({
      Name: fc.string(),
      Labels: labelsArb,
      Role: fc.constantFrom('manager' as const, 'worker' as const),
      Availability: fc.constantFrom('active' as const, 'pause' as const, 'drain' as const),
    });
    fc.assert(fc.property(node, (spec) => void expect(validateNodeSpec(spec)).toEqual(spec)));
    const cluster = fc.record(
      {
        Orchestration: fc.record({ TaskHistoryRetentionLimit: fc.nat() }),
        Raft: fc
          .record({ SnapshotInterval: fc.integer({ min: 1 }), heartbeat: fc.integer({ min: 1, max: 100 }), extra: fc.integer({ min: 1, max: 100 }) })
          .map(({ SnapshotInterval, heartbeat, extra }) => ({ SnapshotInterval, HeartbeatTick: heartbeat, ElectionTick: heartbeat + extra })),
        Dispatcher: fc.record({ HeartbeatPeriod: fc.integer({ min: 1, max: 60 * SECOND }) }),
        CAConfig: fc.record({ NodeCertExpiry: fc.integer({ min: HOUR, max: Number.MAX_SAFE_INTEGER }) }),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(cluster, (spec) => void expect(validateClusterSpec(spec)).toEqual(spec)));
  });
});
