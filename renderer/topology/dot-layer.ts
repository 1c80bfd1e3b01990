// Task dots on a <canvas>: thousands of DOM nodes would not keep 50 fps, a canvas does. Each dot is
// keyed by its slot (store/tasks.ts), so when a task is replaced on another node its dot travels
// there; dots that only change rank inside a node slide; new dots fade in and gone ones fade out.

import type { Dot } from '../store/tasks.ts';
import { cellOffset, DOT_RADIUS, type CardSize } from './geometry.ts';

const TRAVEL_MS = 800;
const SLIDE_MS = 250;
const FADE_MS = 300;

export type PositionOf = (nodeId: string) => { x: number; y: number } | undefined;

interface DrawnDot {
  key: string;
  nodeId: string;
  index: number;
  color: string;
  /** Not running yet (assigned … starting): drawn as a ring. */
  starting: boolean;
  fromX: number;
  fromY: number;
  t0: number;
  dur: number;
  travelling: boolean;
  born: number;
}

interface Ghost {
  x: number;
  y: number;
  color: string;
  t0: number;
}

const ease = (t: number) => (t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2);

export class DotLayer {
  private readonly dots = new Map<string, DrawnDot>();
  private ghosts: Ghost[] = [];
  size: CardSize = { w: 0, h: 0, rows: 1 };

  get count(): number {
    return this.dots.size;
  }

  /**
   * Takes the dots to show now. `rank` orders dots inside a node (by service, then slot).
   * Returns the newest timestamp (epoch ms) among the dots that changed, for the latency probe.
   */
  sync(next: Map<string, Dot>, colorOf: (serviceId: string) => string, rank: (d: Dot) => number, now: number, pos: PositionOf): number {
    const byNode = new Map<string, Dot[]>();
    for (const d of next.values()) {
      const list = byNode.get(d.nodeId);
      if (list) list.push(d);
      else byNode.set(d.nodeId, [d]);
    }
    let newest = NaN;
    const stamp = (d: Dot) => {
      const t = Date.parse(d.task.timestamp);
      if (!(t <= newest)) newest = t;
    };
    for (const [nodeId, list] of byNode) {
      list.sort((a, b) => rank(a) - rank(b) || (a.task.slot ?? 0) - (b.task.slot ?? 0) || (a.key < b.key ? -1 : 1));
      list.forEach((d, index) => {
        const color = colorOf(d.task.serviceId);
        const starting = d.task.state !== 'running';
        const cur = this.dots.get(d.key);
        if (!cur) {
          const p = this.target(nodeId, index, pos);
          this.dots.set(d.key, { key: d.key, nodeId, index, color, starting, fromX: p?.x ?? 0, fromY: p?.y ?? 0, t0: now, dur: 0, travelling: false, born: now });
          stamp(d);
          return;
        }
        if (cur.nodeId !== nodeId || cur.index !== index) {
          const at = this.position(cur, now, pos);
          cur.travelling = cur.nodeId !== nodeId;
          cur.fromX = at?.x ?? 0;
          cur.fromY = at?.y ?? 0;
          cur.t0 = now;
          cur.dur = cur.travelling ? TRAVEL_MS : SLIDE_MS;
          cur.nodeId = nodeId;
          cur.index = index;
          stamp(d);
        }
        if (cur.color !== color || cur.starting !== starting) {
          cur.color = color;
          cur.starting = starting;
          stamp(d);
        }
      });
    }
    for (const [key, d] of this.dots) {
      if (next.has(key)) continue;
      const at = this.position(d, now, pos);
      if (at) this.ghosts.push({ x: at.x, y: at.y, color: d.color, t0: now });
      this.dots.delete(key);
    }
    return newest;
  }

  private target(nodeId: string, index: number, pos: PositionOf): { x: number; y: number } | undefined {
    const p = pos(nodeId);
    if (!p) return undefined;
    const o = cellOffset(index, this.size);
    return { x: p.x + o.dx, y: p.y + o.dy };
  }

  private position(d: DrawnDot, now: number, pos: PositionOf): { x: number; y: number } | undefined {
    const to = this.target(d.nodeId, d.index, pos);
    if (!to) return undefined;
    const t = d.dur > 0 ? (now - d.t0) / d.dur : 1;
    if (t >= 1) return to;
    const k = ease(Math.max(0, t));
    return { x: d.fromX + (to.x - d.fromX) * k, y: d.fromY + (to.y - d.fromY) * k };
  }

  animating(now: number): boolean {
    if (this.ghosts.length > 0) return true;
    for (const d of this.dots.values()) if (now - d.t0 < d.dur || now - d.born < FADE_MS) return true;
    return false;
  }

  /** Draws in world coordinates: the caller has set the canvas transform. */
  draw(ctx: CanvasRenderingContext2D, now: number, pos: PositionOf, scale: number): void {
    const r = DOT_RADIUS;
    // Below a few pixels a square is indistinguishable from a disc, and much cheaper.
    const squares = r * scale < 2.2;
    const solid = new Map<string, number[]>();
    const rings = new Map<string, number[]>();
    const movers: { x: number; y: number; fromX: number; fromY: number; color: string }[] = [];
    let fading: { x: number; y: number; color: string; alpha: number }[] = [];
    for (const d of this.dots.values()) {
      const p = this.position(d, now, pos);
      if (!p) continue;
      if (now - d.born < FADE_MS) {
        fading.push({ ...p, color: d.color, alpha: (now - d.born) / FADE_MS });
        continue;
      }
      const bucket = d.starting ? rings : solid;
      const list = bucket.get(d.color);
      if (list) list.push(p.x, p.y);
      else bucket.set(d.color, [p.x, p.y]);
      if (d.travelling && now - d.t0 < d.dur) movers.push({ ...p, fromX: d.fromX, fromY: d.fromY, color: d.color });
    }
    this.ghosts = this.ghosts.filter((g) => now - g.t0 < FADE_MS);
    fading = fading.concat(this.ghosts.map((g) => ({ x: g.x, y: g.y, color: g.color, alpha: 1 - (now - g.t0) / FADE_MS })));

    // Trails first, under the dots: a task on its way from its old node.
    ctx.lineWidth = 1.5;
    ctx.globalAlpha = 0.45;
    for (const m of movers) {
      ctx.strokeStyle = m.color;
      ctx.beginPath();
      ctx.moveTo(m.fromX, m.fromY);
      ctx.lineTo(m.x, m.y);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    for (const [color, xy] of solid) {
      ctx.fillStyle = color;
      ctx.beginPath();
      for (let i = 0; i < xy.length; i += 2) {
        if (squares) ctx.rect(xy[i]! - r, xy[i + 1]! - r, 2 * r, 2 * r);
        else {
          ctx.moveTo(xy[i]! + r, xy[i + 1]!);
          ctx.arc(xy[i]!, xy[i + 1]!, r, 0, Math.PI * 2);
        }
      }
      ctx.fill();
    }
    ctx.lineWidth = 1.6;
    for (const [color, xy] of rings) {
      ctx.strokeStyle = color;
      ctx.beginPath();
      for (let i = 0; i < xy.length; i += 2) {
        ctx.moveTo(xy[i]! + r - 0.8, xy[i + 1]!);
        ctx.arc(xy[i]!, xy[i + 1]!, r - 0.8, 0, Math.PI * 2);
      }
      ctx.stroke();
    }
    // Travelling dots wear a halo so the eye follows them.
    for (const m of movers) {
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(m.x, m.y, r + 2.5, 0, Math.PI * 2);
      ctx.stroke();
    }
    for (const f of fading) {
      ctx.globalAlpha = Math.max(0, Math.min(1, f.alpha));
      ctx.fillStyle = f.color;
      ctx.beginPath();
      ctx.arc(f.x, f.y, r, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }
}
