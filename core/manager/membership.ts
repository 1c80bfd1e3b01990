// What the manager needs of Raft to change who the managers are: the voters, who is reachable,
// and the two operations (change the configuration, hand over leadership).

import type { RaftNode } from '../raft/node.ts';
import type { ConfChange } from '../raft/types.ts';

export interface RaftMembership {
  /** This manager's Raft ID (its node ID). */
  readonly id: string;
  voters(): string[];
  isLeader(): boolean;
  /** Voters the leader has heard from recently (itself included). */
  reachable(): string[];
  proposeConfChange(cc: ConfChange): Promise<number>;
  transferLeadership(to: string): void;
}

export function raftMembership(node: RaftNode): RaftMembership {
  return {
    id: node.id,
    voters: () => node.voters(),
    isLeader: () => node.isLeader(),
    reachable: () => {
      const progress = node.status().progress ?? {};
      return node.voters().filter((id) => id === node.id || progress[id]?.recentActive);
    },
    proposeConfChange: (cc) => node.proposeConfChange(cc),
    transferLeadership: (to) => node.transferLeadership(to),
  };
}

/** Would removing `id` leave a majority of the remaining voters reachable? */
export function canRemoveWithoutLosingQuorum(m: RaftMembership, id: string): boolean {
  const remaining = m.voters().filter((v) => v !== id);
  if (remaining.length === 0) return false;
  const reachable = m.reachable().filter((v) => v !== id).length;
  return reachable >= Math.floor(remaining.length / 2) + 1;
}
