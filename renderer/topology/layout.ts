// The force layout, kept stable: a node keeps its position for as long as it exists, and the
// simulation is reheated only when nodes come or go (or change role, or the cards grow) — never
// because tasks moved. It does not run its own timer: the topology's frame loop ticks it, so
// layout and drawing share one requestAnimationFrame.
//
// Cards are wide and flat, but d3 collides circles: the simulation runs in a space stretched
// vertically by the card's aspect ratio, where a card is about square, and position() maps back.

import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation, type SimulationNodeDatum } from 'd3-force';
import type { NodeView } from '../../main/lab/protocol.ts';
import type { CardSize } from './geometry.ts';

export interface LayoutNode extends SimulationNodeDatum {
  id: string;
  role: NodeView['role'];
  x: number;
  y: number;
}

interface Link {
  source: LayoutNode;
  target: LayoutNode;
}

/** A deterministic spot near the middle for a new node, so layouts repeat for the same lab. */
function seedPosition(id: string, index: number, radius: number): { x: number; y: number } {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  const angle = ((h >>> 0) / 4294967296) * Math.PI * 2;
  const r = radius * (0.5 + Math.sqrt(index + 1) * 0.35);
  return { x: Math.cos(angle) * r, y: Math.sin(angle) * r };
}

const SETTLE_AT_ONCE = 30;

export class StableLayout {
  readonly nodes = new Map<string, LayoutNode>();
  private readonly sim: Simulation<LayoutNode, Link>;
  private radius = 80;
  private aspect = 1;
  private signature = '';

  constructor() {
    this.sim = forceSimulation<LayoutNode, Link>([])
      .stop()
      .alphaDecay(0.03)
      .velocityDecay(0.45)
      .force('charge', forceManyBody<LayoutNode>().strength(-60).distanceMax(600))
      .force('x', forceX<LayoutNode>(0).strength((n) => (n.role === 'manager' ? 0.12 : 0.04)))
      .force('y', forceY<LayoutNode>(0).strength((n) => (n.role === 'manager' ? 0.12 : 0.04)));
  }

  /** Syncs the layout with the nodes; returns whether it reheated. */
  update(views: Iterable<NodeView>, size: CardSize): boolean {
    const radius = size.w * 0.74; // a touch over half the square's diagonal: corners never meet
    const aspect = size.w / size.h;
    const list = [...views].sort((a, b) => a.id.localeCompare(b.id));
    const signature = list.map((n) => `${n.id}:${n.role}`).join(',');
    if (signature === this.signature && radius === this.radius && aspect === this.aspect) return false;
    this.aspect = aspect;
    // Taller or flatter cards: positions scale with the aspect (position()), and in the stretched
    // space the cards keep their size, so nothing collides anew and nothing needs to move.
    if (signature === this.signature && radius === this.radius) return true;
    const membershipChanged = signature !== this.signature;
    this.signature = signature;
    this.radius = radius;
    const seen = new Set<string>();
    const first = this.nodes.size === 0;
    // A newcomer to a settled graph starts at its rim and finds a place there, instead of pushing
    // everyone aside from the middle.
    let rim = 0;
    let added = 0;
    for (const n of this.nodes.values()) rim = Math.max(rim, Math.hypot(n.x, n.y));
    list.forEach((v, i) => {
      seen.add(v.id);
      const cur = this.nodes.get(v.id);
      if (cur) {
        cur.role = v.role;
        return;
      }
      added++;
      const p = seedPosition(v.id, i, radius);
      const scale = first ? 1 : (rim + radius) / Math.max(1, Math.hypot(p.x, p.y));
      this.nodes.set(v.id, { id: v.id, role: v.role, x: p.x * scale, y: p.y * scale });
    });
    for (const id of [...this.nodes.keys()]) if (!seen.has(id)) this.nodes.delete(id);
    const nodes = [...this.nodes.values()];
    const managers = nodes.filter((n) => n.role === 'manager');
    const links: Link[] = [];
    for (let i = 0; i < managers.length; i++) for (let j = i + 1; j < managers.length; j++) links.push({ source: managers[i]!, target: managers[j]! });
    this.sim.nodes(nodes);
    this.sim.force('collide', forceCollide<LayoutNode>(radius).strength(1).iterations(3));
    this.sim.force('raft', forceLink<LayoutNode, Link>(links).distance(radius * 2.3).strength(managers.length > 7 ? 0.05 : 0.3));
    this.sim.alpha(Math.max(this.sim.alpha(), first ? 1 : membershipChanged ? 0.5 : 0.3));
    // Many newcomers at once (a lab opening, a big cluster): settle them before they are drawn,
    // rather than animate hundreds of cards flying about for seconds.
    if (added >= SETTLE_AT_ONCE) this.settle();
    return true;
  }

  /** Advances the simulation one step; false once it has cooled down. */
  tick(): boolean {
    if (this.sim.alpha() < this.sim.alphaMin()) return false;
    this.sim.tick();
    return true;
  }

  /** Runs the layout to rest at once (a first view of a big cluster, tests). */
  settle(maxTicks = 300): void {
    for (let i = 0; i < maxTicks && this.tick(); i++);
  }

  get hot(): boolean {
    return this.sim.alpha() >= this.sim.alphaMin();
  }

  /** Where a node's card centre is drawn. */
  position(id: string): { x: number; y: number } | undefined {
    const n = this.nodes.get(id);
    return n ? { x: n.x, y: n.y / this.aspect } : undefined;
  }

  /** The drawing's extent (card centres), padded. */
  bounds(pad: number): { x0: number; y0: number; x1: number; y1: number } | undefined {
    if (this.nodes.size === 0) return undefined;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of this.nodes.values()) {
      const y = n.y / this.aspect;
      x0 = Math.min(x0, n.x); y0 = Math.min(y0, y); x1 = Math.max(x1, n.x); y1 = Math.max(y1, y);
    }
    return { x0: x0 - pad, y0: y0 - pad, x1: x1 + pad, y1: y1 + pad };
  }
}
