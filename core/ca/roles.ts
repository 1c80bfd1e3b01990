// SwarmKit's names. The OU of a node certificate is the node's role, and it is what every
// endpoint authorizes on; the roles are also DNS names in the certificate so that a client can
// insist on talking to a manager (or to a CA) whatever address it dialled.

export type NodeRole = 'manager' | 'worker';

export const ROOT_CN = 'swarm-ca';
export const MANAGER_OU = 'swarm-manager';
export const WORKER_OU = 'swarm-worker';
/** The SAN every manager carries so that nodes can ask it for certificates. */
export const CA_SAN = 'swarm-ca';

export const roleToOU = (role: NodeRole): string => (role === 'manager' ? MANAGER_OU : WORKER_OU);

export function ouToRole(ou: string): NodeRole | undefined {
  if (ou === MANAGER_OU) return 'manager';
  if (ou === WORKER_OU) return 'worker';
  return undefined;
}
