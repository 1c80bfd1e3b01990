// The converter against docker/cli's own expectations (cli/compose/convert/*_test.go): the same
// inputs, as compose files, give the same Engine API objects, field by field.

import { describe, expect, it } from 'vitest';
import { convertStack, LABEL_IMAGE, LABEL_NAMESPACE, type StackObjects } from '../../../core/stack/convert.ts';
import { sameSpec } from '../../../core/stack/deploy.ts';
import { loadCompose } from '../../../main/stack/load.ts';

const files: Record<string, string> = { '/s/one.txt': 'this is the first secret', '/s/conf.txt': 'this is the first config' };
async function convert(namespace: string, text: string): Promise<StackObjects> {
  const r = await loadCompose(text, { source: 'stack.yml', env: {}, dir: '/s', read: async (f) => Buffer.from(files[f] ?? '') });
  return convertStack(namespace, r.stack);
}
const service = (o: StackObjects, name: string) => o.services.find((s) => s.Name === name)!;

describe('convertStack, as docker/cli converts', () => {
  it('TestConvertEndpointSpec: ports sorted by published port, fields as given', async () => {
    const o = await convert('foo', 'services:\n  web:\n    image: nginx\n    deploy: {endpoint_mode: VIP}\n    ports:\n      - {protocol: udp, target: 53, published: 1053, mode: host}\n      - {target: 8080, published: 80}\n');
    expect(service(o, 'foo_web').EndpointSpec).toEqual({ Mode: 'vip', Ports: [{ TargetPort: 8080, PublishedPort: 80 }, { Protocol: 'udp', TargetPort: 53, PublishedPort: 1053, PublishMode: 'host' }] });
  });

  it('short port syntax: tcp and ingress, unpublished as 0, ranges one port each (nat.ParsePortSpecs)', async () => {
    const o = await convert('foo', 'services:\n  web:\n    image: nginx\n    ports: ["8080:80", "53:53/udp", "9000", "7000-7001:70-71"]\n');
    expect(service(o, 'foo_web').EndpointSpec!.Ports).toEqual([
      { Protocol: 'tcp', TargetPort: 9000, PublishedPort: 0, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 70, PublishedPort: 7000, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 71, PublishedPort: 7001, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
    ]);
  });

  it('TestConvertServiceNetworksOnlyDefault: STACK_default with the service name as alias', async () => {
    const o = await convert('foo', 'services:\n  service:\n    image: nginx\n');
    expect(service(o, 'foo_service').TaskTemplate.Networks).toEqual([{ Target: 'foo_default', Aliases: ['service'] }]);
    expect(o.networks).toEqual([{ Name: 'foo_default', Driver: 'overlay', Labels: { [LABEL_NAMESPACE]: 'foo' } }]);
  });

  it('TestConvertServiceNetworks: targets by name (external ones by theirs), aliases then the service, sorted', async () => {
    const o = await convert(
      'foo',
      'services:\n  service:\n    image: nginx\n    networks:\n      front: {aliases: [something]}\n      back: {aliases: [other]}\nnetworks:\n  front: {external: true, name: fronttier}\n  back: {}\n',
    );
    expect(service(o, 'foo_service').TaskTemplate.Networks).toEqual([
      { Target: 'foo_back', Aliases: ['other', 'service'] },
      { Target: 'fronttier', Aliases: ['something', 'service'] },
    ]);
    expect(o.externalNetworks).toEqual(['fronttier']);
    expect(o.networks.map((n) => n.Name)).toEqual(['foo_back']);
  });

  it('TestConvertServiceNetworksCustomDefault: an external default network', async () => {
    const o = await convert('foo', 'services:\n  service:\n    image: nginx\nnetworks:\n  default: {external: {name: custom}}\n');
    expect(service(o, 'foo_service').TaskTemplate.Networks).toEqual([{ Target: 'custom', Aliases: ['service'] }]);
    expect(o.networks).toEqual([]);
    expect(o.externalNetworks).toEqual(['custom']);
  });

  it('TestNetworks: labels, driver, options, IPAM (an address is a /32), attachable, named; unused networks are not created', async () => {
    const o = await convert(
      'foo',
      [
        'services:',
        '  a: {image: nginx, networks: [normal, outside, default, attachablenet, named]}',
        'networks:',
        '  normal:',
        '    driver: overlay',
        '    driver_opts: {opt: value}',
        '    ipam: {driver: driver, config: [{subnet: 10.0.0.0}]}',
        '    labels: {something: labeled}',
        '  outside: {external: true, name: special}',
        '  attachablenet: {driver: overlay, attachable: true}',
        '  named: {name: othername}',
        '  unused: {}',
        '',
      ].join('\n'),
    );
    expect(o.networks).toEqual([
      { Name: 'foo_attachablenet', Driver: 'overlay', Attachable: true, Labels: { [LABEL_NAMESPACE]: 'foo' } },
      { Name: 'foo_default', Driver: 'overlay', Labels: { [LABEL_NAMESPACE]: 'foo' } },
      { Name: 'foo_normal', Driver: 'overlay', IPAM: { Driver: 'driver', Config: [{ Subnet: '10.0.0.0/32' }] }, Options: { opt: 'value' }, Labels: { [LABEL_NAMESPACE]: 'foo', something: 'labeled' } },
      { Name: 'othername', Driver: 'overlay', Labels: { [LABEL_NAMESPACE]: 'foo' } },
    ]);
    expect(o.externalNetworks).toEqual(['special']);
  });

  it('TestSecrets / TestConfigs: scoped names, labels with the namespace, the file as data; external ones are not created', async () => {
    const o = await convert(
      'foo',
      'services:\n  a: {image: nginx}\nsecrets:\n  one: {file: one.txt, labels: {monster: mash}}\n  ext: {external: true}\nconfigs:\n  one: {file: conf.txt, labels: {monster: mash}}\n  ext: {external: true}\n',
    );
    expect(o.secrets).toEqual([{ Name: 'foo_one', Labels: { monster: 'mash', [LABEL_NAMESPACE]: 'foo' }, Data: Buffer.from('this is the first secret').toString('base64') }]);
    expect(o.configs).toEqual([{ Name: 'foo_one', Labels: { monster: 'mash', [LABEL_NAMESPACE]: 'foo' }, Data: Buffer.from('this is the first config').toString('base64') }]);
  });

  it('TestConvertServiceSecrets / TestConvertFileObject: references sorted by name, uid/gid 0 and mode 0444 by default', async () => {
    const o = await convert(
      'foo',
      [
        'services:',
        '  web:',
        '    image: nginx',
        '    secrets: [foo_secret, bar_secret, {source: source, target: target, uid: user, gid: group, mode: 0644}]',
        '    configs: [{source: source}]',
        'secrets:',
        '  foo_secret: {external: true, name: foo_secret}',
        '  bar_secret: {external: true, name: bar_secret}',
        '  source: {file: one.txt}',
        'configs:',
        '  source: {file: conf.txt}',
        '',
      ].join('\n'),
    );
    const c = service(o, 'foo_web').TaskTemplate.ContainerSpec;
    expect(c.Secrets).toEqual([
      { SecretName: 'bar_secret', SecretID: '', File: { Name: 'bar_secret', UID: '0', GID: '0', Mode: 0o444 } },
      { SecretName: 'foo_secret', SecretID: '', File: { Name: 'foo_secret', UID: '0', GID: '0', Mode: 0o444 } },
      { SecretName: 'foo_source', SecretID: '', File: { Name: 'target', UID: 'user', GID: 'group', Mode: 0o644 } },
    ]);
    expect(c.Configs).toEqual([{ ConfigName: 'foo_source', ConfigID: '', File: { Name: 'source', UID: '0', GID: '0', Mode: 0o444 } }]);
  });

  it('TestConvertResourcesFull / OnlyMemory: cpus to NanoCPUs, memory to bytes', async () => {
    const o = await convert(
      'foo',
      'services:\n  a:\n    image: nginx\n    deploy:\n      resources:\n        limits: {cpus: "0.003", memory: 300000000}\n        reservations: {cpus: "0.002", memory: 200000000}\n  b:\n    image: nginx\n    deploy:\n      resources:\n        limits: {memory: 50M}\n        reservations: {memory: 1.5G}\n',
    );
    expect(service(o, 'foo_a').TaskTemplate.Resources).toEqual({ Limits: { NanoCPUs: 3000000, MemoryBytes: 300000000 }, Reservations: { NanoCPUs: 2000000, MemoryBytes: 200000000 } });
    expect(service(o, 'foo_b').TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 50 * 1024 * 1024 }, Reservations: { MemoryBytes: 1.5 * 1024 ** 3 } });
  });

  it('TestConvertEnvironment: KEY=value sorted, a variable without a value alone', async () => {
    const o = await convert('foo', 'services:\n  a:\n    image: nginx\n    environment: {key: value, foo: bar, keyWithNoValue: null}\n');
    expect(service(o, 'foo_a').TaskTemplate.ContainerSpec.Env).toEqual(['foo=bar', 'key=value', 'keyWithNoValue']);
  });

  it('TestConvertRestartPolicy*: deploy.restart_policy, else the legacy restart', async () => {
    const o = await convert(
      'foo',
      'services:\n  a: {image: nginx, restart: "on-failure:4"}\n  b: {image: nginx, restart: always}\n  c: {image: nginx, restart: "no"}\n  d:\n    image: nginx\n    restart: always\n    deploy:\n      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}\n',
    );
    expect(service(o, 'foo_a').TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure', MaxAttempts: 4 });
    expect(service(o, 'foo_b').TaskTemplate.RestartPolicy).toEqual({ Condition: 'any' });
    expect(service(o, 'foo_c').TaskTemplate.RestartPolicy).toBeUndefined();
    expect(service(o, 'foo_d').TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure', Delay: 5e9, MaxAttempts: 3, Window: 120e9 });
  });

  it('convertUpdateConfig: parallelism 1 unless said, durations in ns; order as given', async () => {
    const o = await convert(
      'foo',
      'services:\n  a:\n    image: nginx\n    deploy:\n      update_config: {order: start-first}\n      rollback_config: {parallelism: 0, delay: 1s, monitor: 500ms, failure_action: pause, max_failure_ratio: 0.25}\n',
    );
    expect(service(o, 'foo_a').UpdateConfig).toEqual({ Parallelism: 1, MaxFailureRatio: 0, Order: 'start-first' });
    expect(service(o, 'foo_a').RollbackConfig).toEqual({ Parallelism: 0, Delay: 1e9, Monitor: 5e8, FailureAction: 'pause', MaxFailureRatio: 0.25 });
  });

  it('the whole service spec: names, labels, command and entrypoint, mode, placement', async () => {
    const o = await convert(
      'app',
      [
        'version: "3.8"',
        'services:',
        '  web:',
        '    image: swarmlab/whoami:1',
        '    entrypoint: /bin/sh -c',
        '    command: ["echo", "hi"]',
        '    hostname: web-host',
        '    user: "1000"',
        '    working_dir: /srv',
        '    labels: [tier=front]',
        '    stop_grace_period: 1m30s',
        '    stop_signal: SIGINT',
        '    deploy:',
        '      mode: replicated',
        '      replicas: 3',
        '      labels: {owner: me}',
        '      placement:',
        '        constraints: [node.role == worker]',
        '        preferences: [{spread: node.labels.zone}]',
        '        max_replicas_per_node: 2',
        '  agent:',
        '    image: alpine',
        '    deploy: {mode: global}',
        '',
      ].join('\n'),
    );
    expect(service(o, 'app_web')).toEqual({
      Name: 'app_web',
      Labels: { owner: 'me', [LABEL_NAMESPACE]: 'app', [LABEL_IMAGE]: 'swarmlab/whoami:1' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'swarmlab/whoami:1',
          Command: ['/bin/sh', '-c'],
          Args: ['echo', 'hi'],
          Hostname: 'web-host',
          Labels: { tier: 'front', [LABEL_NAMESPACE]: 'app' },
          Dir: '/srv',
          User: '1000',
          StopGracePeriod: 90e9,
          StopSignal: 'SIGINT',
        },
        Resources: {},
        Placement: { Constraints: ['node.role == worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 2 },
        Networks: [{ Target: 'app_default', Aliases: ['web'] }],
      },
      EndpointSpec: { Ports: [] },
      Mode: { Replicated: { Replicas: 3 } },
    });
    expect(service(o, 'app_agent').Mode).toEqual({ Global: {} });
    expect(service(o, 'app_agent').TaskTemplate.ContainerSpec).toEqual({ Image: 'alpine', Labels: { [LABEL_NAMESPACE]: 'app' } });
  });
});

describe('sameSpec', () => {
  it('reads a spec as the swarm stores it: default replicas, port defaults, zero values', async () => {
    const o = await convert('app', 'services:\n  web:\n    image: nginx\n    ports: [{target: 80, published: 8080}]\n');
    const desired = service(o, 'app_web');
    const stored = JSON.parse(JSON.stringify(desired)) as typeof desired;
    stored.Mode = { Replicated: { Replicas: 1 } };
    stored.EndpointSpec = { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] };
    stored.TaskTemplate.ForceUpdate = 0;
    expect(sameSpec(desired, stored)).toBe(true);
    expect(sameSpec({ ...desired, Mode: { Replicated: { Replicas: 2 } } }, stored)).toBe(false);
    expect(sameSpec({ ...desired, TaskTemplate: { ...desired.TaskTemplate, ContainerSpec: { ...desired.TaskTemplate.ContainerSpec, Env: ['A=1'] } } }, stored)).toBe(false);
  });
});
