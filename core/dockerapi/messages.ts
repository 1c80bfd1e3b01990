// Docker's own texts for the swarm states (moby's daemon/cluster), which scripts and people match
// on: swarmlab says the same thing in the same words.

import type { LocalNodeState } from './backend.ts';

export const NOT_IN_SWARM = 'This node is not part of a swarm';

export const SWARM_EXISTS = 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';

export const SWARM_LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

export const NOT_A_MANAGER_NO_SWARM =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

export const NOT_A_MANAGER_STARTING = 'This node is not a swarm manager. Manager is being prepared or has trouble connecting to the cluster.';

export const NOT_A_MANAGER_WORKER =
  "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";

/** Why the control API is not available on a node in this state (Docker's errNoManager). */
export function notAManager(state: LocalNodeState): string {
  if (state === 'locked') return SWARM_LOCKED;
  if (state === 'inactive' || state === 'error') return NOT_A_MANAGER_NO_SWARM;
  return NOT_A_MANAGER_WORKER;
}

/**
 * Docker's refusal to let a manager leave without --force. `reachable` and `unreachable` count the
 * managers (this one included) as the Raft leader sees them.
 */
export function leaveRefusal(reachable: number, unreachable: number): string {
  let msg = 'You are attempting to leave the swarm on a node that is participating as a manager. ';
  if (reachable - 2 <= unreachable) {
    if (reachable === 1 && unreachable === 0) {
      return `${msg}Removing the last manager erases all current state of the swarm. Use \`--force\` to ignore this message. `;
    }
    msg += `Removing this node leaves ${reachable - 1} managers out of ${reachable + unreachable}. Without a Raft quorum your swarm will be inaccessible. `;
  }
  return `${msg}The only way to restore a swarm that has lost consensus is to reinitialize it with \`--force-new-cluster\`. Use \`--force\` to suppress this message.`;
}
