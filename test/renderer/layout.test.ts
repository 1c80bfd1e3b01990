import { describe, expect, it } from 'vitest';
import type { NodeView } from '../../main/lab/protocol.ts';
import { StableLayout } from '../../renderer/topology/layout.ts';
import { cardSize, cellOffset } from '../../renderer/topology/geometry.ts';

const node = (id: string, role: NodeView['role'] = 'worker'): NodeView => ({
  id, hostname: id, role, leader: false, state: 'ready', availability: 'active', addr: '', labels: {},
});

describe('StableLayout', () => {
  it('keeps nodes where they were when other things change, and reheats only for comings and goings', () => {
    const layout = new StableLayout();
    const nodes = [node('m1', 'manager'), node('m2', 'manager'), node('w1'), node('w2')];
    expect(layout.update(nodes, cardSize(6))).toBe(true);
    layout.settle();
    expect(layout.hot).toBe(false);
    const before = new Map([...layout.nodes.keys()].map((id) => [id, layout.position(id)!]));
    // The same nodes with other states: no reheat, no movement.
    expect(layout.update(nodes.map((n) => ({ ...n, state: 'down' as const })), cardSize(6))).toBe(false);
    expect(layout.hot).toBe(false);
    layout.update([...nodes, node('w3')], cardSize(6));
    expect(layout.hot).toBe(true);
    layout.settle();
    // Existing nodes may be nudged by the newcomer, but keep their place in the picture.
    for (const [id, p] of before) {
      const n = layout.position(id)!;
      expect(Math.hypot(n.x - p.x, n.y - p.y)).toBeLessThan(cardSize(6).w / 2);
    }
  });

  it('does not overlap cards', () => {
    const layout = new StableLayout();
    const size = cardSize(25);
    layout.update(Array.from({ length: 60 }, (_, i) => node(`n${i}`, i < 5 ? 'manager' : 'worker')), size);
    layout.settle(600);
    const all = [...layout.nodes.keys()].map((id) => layout.position(id)!);
    let overlapping = 0;
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) {
      if (Math.abs(all[i]!.x - all[j]!.x) < size.w && Math.abs(all[i]!.y - all[j]!.y) < size.h) overlapping++;
    }
    expect(overlapping).toBe(0);
  });
});

describe('card geometry', () => {
  it('fits every dot of the busiest node inside the card', () => {
    const size = cardSize(25);
    for (let i = 0; i < 25; i++) {
      const { dx, dy } = cellOffset(i, size);
      expect(Math.abs(dx)).toBeLessThan(size.w / 2);
      expect(Math.abs(dy)).toBeLessThan(size.h / 2);
    }
  });
});

describe('StableLayout and card sizes', () => {
  it('says it changed when the cards grow taller, since positions scale with their shape', () => {
    const layout = new StableLayout();
    const nodes = [node('a'), node('b')];
    layout.update(nodes, cardSize(5));
    layout.settle();
    const before = layout.position('a')!;
    expect(layout.update(nodes, cardSize(25))).toBe(true);
    expect(layout.position('a')!.y).not.toBe(before.y);
    // ... without setting the graph in motion.
    expect(layout.hot).toBe(false);
  });
});
