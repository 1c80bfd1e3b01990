// NetworkSpec validation (`POST /networks/create`, after the API layer turns Docker's request into
// SwarmKit's spec): a DNS-style name, the overlay driver only, and IPAM configs whose subnet is a
// valid IPv4 CIDR with the gateway inside it. Overlaps with other networks are the control API's
// to check (they need the store).

import type { NetworkObject } from '../objects.ts';
import { contains, isIPv6, parseCidr, parseIPv4 } from './cidr.ts';
import { bool, crossCheck, labels, list, obj, parseSpec, str } from './fields.ts';
import { show } from './format.ts';

export type NetworkSpec = NetworkObject['Spec'];

/** SwarmKit's isValidDNSName, which its validateAnnotations applies to network names. */
const DNS_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

export const NETWORK_NAME_REQUIRED = 'invalid network name: a name is required (docker network create -d overlay NAME)';

function checkNetworkName(name: string): string | undefined {
  if (name === '') return NETWORK_NAME_REQUIRED;
  if (!DNS_NAME.test(name)) {
    return `invalid network name ${show(name)}: name must be valid as a DNS name component (letters, digits, - and _, starting and ending with a letter or digit)`;
  }
  if (name.length > 63) return `invalid network name ${show(name)}: name must be 63 characters or fewer, got ${name.length}`;
  return undefined;
}

/** Names Docker keeps for its local networks: `docker network create` refuses them. */
export const PREDEFINED_NETWORKS = ['bridge', 'host', 'none', 'default'];

export function driverRefusal(driver: string): string {
  return (
    `invalid driver ${show(driver)}: swarmlab's networks are swarm-scoped overlay networks, the only kind a swarm ` +
    `service can use; create it with -d overlay (docker network create -d overlay NAME)`
  );
}

function checkSubnet(subnet: string): string | undefined {
  if (subnet === '') return 'ipam configuration: invalid subnet : a subnet is required with a gateway (e.g. --subnet 10.20.0.0/24)';
  if (isIPv6(subnet)) return `ipam configuration: invalid subnet ${subnet}: swarmlab's networks are IPv4 only`;
  if (!parseCidr(subnet)) return `ipam configuration: invalid subnet ${subnet}: expected an IPv4 CIDR such as 10.20.0.0/24`;
  return undefined;
}

const ipamConfig = crossCheck(
  obj(
    {
      Subnet: str('subnet', { check: checkSubnet, required: checkSubnet('') }),
      Gateway: str('gateway').optional(),
    },
    { thing: 'IPAM config', unsupported: ['Range', 'IPRange', 'AuxiliaryAddresses', 'AuxAddress'] },
  ),
  (c, report) => {
    if (c.Gateway === undefined || c.Gateway === '') return;
    const ip = parseIPv4(c.Gateway);
    if (ip === undefined) {
      report(`ipam configuration: invalid gateway ${c.Gateway}: expected an IPv4 address such as 10.20.0.1`, ['Gateway']);
      return;
    }
    const subnet = parseCidr(c.Subnet)!;
    if (!contains(subnet, ip)) report(`ipam configuration: subnet ${c.Subnet} does not contain gateway ${c.Gateway}`, ['Gateway']);
  },
);

const driver = (thing: string, only: string, refusal: (name: string) => string) =>
  obj(
    {
      Name: str(`${thing} name`, { check: (n) => (n === '' || n === only ? undefined : refusal(n)) }).optional(),
      Options: labels(`${thing} options`).optional(),
    },
    { thing },
  );

export const networkSpecSchema = crossCheck(
  obj(
    {
      Name: str('network name', { required: NETWORK_NAME_REQUIRED, check: checkNetworkName }),
      Labels: labels('network labels').optional(),
      DriverConfiguration: driver('network driver', 'overlay', driverRefusal).optional(),
      Ingress: bool('ingress setting').optional(),
      Attachable: bool('attachable setting').optional(),
      IPAMOptions: obj(
        {
          Driver: driver('IPAM driver', 'default', (n) => `invalid IPAM driver ${show(n)}: only the default IPAM driver is supported`).optional(),
          Configs: list('IPAM configs', ipamConfig).optional(),
        },
        { thing: 'IPAM options' },
      ).optional(),
    },
    {
      thing: 'network spec',
      unsupported: ['Internal', 'ConfigFrom', 'Scope'],
      refused: {
        IPv6Enabled: 'invalid network spec: swarmlab networks are IPv4 only; leave IPv6 off (no --ipv6)',
      },
    },
  ),
  (s, report) => {
    if (s.Ingress && s.Attachable) report('ingress network cannot be attachable', ['Attachable']);
  },
);

/**
 * A network spec as the control API receives it, validated: the overlay driver filled in, IPAM
 * configs checked one by one (valid CIDR, gateway inside). Throws a SpecError otherwise.
 */
export function validateNetworkSpec(input: unknown): NetworkSpec {
  // `IPv6Enabled: false` is what a Go client sends for "not set": only true is refused.
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && (input as Record<string, unknown>).IPv6Enabled === false) {
    const { IPv6Enabled: _off, ...rest } = input as Record<string, unknown>;
    input = rest;
  }
  const spec = parseSpec(networkSpecSchema, input, { thing: 'network spec', name: 'NetworkSpec' });
  const out: NetworkSpec = {
    ...spec,
    DriverConfiguration: { Name: 'overlay', ...(spec.DriverConfiguration?.Options ? { Options: spec.DriverConfiguration.Options } : {}) },
  };
  if (spec.IPAMOptions) {
    const { Driver: _d, ...rest } = spec.IPAMOptions;
    out.IPAMOptions = rest;
  }
  return out;
}
