// The stored objects as the Engine API shows them. They are stored in the API's own shapes, so
// this only removes what must not leave the managers (the root CA's key, the removed-node list).

import type { ClusterObject, ConfigObject, NetworkObject, SecretObject, TaskObject } from '../api/objects.ts';

type Internal = 'RootCA' | 'BlacklistedCertificates';

/** Docker's ClusterInfo (the Swarm section of `GET /info`): the cluster without its join tokens. */
export function clusterInfo(c: ClusterObject): Omit<ClusterObject, Internal | 'JoinTokens'> {
  const { RootCA: _key, BlacklistedCertificates: _removed, JoinTokens: _tokens, ...info } = c;
  return { RootRotationInProgress: false, DefaultAddrPool: [], SubnetSize: 24, DataPathPort: 4789, ...info };
}

/** Docker's Swarm (`GET /swarm`): the cluster with its join tokens. */
export function swarmView(c: ClusterObject): Omit<ClusterObject, Internal> {
  return { ...clusterInfo(c), JoinTokens: c.JoinTokens ?? { Worker: '', Manager: '' } };
}

// ---- networks, secrets, configs, tasks ----------------------------------------------------------

/** Docker's NetworkResource (`GET /networks`, `/networks/{id}`) for a swarm network. */
export function networkView(n: NetworkObject) {
  const configs = n.IPAM?.Configs ?? (n.Spec.IPAMOptions?.Configs ?? []).map((c) => ({ Subnet: c.Subnet ?? '', Gateway: c.Gateway ?? '' }));
  return {
    Name: n.Spec.Name ?? '',
    Id: n.ID,
    Created: n.CreatedAt,
    Scope: 'swarm',
    Driver: n.DriverState?.Name ?? n.Spec.DriverConfiguration?.Name ?? 'overlay',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: configs.map((c) => ({ Subnet: c.Subnet, Gateway: c.Gateway })) },
    Internal: false,
    Attachable: n.Spec.Attachable === true,
    Ingress: n.Spec.Ingress === true,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: n.DriverState?.Options ?? n.Spec.DriverConfiguration?.Options ?? {},
    Labels: n.Spec.Labels ?? {},
  };
}

/** Docker's swarm.Network (in a task's NetworksAttachments): the allocated IPAM and driver state in Docker's field names. */
export function swarmNetworkView(n: NetworkObject) {
  const { IPAM, DriverState, ...rest } = n;
  return {
    ...rest,
    Spec: { ...n.Spec, Scope: 'swarm' },
    DriverState: DriverState ?? { Name: 'overlay' },
    IPAMOptions: { Driver: { Name: 'default' }, Configs: IPAM?.Configs ?? n.Spec.IPAMOptions?.Configs ?? [] },
  };
}

/** A task as Docker shows it: its network attachments' networks in Docker's shape. */
export function taskView(t: TaskObject) {
  if (!t.NetworksAttachments) return t;
  return { ...t, NetworksAttachments: t.NetworksAttachments.map((a) => ({ ...a, Network: swarmNetworkView(a.Network) })) };
}

/** A secret as the Engine API shows it: never its Data (the control API strips it too; this is the second lock). */
export function secretView(s: SecretObject) {
  const { Data: _data, ...spec } = s.Spec;
  return { ...s, Spec: spec };
}

export function configView(c: ConfigObject) {
  return c;
}
