import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../core/api/objects.ts';
import { parseArgs, UsageError } from '../../../core/swarmctl/args.ts';
import { cpusToNano, CREATE_FLAGS, mergeServiceFlags, newServiceSpec, parsePort, ramInBytes, UPDATE_FLAGS } from '../../../core/swarmctl/service-flags.ts';

const create = (...argv: string[]) => mergeServiceFlags(newServiceSpec(), parseArgs(argv, CREATE_FLAGS).flags);
const update = (spec: ServiceSpec, ...argv: string[]) => mergeServiceFlags(spec, parseArgs(argv, UPDATE_FLAGS).flags);

describe('service flags into a ServiceSpec', () => {
  it('builds the spec `service create` sends', () => {
    expect(
      create(
        '--name', 'web', '--image', 'swarmlab/whoami:1', '--replicas', '3',
        '--env', 'A=1,B=2', '--args', '--port,8080', '--constraint', 'node.role==worker', '--constraint', 'node.labels.zone==a',
        '--update-parallelism', '2', '--update-delay', '1s', '--label', 'tier=front',
      ),
    ).toEqual({
      Name: 'web',
      Labels: { tier: 'front' },
      TaskTemplate: {
        ContainerSpec: { Image: 'swarmlab/whoami:1', Env: ['A=1', 'B=2'], Args: ['--port', '8080'] },
        Placement: { Constraints: ['node.role==worker', 'node.labels.zone==a'] },
      },
      Mode: { Replicated: { Replicas: 3 } },
      UpdateConfig: { Parallelism: 2, Delay: 1e9 },
    });
  });

  it('defaults to one replica, and --mode global drops the replica count', () => {
    expect(create('--name', 'a', '--image', 'x').Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(create('--name', 'a', '--image', 'x', '--mode', 'global').Mode).toEqual({ Global: {} });
    expect(() => create('--mode', 'global', '--replicas', '2')).toThrow(new UsageError('--replicas can only be specified in --mode replicated'));
    expect(() => create('--mode', 'daemon')).toThrow('invalid mode daemon: expected replicated or global');
  });

  it('changes only what an update names, leaving the service spec it started from untouched', () => {
    const current = create('--name', 'web', '--image', 'swarmlab/whoami:1', '--replicas', '3', '--env', 'A=1', '--restart-condition', 'none');
    const before = structuredClone(current);
    const next = update(current, '--image', 'swarmlab/whoami:2', '--update-parallelism', '2');
    expect(current).toEqual(before);
    expect(next).toEqual({ ...before, TaskTemplate: { ...before.TaskTemplate, ContainerSpec: { ...before.TaskTemplate.ContainerSpec, Image: 'swarmlab/whoami:2' } }, UpdateConfig: { Parallelism: 2 } });
    expect(update(current)).toEqual(current);
  });

  it('--force bumps ForceUpdate so that tasks are replaced', () => {
    expect(update(update(newServiceSpec(), '--force'), '--force').TaskTemplate.ForceUpdate).toBe(2);
  });

  it('reads restart, rollback and update settings in the Engine API\'s terms', () => {
    const spec = create(
      '--restart-condition', 'failure', '--restart-delay', '500ms', '--restart-max-attempts', '3', '--restart-window', '1m',
      '--update-on-failure', 'rollback', '--update-order', 'start-first',
      '--rollback-parallelism', '0', '--rollback-delay', '2s', '--rollback-on-failure', 'continue',
    );
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure', Delay: 5e8, MaxAttempts: 3, Window: 60e9 });
    expect(spec.UpdateConfig).toEqual({ FailureAction: 'rollback', Order: 'start-first' });
    expect(spec.RollbackConfig).toEqual({ Parallelism: 0, Delay: 2e9, FailureAction: 'continue' });
  });

  it.each([
    [['--restart-condition', 'always'], 'invalid restart condition: always'],
    [['--update-delay', '5'], 'invalid argument "5" for "--update-delay" flag: time: missing unit in duration "5"'],
    [['--update-on-failure', 'retry'], '--update-on-failure value must be pause, continue or rollback'],
    [['--rollback-on-failure', 'rollback'], '--rollback-on-failure value must be pause or continue'],
    [['--update-order', 'whatever'], '--update-order value must be stop-first or start-first'],
    [['--label', 'novalue'], 'malformed label: novalue'],
    [['--replicas', 'x'], 'invalid argument "x" for "--replicas" flag: expected a whole number such as 3'],
  ])('refuses %j', (argv, message) => {
    expect(() => create(...argv)).toThrow(new UsageError(message));
  });

  it('reads resources (go-units sizes, CPUs to the nanocpu) and SwarmKit\'s --ports', () => {
    const spec = create('--memory-limit', '512m', '--cpu-limit', '0.5', '--memory-reservation', '1g', '--cpu-reservation', '2', '--ports', 'http:80:8080,dns:53/udp');
    expect(spec.TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 512 * 1024 ** 2, NanoCPUs: 5e8 }, Reservations: { MemoryBytes: 1024 ** 3, NanoCPUs: 2e9 } });
    expect(spec.EndpointSpec).toEqual({
      Ports: [
        { Name: 'http', Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
        { Name: 'dns', Protocol: 'udp', TargetPort: 53, PublishMode: 'host' },
      ],
    });
    expect(ramInBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(ramInBytes('100')).toBe(100);
    expect(() => ramInBytes('lots')).toThrow("invalid size: 'lots'");
    expect(cpusToNano('0.000000001')).toBe(1);
    expect(() => cpusToNano('0.0000000001')).toThrow('CPU value cannot have more than 9 decimal places');
    expect(() => parsePort('80')).toThrow(/insufficient parameters/);
    expect(() => parsePort('x:80/tcp:81/udp')).toThrow(/protocol mismatch/);
    expect(() => parsePort('x:80/icmp')).toThrow(/invalid protocol string: icmp/);
  });

  it('sets the per-node replica limit only for a replicated service', () => {
    expect(create('--replicas-max-per-node', '2').TaskTemplate.Placement).toEqual({ MaxReplicas: 2 });
    expect(() => create('--mode', 'global', '--replicas-max-per-node', '2')).toThrow(/can only be specified in --mode replicated/);
  });
});
