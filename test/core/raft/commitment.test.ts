// Commitment (Raft §5.3, §5.4.2): when the leader may consider an entry committed, and the
// paper's Figure 8 trap. Our leader counts its own copy only once it is persisted (advance).

import { describe, expect, it } from 'vitest';
import { message } from '../../../core/raft/types.ts';
import { TestNetwork, ack, dec, enc, flush, logOf, makeLeader, newRaft, ofType, termsOf } from './harness.ts';

const abc = ['a', 'b', 'c'];
const five = ['a', 'b', 'c', 'd', 'e'];

/** The data of the normal, non-empty entries a Ready asks to apply. */
const appliedData = (r: ReturnType<typeof newRaft>): string[] => {
  const rd = r.ready();
  r.advance(rd);
  return rd.committedEntries.filter((e) => e.type === 'normal' && e.data.length > 0).map((e) => dec(e.data));
};

describe('commitment', () => {
  it('the leader commits an entry once a majority, itself included, stores it, and tells the followers', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    ack(r, 'b', 1);
    ack(r, 'c', 1);
    r.propose(enc('some data'));
    flush(r);
    expect(r.log.committed).toBe(1);

    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 2 }));
    expect(r.log.committed).toBe(2);
    const rd = r.ready();
    r.advance(rd);
    expect(rd.committedEntries.map((e) => dec(e.data))).toEqual(['some data']);
    // The new commit index goes out to the followers.
    const apps = ofType(rd.messages, 'app');
    expect(apps.map((m) => [m.to, m.commit]).sort()).toEqual([
      ['b', 2],
      ['c', 2],
    ]);
  });

  it('the leader counts its own copy only once it is persisted', () => {
    const r = newRaft('a', five, { term: 1 });
    makeLeader(r);
    r.propose(enc('x')); // at 2; not persisted until the Ready is handled
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 2 }));
    r.step(message({ type: 'appResp', from: 'c', to: 'a', term: r.term, index: 2 }));
    // b and c are two of five for x (their acks do carry the leader's first entry, at 1, which
    // the leader has persisted: three of five).
    expect(r.log.committed).toBe(1);
    flush(r); // x persisted: now three of five
    expect(r.log.committed).toBe(2);
  });

  it('an entry is committed by a majority of acknowledgements, whatever the cluster size', () => {
    const cases: { size: number; acks: string[]; committed: boolean }[] = [
      { size: 1, acks: [], committed: true },
      { size: 3, acks: [], committed: false },
      { size: 3, acks: ['b'], committed: true },
      { size: 3, acks: ['b', 'c'], committed: true },
      { size: 5, acks: [], committed: false },
      { size: 5, acks: ['b'], committed: false },
      { size: 5, acks: ['b', 'c'], committed: true },
      { size: 5, acks: ['b', 'c', 'd', 'e'], committed: true },
    ];
    for (const c of cases) {
      const r = newRaft('a', five.slice(0, c.size), { term: 1 });
      makeLeader(r);
      r.propose(enc('x'));
      flush(r);
      for (const from of c.acks) ack(r, from, 2);
      expect(r.log.committed >= 2, JSON.stringify(c)).toBe(c.committed);
    }
  });

  it.each([[[]], [[2]], [[1, 1]], [[1, 2]]])('the leader commits the entries before its own with them (log %j)', (terms) => {
    const r = newRaft('a', abc, { terms, term: 2 });
    makeLeader(r); // term 3
    r.propose(enc('some data'));
    flush(r);
    const last = r.log.lastIndex();
    ack(r, 'b', last);
    expect(r.log.committed).toBe(last);
    expect(r.log.slice(1)?.map((e) => e.term)).toEqual([...terms, 3, 3]);
  });

  it('a follower commits what the leader says is committed, up to what it has received', () => {
    const cases = [
      { ents: 1, commit: 1, want: ['e1'] },
      { ents: 2, commit: 2, want: ['e1', 'e2'] },
      { ents: 2, commit: 1, want: ['e1'] },
      { ents: 1, commit: 5, want: ['e1'] },
    ];
    for (const c of cases) {
      const r = newRaft('a', abc, { term: 1 });
      const entries = logOf(Array<number>(c.ents).fill(1)).map((e) => ({ ...e, data: enc(`e${e.index}`) }));
      r.step(message({ type: 'app', from: 'b', to: 'a', term: 1, index: 0, logTerm: 0, entries, commit: c.commit }));
      expect(appliedData(r), JSON.stringify(c)).toEqual(c.want);
    }
  });

  it('a leader never commits an entry of an older term by counting replicas (Figure 8)', () => {
    const cases = [
      { index: 1, committed: 0 }, // term 1: on a majority, still not committed
      { index: 2, committed: 0 }, // term 2: the same
      { index: 3, committed: 3 }, // the leader's own first entry, term 3: commits everything
    ];
    for (const c of cases) {
      const r = newRaft('a', abc, { terms: [1, 2], term: 2 });
      makeLeader(r);
      ack(r, 'b', c.index);
      expect(r.log.committed, JSON.stringify(c)).toBe(c.committed);
    }
  });

  /** Campaigns until `id` wins: a first attempt may fail on votes already given in its term. */
  function electAgain(net: TestNetwork, id: string): void {
    for (let i = 0; i < 3 && net.node(id).state !== 'leader'; i++) net.elect(id);
  }

  /**
   * The five-server history of Figure 8, up to (c): `a` leads in term 4 and has its term-2 entry
   * 'x' on a majority (a, c, d and b), while its own term-4 entry is held back. `e` has entries of
   * term 3 at the same indexes, which a majority would vote for.
   */
  function figure8(): TestNetwork {
    const net = new TestNetwork(five, { maxSizePerMsg: 1 });
    net.elect('a'); // term 2, its first entry at 6 reaches everyone
    // (a) a replicates 'x' at 7 to b only
    for (const id of ['c', 'd', 'e']) net.cutLink('a', id);
    net.propose('a', 'x');
    expect(net.node('b').log.term(7)).toBe(2);

    // (b) a crashes; e wins term 3 with c and d, and appends 7 and 8 before it crashes itself
    net.recover();
    net.isolate('a');
    net.ignore('app');
    net.elect('e');
    expect(net.node('e').state).toBe('leader');
    net.propose('e', 'y');
    expect(termsOf(net.node('e')).slice(6)).toEqual([3, 3]);

    // (c) a comes back and wins term 4; it brings 'x' to c and d, but its own entry (term 4) is
    // held back: any append that would land it on a follower
    net.restart('a');
    net.recover();
    net.isolate('e');
    net.intercept = (m) =>
      m.type === 'app' && m.entries.some((e) => e.term === 4) && net.node(m.to).log.matchTerm(m.index, m.logTerm);
    electAgain(net, 'a'); // its first try, in term 3, meets the votes c and d gave e
    expect(net.node('a').term).toBe(4);
    for (const id of ['a', 'b', 'c', 'd']) expect(net.node(id).log.term(7), id).toBe(2);
    return net;
  }

  it('an old-term entry stored on a majority is not committed, and a later leader may replace it (Figure 8)', () => {
    const net = figure8();
    const a = net.node('a');
    expect(a.status().progress?.c?.match).toBe(7);
    expect(a.status().progress?.d?.match).toBe(7);
    expect(a.log.committed).toBe(6);

    // (d) a crashes before its term-4 entry is stored anywhere; e is elected and overwrites 7.
    net.intercept = undefined;
    net.held = [];
    net.restart('e');
    net.recover();
    net.isolate('a');
    electAgain(net, 'e');
    expect(net.node('e').state).toBe('leader');
    for (const id of ['b', 'c', 'd', 'e']) {
      expect(termsOf(net.node(id)).slice(6), id).toEqual([3, 3, 5]);
      expect(net.applied.get(id), id).toEqual(['y']);
    }
    net.recover();
    net.tick('e');
    expect(termsOf(a)).toEqual(termsOf(net.node('e')));
    expect(net.applied.get('a')).toEqual(['y']); // 'x' was never applied anywhere
  });

  it('an old-term entry is committed indirectly, by the commitment of an entry of the current term', () => {
    const net = figure8();
    const a = net.node('a');
    net.intercept = undefined;
    net.release(); // the term-4 entry now reaches b, c and d
    expect(a.log.committed).toBe(8);
    expect(a.log.term(8)).toBe(4);
    for (const id of ['a', 'b', 'c', 'd']) expect(net.applied.get(id), id).toEqual(['x']);
  });

  it('a single-node cluster commits on its own', () => {
    const net = new TestNetwork(['a']);
    net.elect('a');
    net.propose('a', 'x');
    net.propose('a', 'y');
    expect(net.applied.get('a')).toEqual(['x', 'y']);
    expect(net.node('a').log.committed).toBe(net.node('a').log.lastIndex());
  });

  /** Five nodes led by a, which has proposed x and y while only b could hear it. */
  function minorityLeader(): TestNetwork {
    const net = new TestNetwork(five);
    net.elect('a');
    for (const id of ['c', 'd', 'e']) net.isolate(id);
    net.propose('a', 'x');
    net.propose('a', 'y');
    net.tick('a', 3);
    return net;
  }

  it('nothing is committed without a quorum', () => {
    const net = minorityLeader();
    const a = net.node('a');
    expect(a.log.lastIndex()).toBe(8);
    expect(a.log.committed).toBe(6); // its first entry, from before the partition
    expect(net.node('b').log.lastIndex()).toBe(8);
    expect(net.applied.get('a')).toEqual([]);
    expect(net.applied.get('b')).toEqual([]);
  });

  it('what waited for a quorum is committed once the partition heals', () => {
    const net = minorityLeader();
    net.recover();
    net.tick('a'); // a heartbeat; the answers show who is behind
    for (const id of five) expect(net.applied.get(id), id).toEqual(['x', 'y']);
  });

  it('a follower learns the commit index from heartbeats, never moving it back or past its log', () => {
    const r = newRaft('b', abc, { terms: [1, 1, 1], term: 1, commit: 1 });
    flush(r);
    const beat = (commit: number) => r.step(message({ type: 'heartbeat', from: 'a', to: 'b', term: 1, commit }));
    beat(2);
    expect(r.log.committed).toBe(2);
    beat(1);
    expect(r.log.committed).toBe(2);
    beat(9); // more than it has: it cannot know those entries, so it ignores the claim
    expect(r.log.committed).toBe(2);
    beat(3);
    expect(r.log.committed).toBe(3);
    expect(ofType(flush(r), 'heartbeatResp')).toHaveLength(4);
  });

  it('a new leader commits its predecessor’s pending entries through its own first entry', () => {
    const net = new TestNetwork(five);
    net.elect('a');
    for (const id of ['c', 'd', 'e']) net.cutLink('a', id);
    net.propose('a', 'x');
    net.propose('a', 'y');
    expect(net.applied.get('a')).toEqual([]);

    net.recover();
    net.elect('b'); // b has x and y, so it can win; its first entry commits them
    expect(net.node('b').state).toBe('leader');
    for (const id of five) expect(net.applied.get(id), id).toEqual(['x', 'y']);
  });
});
