// The demo's scheduler, after SwarmKit's in spirit: filter nodes (each filter explains a refusal),
// then spread a service's tasks over the nodes that have fewest of them.

import type { NodeView } from '../../main/lab/protocol.ts';

export interface Placement {
  nodeId?: string;
  /** Why no node would do, in the scheduler's words. */
  reason?: string;
}

/** Matches SwarmKit's constraint forms the demo supports: node.role, node.hostname, node.id, node.labels.X (== or !=). */
export function satisfies(node: NodeView, constraint: string): boolean {
  const m = /^\s*([\w.-]+)\s*(==|!=)\s*(.+?)\s*$/.exec(constraint);
  if (!m) return false;
  const [, field, op, want] = m as unknown as [string, string, string, string];
  let have: string | undefined;
  if (field === 'node.role') have = node.role;
  else if (field === 'node.hostname') have = node.hostname;
  else if (field === 'node.id') have = node.id;
  else if (field.startsWith('node.labels.')) have = node.labels[field.slice('node.labels.'.length)];
  return op === '==' ? have === want : have !== want;
}

export function place(nodes: Iterable<NodeView>, constraints: string[], load: (nodeId: string) => [number, number]): Placement {
  let unavailable = 0;
  let unmatched = 0;
  let best: NodeView | undefined;
  let bestLoad: [number, number] = [Infinity, Infinity];
  for (const n of nodes) {
    if (n.state !== 'ready' || n.availability !== 'active') { unavailable++; continue; }
    if (!constraints.every((c) => satisfies(n, c))) { unmatched++; continue; }
    const l = load(n.id);
    if (l[0] < bestLoad[0] || (l[0] === bestLoad[0] && (l[1] < bestLoad[1] || (l[1] === bestLoad[1] && best && n.hostname < best.hostname)))) {
      best = n;
      bestLoad = l;
    }
  }
  if (best) return { nodeId: best.id };
  const why: string[] = [];
  if (unavailable) why.push(`${unavailable} node${unavailable === 1 ? '' : 's'} not available for new tasks`);
  if (unmatched) why.push(`scheduling constraints not satisfied on ${unmatched} node${unmatched === 1 ? '' : 's'}`);
  return { reason: `no suitable node (${why.join('; ') || 'no nodes'})` };
}
