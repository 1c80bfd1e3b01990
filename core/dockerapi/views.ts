// The stored objects as the Engine API shows them. They are stored in the API's own shapes, so
// this only removes what must not leave the managers (the root CA's key, the removed-node list).

import type { ClusterObject } from '../api/objects.ts';

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
