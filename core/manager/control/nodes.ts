// Control operations on nodes, with SwarmKit's checks and messages: a demotion that would leave
// no manager, or lose quorum, is refused; a manager must be demoted before removal; a node that is
// up needs `force` to be removed.

import type { NodeObject, NodeSpec } from '../../api/objects.ts';
import type { Store } from '../../store/store.ts';
import { canRemoveWithoutLosingQuorum, type RaftMembership } from '../membership.ts';
import { ControlError } from './errors.ts';
import { nodeName } from './filters.ts';

export interface NodeControl {
  store: Store;
  membership: RaftMembership;
}

/** A node by ID, name (spec name, else hostname) or unambiguous ID prefix, as Docker resolves them. */
export function resolveNode(store: Store, ref: string): NodeObject {
  return store.view((tx) => {
    const byId = tx.get('nodes', ref);
    if (byId) return byId;
    for (const matches of [tx.find('nodes', (n) => nodeName(n) === ref), tx.find('nodes', (n) => n.ID.startsWith(ref))]) {
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new ControlError('InvalidArgument', `node ${ref} is ambiguous (${matches.length} matches found)`);
    }
    throw new ControlError('NotFound', `node ${ref} not found`);
  });
}

export async function updateNode(c: NodeControl, id: string, version: number, spec: NodeSpec): Promise<void> {
  const node = c.store.view((tx) => tx.get('nodes', id));
  if (!node) throw new ControlError('NotFound', `node ${id} not found`);
  if (node.Spec.Role === 'manager' && spec.Role === 'worker') {
    const managers = c.store.view((tx) => tx.find('nodes', (n) => n.Spec.Role === 'manager'));
    if (managers.length <= 1) {
      throw new ControlError('FailedPrecondition', 'attempting to demote the last manager of the swarm');
    }
    if (c.membership.voters().includes(id) && !canRemoveWithoutLosingQuorum(c.membership, id)) {
      throw new ControlError('FailedPrecondition', "can't remove member from the raft: this would result in a loss of quorum");
    }
  }
  await c.store.update((tx) => {
    const cur = tx.get('nodes', id);
    if (!cur) throw new ControlError('NotFound', `node ${id} not found`);
    tx.update('nodes', { ...cur, Version: { Index: version }, Spec: spec });
  });
}

export async function removeNode(c: NodeControl, id: string, force: boolean): Promise<void> {
  const node = c.store.view((tx) => tx.get('nodes', id));
  if (!node) throw new ControlError('NotFound', `node ${id} not found`);
  if (node.Spec.Role === 'manager' || c.membership.voters().includes(id)) {
    throw new ControlError(
      'FailedPrecondition',
      `node ${id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
    );
  }
  if (!force && node.Status.State === 'ready') {
    throw new ControlError('FailedPrecondition', `node ${id} is not down and can't be removed`);
  }
  await c.store.update((tx) => {
    tx.delete('nodes', id);
    // In the same transaction, so no leader change in between can let the node back in: its
    // certificate is refused from now on (SwarmKit's removed-node list).
    for (const cluster of tx.find('clusters')) {
      tx.update('clusters', { ...cluster, BlacklistedCertificates: { ...cluster.BlacklistedCertificates, [id]: {} } });
    }
  });
}
