// The Networks overlay: per network, the nodes that hold a task of one of its services, framed
// in the network's colour and dash (one SVG path per network, whatever the number of nodes), and
// spokes from a labelled hub to them. Which nodes, and the paths, are computed here (pure).

import type { NetworkView } from '../../main/lab/protocol.ts';
import type { Dot } from '../store/tasks.ts';

/** Distinct from the task dots' fills: strong hues, each with its own dash for colour-blind viewers. */
const NETWORK_STYLES: { color: string; dash: string }[] = [
  { color: '#ff4d6d', dash: '' },
  { color: '#4dabf7', dash: '10 4' },
  { color: '#51cf66', dash: '2 4' },
  { color: '#fcc419', dash: '12 4 2 4' },
  { color: '#cc5de8', dash: '6 6' },
  { color: '#ff922b', dash: '1 3' },
  { color: '#20c997', dash: '14 6' },
  { color: '#adb5bd', dash: '4 2' },
];

export function networkStyle(index: number): { color: string; dash: string } {
  return NETWORK_STYLES[((index % NETWORK_STYLES.length) + NETWORK_STYLES.length) % NETWORK_STYLES.length]!;
}

export interface DrawnNetwork {
  network: NetworkView;
  /** Its place in the overlay (colour, dash and how far out its frame is). */
  index: number;
  /** Nodes that hold a live task of one of its services, sorted. */
  nodes: string[];
}

/**
 * The networks to draw (the ingress network only when asked: every published service is on it),
 * with the nodes where their services run. Networks no service uses are listed with no nodes.
 */
export function networkMembership(networks: Iterable<NetworkView>, dots: Iterable<Dot>, showIngress: boolean): DrawnNetwork[] {
  const shown = [...networks].filter((n) => showIngress || !n.ingress).sort((a, b) => a.name.localeCompare(b.name));
  const byService = new Map<string, Set<string>[]>();
  const sets = shown.map(() => new Set<string>());
  shown.forEach((n, i) => {
    for (const s of n.services) {
      const list = byService.get(s);
      if (list) list.push(sets[i]!);
      else byService.set(s, [sets[i]!]);
    }
  });
  for (const d of dots) {
    const targets = byService.get(d.task.serviceId);
    if (targets) for (const set of targets) set.add(d.nodeId);
  }
  return shown.map((network, index) => ({ network, index, nodes: [...sets[index]!].sort() }));
}

export type Point = { x: number; y: number };

/** How far outside the card a network's frame is: each network one ring further out. */
export function frameInset(index: number): number {
  return 5 + index * 5;
}

/** One path of frames around the cards of a network's nodes. */
export function framePath(nodes: readonly string[], pos: (id: string) => Point | undefined, w: number, h: number, index: number): string {
  const g = frameInset(index);
  const fw = w + 2 * g;
  const fh = h + 2 * g;
  let d = '';
  for (const id of nodes) {
    const p = pos(id);
    if (!p) continue;
    d += `M${(p.x - fw / 2).toFixed(1)},${(p.y - fh / 2).toFixed(1)}h${fw.toFixed(1)}v${fh.toFixed(1)}h${(-fw).toFixed(1)}z`;
  }
  return d;
}

/**
 * Where a network's hub sits: above its nodes (over the topmost card's frame, clear of the cards),
 * centred on them, each network one row further up so that hubs do not overlap.
 */
export function hubPoint(nodes: readonly string[], pos: (id: string) => Point | undefined, index: number, cardH: number): Point | undefined {
  let x = 0;
  let top = Infinity;
  let n = 0;
  for (const id of nodes) {
    const p = pos(id);
    if (!p) continue;
    x += p.x;
    top = Math.min(top, p.y);
    n++;
  }
  if (n === 0) return undefined;
  return { x: x / n, y: top - cardH / 2 - frameInset(index) - 22 - index * 26 };
}

/** Spokes from the hub to each node: one path. */
export function spokePath(hub: Point, nodes: readonly string[], pos: (id: string) => Point | undefined): string {
  let d = '';
  for (const id of nodes) {
    const p = pos(id);
    if (!p) continue;
    d += `M${hub.x.toFixed(1)},${hub.y.toFixed(1)}L${p.x.toFixed(1)},${p.y.toFixed(1)}`;
  }
  return d;
}
