// A published port's links: one per node that answers on it (every node through the routing mesh,
// only the nodes that run a task in host mode), at the node's address — its machine's, else the
// one the swarm knows (the same choice as main/lab/traffic-plan.ts makes for send traffic).

import type { MachineView, NodeView, PortView } from '../../main/lab/protocol.ts';

export function nodeAddress(n: NodeView, machines: ReadonlyMap<string, MachineView>): string {
  const m = n.machine === undefined ? undefined : machines.get(n.machine);
  return m?.address || n.addr.replace(/:\d+$/, '');
}

export function portLinks(p: PortView, nodes: readonly NodeView[], machines: ReadonlyMap<string, MachineView>, withTask: ReadonlySet<string> | undefined): { node: NodeView; href: string }[] {
  if (p.publishedPort === undefined || p.protocol !== 'tcp') return [];
  const out: { node: NodeView; href: string }[] = [];
  for (const n of nodes) {
    if (p.publishMode === 'host' && withTask?.has(n.id) !== true) continue;
    const addr = nodeAddress(n, machines);
    if (!addr) continue;
    out.push({ node: n, href: `http://${addr.includes(':') ? `[${addr}]` : addr}:${p.publishedPort}/` });
  }
  return out;
}
