// Task dots on canvases: thousands of DOM nodes would not keep 50 fps, a canvas does. Each dot is
// keyed by its slot (store/tasks.ts), so when a task is replaced on another node its dot travels
// there; dots that only change rank inside a node slide; new dots fade in and gone ones fade out.
// Two layers: the dots at rest, drawn again only when that set changes, and the few on the move,
// drawn every frame — so a frame costs what moves, not what exists.

import type { Dot } from '../store/tasks.ts';
import { cellOffset, DOT_RADIUS, type CardSize } from './geometry.ts';

const TRAVEL_MS = 800;
const SLIDE_MS = 250;
const FADE_MS = 300;
const SETTLE_MS = 300;

/** The pan/zoom transform and the canvas's size in CSS pixels. */
export interface View {
  k: number;
  x: number;
  y: number;
  dpr: number;
  width: number;
  height: number;
}

export type PositionOf = (nodeId: string) => { x: number; y: number } | undefined;

interface DrawnDot {
  key: string;
  nodeId: string;
  index: number;
  color: string;
  /** Not running yet (assigned … starting): drawn as a ring. */
  starting: boolean;
  /** Runs an older spec than its service's (a rolling update will replace it): a dot with a hole. */
  outdated: boolean;
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
  /** Dots with an animation running: they live on the moving layer until it ends. */
  private readonly moving = new Set<DrawnDot>();
  private movingShown = false;
  private staticDrawnAt = 0;
  /** The static layer needs drawing again. */
  staticDirty = true;
  size: CardSize = { w: 0, h: 0, rows: 1 };

  get count(): number {
    return this.dots.size;
  }

  /**
   * Takes the dots to show now. `rank` orders dots inside a node (by service, then slot).
   * Returns the newest timestamp (epoch ms) among the dots that changed, for the latency probe.
   */
  sync(next: Map<string, Dot>, colorOf: (serviceId: string) => string, rank: (d: Dot) => number, now: number, pos: PositionOf): number {
    // Each dot's rank is looked up once, not at every comparison of the sort.
    const byNode = new Map<string, { d: Dot; order: number }[]>();
    for (const d of next.values()) {
      const entry = { d, order: rank(d) * 1_000_000 + (d.task.slot ?? 0) };
      const list = byNode.get(d.nodeId);
      if (list) list.push(entry);
      else byNode.set(d.nodeId, [entry]);
    }
    const colors = new Map<string, string>();
    let newest = NaN;
    const stamp = (d: Dot) => {
      const t = Date.parse(d.task.timestamp);
      if (!(t <= newest)) newest = t;
    };
    for (const [nodeId, list] of byNode) {
      list.sort((a, b) => a.order - b.order || (a.d.key < b.d.key ? -1 : 1));
      list.forEach(({ d }, index) => {
        let color = colors.get(d.task.serviceId);
        if (color === undefined) colors.set(d.task.serviceId, (color = colorOf(d.task.serviceId)));
        const starting = d.task.state !== 'running';
        const outdated = d.task.outdated === true;
        const cur = this.dots.get(d.key);
        if (!cur) {
          const p = this.target(nodeId, index, pos);
          const dot: DrawnDot = { key: d.key, nodeId, index, color, starting, outdated, fromX: p?.x ?? 0, fromY: p?.y ?? 0, t0: now, dur: 0, travelling: false, born: now };
          this.dots.set(d.key, dot);
          this.moving.add(dot);
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
          if (!this.moving.has(cur)) this.staticDirty = true;
          this.moving.add(cur);
          stamp(d);
        }
        if (cur.color !== color || cur.starting !== starting || cur.outdated !== outdated) {
          cur.outdated = outdated;
          cur.color = color;
          cur.starting = starting;
          if (!this.moving.has(cur)) this.staticDirty = true;
          stamp(d);
        }
      });
    }
    for (const [key, d] of this.dots) {
      if (next.has(key)) continue;
      const at = this.position(d, now, pos);
      if (at) this.ghosts.push({ x: at.x, y: at.y, color: d.color, t0: now });
      this.dots.delete(key);
      if (!this.moving.delete(d)) this.staticDirty = true;
    }
    return newest;
  }

  /** Where a dot is now (in graph coordinates), by its key; undefined when it is not drawn. */
  where(key: string, now: number, pos: PositionOf): { x: number; y: number; color: string } | undefined {
    const d = this.dots.get(key);
    if (!d) return undefined;
    const p = this.position(d, now, pos);
    return p ? { ...p, color: d.color } : undefined;
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

  /**
   * Ends the animations that are over (their dots join the static layer). Returns whether the
   * moving layer has anything to draw — or to clear, the frame after its last animation ended.
   */
  step(now: number): boolean {
    // Dots that arrived stay on the moving layer until the static one is drawn anyway, or a
    // moment has passed: redrawing thousands of dots for each arrival would cost what the two
    // layers save.
    if (this.staticDirty || now - this.staticDrawnAt >= SETTLE_MS) {
      for (const d of this.moving) {
        if (now - d.t0 >= d.dur && now - d.born >= FADE_MS) {
          this.moving.delete(d);
          this.staticDirty = true;
        }
      }
    }
    this.ghosts = this.ghosts.filter((g) => now - g.t0 < FADE_MS);
    const busy = this.moving.size > 0 || this.ghosts.length > 0;
    const redraw = busy || this.movingShown;
    this.movingShown = busy;
    return redraw;
  }

  /** The dots at rest: redrawn only when one joins or leaves them, or the view changes. */
  drawStatic(ctx: CanvasRenderingContext2D, now: number, pos: PositionOf, view: View): void {
    this.staticDirty = false;
    this.staticDrawnAt = now;
    const rest: DrawnDot[] = [];
    for (const d of this.dots.values()) if (!this.moving.has(d)) rest.push(d);
    this.paint(ctx, rest, [], now, pos, view);
  }

  /** The dots on the move, fading in or fading out: redrawn every frame while there are any. */
  drawMoving(ctx: CanvasRenderingContext2D, now: number, pos: PositionOf, view: View): void {
    this.paint(ctx, this.moving, this.ghosts, now, pos, view);
  }

  /**
   * Draws in device pixels (the canvas's own, identity transform): each dot is one fillRect or one
   * drawImage of a pre-drawn sprite. One big path of thousands of circles is what a software
   * rasteriser handles worst, and where there is no GPU, that is what Chromium uses.
   */
  private paint(ctx: CanvasRenderingContext2D, dots: Iterable<DrawnDot>, ghosts: Ghost[], now: number, pos: PositionOf, view: View): void {
    const { k, x: tx, y: ty, dpr } = view;
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    const s = k * dpr;
    const r = DOT_RADIUS * s;
    const squares = r < 2.2;
    const w = view.width * dpr;
    const h = view.height * dpr;
    const movers: { x: number; y: number; fromX: number; fromY: number; color: string }[] = [];
    const byColor = new Map<string, number[]>();
    const fading: { x: number; y: number; color: string; alpha: number; ring: boolean }[] = [];
    for (const d of dots) {
      const p = this.position(d, now, pos);
      if (!p) continue;
      const x = (p.x * k + tx) * dpr;
      const y = (p.y * k + ty) * dpr;
      if (x < -r || y < -r || x > w + r || y > h + r) continue;
      if (now - d.born < FADE_MS) {
        fading.push({ x, y, color: d.color, alpha: (now - d.born) / FADE_MS, ring: d.starting });
        continue;
      }
      const key = d.starting ? `${d.color}|ring` : d.outdated ? `${d.color}|old` : d.color;
      const list = byColor.get(key);
      if (list) list.push(x, y);
      else byColor.set(key, [x, y]);
      if (d.travelling && now - d.t0 < d.dur) movers.push({ x, y, fromX: (d.fromX * k + tx) * dpr, fromY: (d.fromY * k + ty) * dpr, color: d.color });
    }
    for (const g of ghosts) fading.push({ x: (g.x * k + tx) * dpr, y: (g.y * k + ty) * dpr, color: g.color, alpha: 1 - (now - g.t0) / FADE_MS, ring: false });

    // Trails first, under the dots: a task on its way from its old node. One path per colour.
    ctx.lineWidth = 1.5 * dpr;
    ctx.globalAlpha = 0.45;
    const trails = new Map<string, typeof movers>();
    for (const m of movers) {
      const list = trails.get(m.color);
      if (list) list.push(m);
      else trails.set(m.color, [m]);
    }
    for (const [color, list] of trails) {
      ctx.strokeStyle = color;
      ctx.beginPath();
      for (const m of list) {
        ctx.moveTo(m.fromX, m.fromY);
        ctx.lineTo(m.x, m.y);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    for (const [key, xy] of byColor) {
      const [color, kind] = key.split('|') as [string, 'ring' | 'old' | undefined];
      const ring = kind === 'ring';
      if (squares) {
        ctx.fillStyle = color;
        const side = Math.max(1, 2 * r);
        for (let i = 0; i < xy.length; i += 2) {
          if (ring) ctx.strokeRect(xy[i]! - r, xy[i + 1]! - r, side, side);
          else ctx.fillRect(xy[i]! - r, xy[i + 1]! - r, side, side);
        }
      } else {
        const sprite = this.sprite(color, r, kind ?? 'dot');
        const half = sprite.width / 2;
        for (let i = 0; i < xy.length; i += 2) ctx.drawImage(sprite, xy[i]! - half, xy[i + 1]! - half);
      }
    }
    // Travelling dots wear a halo so the eye follows them.
    for (const m of movers) {
      const halo = this.sprite(m.color, r + 2.5 * dpr, 'ring');
      ctx.drawImage(halo, m.x - halo.width / 2, m.y - halo.height / 2);
    }
    for (const f of fading) {
      ctx.globalAlpha = Math.max(0, Math.min(1, f.alpha));
      const sprite = this.sprite(f.color, Math.max(r, 1), f.ring ? 'ring' : 'dot');
      ctx.drawImage(sprite, f.x - sprite.width / 2, f.y - sprite.height / 2);
    }
    ctx.globalAlpha = 1;
  }

  private readonly sprites = new Map<string, HTMLCanvasElement | OffscreenCanvas>();

  /** A dot drawn once per colour, size and kind, then copied. */
  private sprite(color: string, r: number, kind: 'dot' | 'ring' | 'old'): HTMLCanvasElement | OffscreenCanvas {
    const rq = Math.round(r * 4) / 4;
    const key = `${color}|${rq}|${kind}`;
    let c = this.sprites.get(key);
    if (c) return c;
    if (this.sprites.size > 400) this.sprites.clear();
    const size = Math.ceil(rq * 2 + 4);
    c = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(size, size) : Object.assign(document.createElement('canvas'), { width: size, height: size });
    const g = c.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
    g.beginPath();
    if (kind === 'ring') {
      g.strokeStyle = color;
      g.lineWidth = Math.max(1, rq * 0.4);
      g.arc(size / 2, size / 2, rq - g.lineWidth / 2, 0, Math.PI * 2);
      g.stroke();
    } else {
      g.fillStyle = color;
      g.arc(size / 2, size / 2, rq, 0, Math.PI * 2);
      g.fill();
      // A hairline edge: yellow on a light theme needs one, and it costs nothing on a dark one.
      g.strokeStyle = 'rgba(0, 0, 0, 0.35)';
      g.lineWidth = 1;
      g.stroke();
      if (kind === 'old') {
        // The hole: this task still runs the previous spec.
        g.globalCompositeOperation = 'destination-out';
        g.beginPath();
        g.arc(size / 2, size / 2, rq * 0.45, 0, Math.PI * 2);
        g.fill();
        g.globalCompositeOperation = 'source-over';
      }
    }
    this.sprites.set(key, c);
    return c;
  }
}
