// The swarm's certificate authority, node certificates and join tokens, in SwarmKit's manner.

export { createRootCA, rootDigest, type CreateRootCAOptions, type RootCA } from './root.ts';
export {
  checkRootAgainstToken,
  generateJoinToken,
  JoinTokenError,
  parseJoinToken,
  tokenMatchesRoot,
  type JoinToken,
  type RandomBytes,
} from './join-token.ts';
export { createNodeKeyAndCSR, type NodeKeyAndCSR } from './node-csr.ts';
export { signNodeCSR, type SignNodeOptions } from './issue.ts';
export { parseNodeCert, verifyNodeCert, type CertInput, type NodeCertInfo, type NodeIdentity } from './node-cert.ts';
export {
  CERT_BACKDATE_MS,
  DEFAULT_NODE_CERT_EXPIRY_MS,
  MIN_NODE_CERT_EXPIRY_MS,
  RENEWAL_WINDOW,
  ROOT_CA_EXPIRY_MS,
  renewalTime,
  validateCertExpiry,
} from './expiry.ts';
export {
  joinClientOptions,
  peerIdentity,
  rootFromPeer,
  tlsCredentials,
  type PinnedPeer,
  type TlsCredentials,
  type TlsCredentialsOptions,
} from './tls.ts';
export { CA_SAN, MANAGER_OU, ROOT_CN, WORKER_OU, type NodeRole } from './roles.ts';
export { createDockerTlsBundle, type DockerTlsBundle } from './docker-tls.ts';
