import { describe, expect, it } from 'vitest';
import { TestNetwork } from './harness.ts';

describe('raft smoke', () => {
  it('elects a leader and replicates', () => {
    const net = new TestNetwork(['a', 'b', 'c']);
    net.elect('a');
    expect(net.node('a').state).toBe('leader');
    expect(net.node('b').lead).toBe('a');
    const r = net.propose('a', 'x=1');
    expect(r.ok).toBe(true);
    for (const id of ['a', 'b', 'c']) expect(net.applied.get(id)).toEqual(['x=1']);
  });
  it('elects with pre-vote and check-quorum via ticks', () => {
    const net = new TestNetwork(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    for (let i = 0; i < 30 && !net.leader(); i++) for (const id of ['a', 'b', 'c']) net.tick(id);
    const l = net.leader()!;
    expect(l).toBeDefined();
    net.propose('b', 'fwd');
    for (const id of ['a', 'b', 'c']) expect(net.applied.get(id)).toEqual(['fwd']);
  });
});
