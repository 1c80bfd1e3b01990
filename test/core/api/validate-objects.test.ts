// Network, secret and config specs, and the service spec's references to them, as the validators
// take or refuse them (the checks that need the store are in test/core/manager/control-networks).

import { describe, expect, it } from 'vitest';
import { validateConfigSpec, validateNetworkSpec, validateSecretSpec, validateServiceSpec } from '../../../core/api/validate.ts';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { message: (err as Error).message, field: (err as { field?: string }).field };
  }
  throw new Error('accepted, expected a refusal');
};

const b64 = (s: string) => Buffer.from(s).toString('base64');
const service = (container: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  Name: 'web',
  TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1', ...container } },
  ...extra,
});

describe('validateNetworkSpec', () => {
  it('takes an overlay spec and fills in the driver', () => {
    expect(validateNetworkSpec({ Name: 'backend', Attachable: true, IPAMOptions: { Configs: [{ Subnet: '10.9.0.0/16', Gateway: '10.9.0.1' }] } })).toEqual({
      Name: 'backend',
      Attachable: true,
      DriverConfiguration: { Name: 'overlay' },
      IPAMOptions: { Configs: [{ Subnet: '10.9.0.0/16', Gateway: '10.9.0.1' }] },
    });
    expect(validateNetworkSpec({ Name: 'n', IPv6Enabled: false, Internal: false }).DriverConfiguration).toEqual({ Name: 'overlay' });
  });

  it.each([
    ['no name', {}, /^invalid network name: a name is required/, 'Name'],
    ['a bad name', { Name: 'a b' }, /^invalid network name "a b": name must be valid as a DNS name component/, 'Name'],
    ['the bridge driver', { Name: 'n', DriverConfiguration: { Name: 'bridge' } }, /^invalid driver "bridge": .*use|-d overlay/, 'DriverConfiguration.Name'],
    ['a bad subnet', { Name: 'n', IPAMOptions: { Configs: [{ Subnet: '10.0.0.0/33' }] } }, /^ipam configuration: invalid subnet 10.0.0.0\/33/, 'IPAMOptions.Configs[0].Subnet'],
    ['an IPv6 subnet', { Name: 'n', IPAMOptions: { Configs: [{ Subnet: 'fd00::/64' }] } }, /IPv4 only/, 'IPAMOptions.Configs[0].Subnet'],
    ['a gateway outside', { Name: 'n', IPAMOptions: { Configs: [{ Subnet: '10.1.0.0/24', Gateway: '10.2.0.1' }] } }, /^ipam configuration: subnet 10.1.0.0\/24 does not contain gateway 10.2.0.1$/, 'IPAMOptions.Configs[0].Gateway'],
    ['a gateway without subnet', { Name: 'n', IPAMOptions: { Configs: [{ Gateway: '10.2.0.1' }] } }, /^ipam configuration: invalid subnet : a subnet is required/, 'IPAMOptions.Configs[0].Subnet'],
    ['an attachable ingress', { Name: 'n', Ingress: true, Attachable: true }, /^ingress network cannot be attachable$/, 'Attachable'],
    ['IPv6', { Name: 'n', IPv6Enabled: true }, /IPv4 only/, 'IPv6Enabled'],
    ['an IP range', { Name: 'n', IPAMOptions: { Configs: [{ Subnet: '10.1.0.0/24', Range: '10.1.0.0/25' }] } }, /^unsupported field "Range"/, 'IPAMOptions.Configs[0].Range'],
  ])('refuses %s', (_what, spec, message, field) => {
    const r = refused(() => validateNetworkSpec(spec));
    expect(r.message).toMatch(message);
    expect(r.field).toBe(field);
  });
});

describe('validateSecretSpec and validateConfigSpec', () => {
  it('take a name, labels and base64 data', () => {
    expect(validateSecretSpec({ Name: 'a.b-c_d', Labels: { x: 'y' }, Data: b64('v') }, { requireData: true })).toEqual({ Name: 'a.b-c_d', Labels: { x: 'y' }, Data: b64('v') });
    expect(validateConfigSpec({ Name: 'c', Data: b64('v') }, { requireData: true }).Data).toBe(b64('v'));
  });

  it('refuse bad names, missing, empty, oversized or non-base64 data, and secret drivers', () => {
    expect(refused(() => validateSecretSpec({ Name: 'x_', Data: b64('v') })).message).toBe(
      'invalid secret name "x_": only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]',
    );
    expect(refused(() => validateSecretSpec({ Name: 'x' }, { requireData: true })).message).toMatch(/^secret data must be larger than 0 and less than 512000 bytes, got none/);
    expect(refused(() => validateConfigSpec({ Name: 'x', Data: b64('a'.repeat(1000 * 1024 + 1)) })).message).toBe(
      'config data must be larger than 0 and less than 1024000 bytes, got 1024001 bytes',
    );
    expect(refused(() => validateSecretSpec({ Name: 'x', Data: 'not base64!' })).message).toMatch(/^invalid secret data: expected base64/);
    expect(refused(() => validateSecretSpec({ Name: 'x', Data: b64('v'), Driver: { Name: 'vault' } })).message).toMatch(/^unsupported field "Driver"/);
  });
});

describe('service specs: networks, secrets and configs', () => {
  it('moves the deprecated service-level Networks into the task template', () => {
    expect(validateServiceSpec(service({}, { Networks: [{ Target: 'backend' }] })).TaskTemplate.Networks).toEqual([{ Target: 'backend' }]);
    expect(refused(() => validateServiceSpec({ ...service(), TaskTemplate: { ContainerSpec: { Image: 'nginx' }, Networks: [{ Target: 'a' }] }, Networks: [{ Target: 'b' }] })).message).toMatch(
      /not in both/,
    );
    expect(refused(() => validateServiceSpec({ ...service(), TaskTemplate: { ContainerSpec: { Image: 'nginx' }, Networks: [{ Target: 'a' }, { Target: 'a' }] } })).message).toBe(
      'invalid networks: network "a" is attached twice; attach each network once',
    );
  });

  it('takes secret and config references by name or ID, and refuses one with neither', () => {
    const spec = validateServiceSpec(service({ Secrets: [{ SecretName: 's', File: { Name: 'x', Mode: 0o400 } }], Configs: [{ ConfigID: 'abc' }] }));
    expect(spec.TaskTemplate.ContainerSpec.Secrets).toEqual([{ SecretName: 's', SecretID: '', File: { Name: 'x', Mode: 0o400 } }]);
    expect(spec.TaskTemplate.ContainerSpec.Configs).toEqual([{ ConfigID: 'abc', ConfigName: '' }]);
    expect(refused(() => validateServiceSpec(service({ Secrets: [{ File: { Name: 'x' } }] }))).message).toMatch(/^malformed secret reference: give the secret's name/);
    expect(refused(() => validateServiceSpec(service({ Configs: [{ ConfigName: 'c', File: { Name: '' } }] }))).message).toMatch(
      /^malformed file config reference, invalid target file name provided/,
    );
  });
});
