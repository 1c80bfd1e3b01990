import type { QuorumView } from '../../main/lab/protocol.ts';

/** "3 managers · quorum 2 · can lose 1", as a trainer would say it. */
export function quorumText(q: QuorumView): string {
  if (q.managers === 0) return 'no managers';
  const managers = `${q.managers} manager${q.managers === 1 ? '' : 's'}`;
  if (q.canLose < 0) return `${managers} · quorum ${q.quorum} · quorum lost (${q.reachable} reachable)`;
  return `${managers} · quorum ${q.quorum} · can lose ${q.canLose}`;
}
