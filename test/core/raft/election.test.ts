// Leader election (Raft §5.1, §5.2, §5.4.1), after the election cases of etcd's raft_paper_test.go
// and raft_test.go, re-expressed on our core: string ids, bootstrap configuration entries at
// term 1, pre-vote and check-quorum off unless a test turns them on.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../core/random.ts';
import { NONE, message, type Message, type StateType } from '../../../core/raft/types.ts';
import { TestNetwork, diskState, flush, logOf, makeLeader, newRaft, ofType, termsOf } from './harness.ts';

const abc = ['a', 'b', 'c'];

/** An append from `from` in `term` that carries nothing: enough to assert leadership. */
const appFrom = (from: string, to: string, term: number): Message => message({ type: 'app', from, to, term });

describe('election', () => {
  it('a node starts as a follower with no leader', () => {
    const r = newRaft('a', abc);
    expect(r.state).toBe('follower');
    expect(r.lead).toBe(NONE);
    expect(r.term).toBe(0);
    const net = new TestNetwork(abc);
    for (const id of abc) {
      expect(net.node(id).state).toBe('follower');
      expect(net.node(id).term).toBe(1); // the bootstrap entries are at term 1
    }
  });

  it.each<StateType>(['follower', 'candidate', 'leader'])(
    'a %s that sees a higher term adopts it and follows the sender of an append',
    (state) => {
      const r = newRaft('a', abc, { term: 1 });
      if (state === 'candidate') r.campaign();
      if (state === 'leader') makeLeader(r);
      flush(r);
      expect(r.state).toBe(state);
      r.step(appFrom('b', 'a', 5));
      expect(r.state).toBe('follower');
      expect(r.term).toBe(5);
      expect(r.lead).toBe('b');
      expect(r.vote).toBe(NONE);
    },
  );

  it('a leader steps down on a vote request of a higher term, without knowing the new leader', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    r.step(message({ type: 'vote', from: 'c', to: 'a', term: 7, index: 99, logTerm: 7 }));
    expect(r.state).toBe('follower');
    expect(r.term).toBe(7);
    expect(r.lead).toBe(NONE);
    expect(r.vote).toBe('c'); // and it granted the vote: c's log is more up to date
  });

  it.each<StateType>(['follower', 'preCandidate', 'candidate', 'leader'])(
    'a %s grants a vote of a newer term to an up-to-date log, and a pre-vote without changing anything',
    (state) => {
      const setup = () => {
        const r = newRaft('a', abc, { term: 1, terms: [1], preVote: state === 'preCandidate' });
        if (state === 'preCandidate' || state === 'candidate') r.campaign();
        if (state === 'leader') makeLeader(r);
        flush(r);
        expect(r.state).toBe(state);
        return r;
      };
      const r = setup();
      const term = r.term + 1;
      r.step(message({ type: 'vote', from: 'b', to: 'a', term, index: 5, logTerm: term }));
      expect(ofType(flush(r), 'voteResp')).toMatchObject([{ to: 'b', term, reject: false }]);
      expect([r.state, r.term, r.vote]).toEqual(['follower', term, 'b']);

      const p = setup();
      const before = [p.state, p.term, p.vote];
      p.step(message({ type: 'preVote', from: 'b', to: 'a', term: p.term + 1, index: 5, logTerm: p.term + 1 }));
      expect(ofType(flush(p), 'preVoteResp')).toMatchObject([{ to: 'b', term: p.term + 1, reject: false }]);
      expect([p.state, p.term, p.vote]).toEqual(before);
    },
  );

  it('a message of a stale term is ignored', () => {
    const r = newRaft('a', abc, { term: 2 });
    flush(r);
    r.step(appFrom('b', 'a', 1));
    r.step(message({ type: 'vote', from: 'c', to: 'a', term: 1, index: 5, logTerm: 1 }));
    expect(r.term).toBe(2);
    expect(r.lead).toBe(NONE);
    expect(r.vote).toBe(NONE);
    expect(flush(r)).toEqual([]);
  });

  it('the leader sends heartbeats to every follower each heartbeat interval', () => {
    const r = newRaft('a', abc, { term: 1, heartbeatTick: 3 });
    makeLeader(r);
    for (let i = 0; i < 2; i++) {
      r.tick();
      expect(ofType(flush(r), 'heartbeat')).toEqual([]);
    }
    r.tick();
    const beats = ofType(flush(r), 'heartbeat');
    expect(beats.map((m) => m.to).sort()).toEqual(['b', 'c']);
    for (const m of beats) {
      expect(m.term).toBe(2);
      expect(m.entries).toEqual([]);
    }
  });

  it.each<StateType>(['follower', 'candidate'])('a %s that hears nothing for an election timeout starts an election', (state) => {
    const r = newRaft('a', abc, { term: 1, terms: [1] });
    if (state === 'candidate') r.campaign();
    flush(r);
    const before = r.term;
    for (let i = 0; i < 2 * 10; i++) r.tick();
    expect(r.state).toBe('candidate');
    expect(r.term).toBe(before + 1);
    expect(r.vote).toBe('a');
    const votes = ofType(flush(r), 'vote');
    expect(votes.map((m) => m.to).sort()).toEqual(['b', 'c']);
    for (const m of votes) expect([m.term, m.index, m.logTerm]).toEqual([before + 1, 1, 1]);
  });

  it('an election is won, lost or still open after one round, by the count of votes', () => {
    const ids = (n: number) => ['a', 'b', 'c', 'd', 'e'].slice(0, n);
    const cases: { size: number; votes: Record<string, boolean>; want: StateType }[] = [
      { size: 1, votes: {}, want: 'leader' },
      { size: 3, votes: { b: true, c: true }, want: 'leader' },
      { size: 3, votes: { b: true }, want: 'leader' },
      { size: 5, votes: { b: true, c: true, d: true, e: true }, want: 'leader' },
      { size: 5, votes: { b: true, c: true, d: true }, want: 'leader' },
      { size: 5, votes: { b: true, c: true }, want: 'leader' },
      // a majority rejects: back to follower
      { size: 3, votes: { b: false, c: false }, want: 'follower' },
      { size: 5, votes: { b: false, c: false, d: false, e: false }, want: 'follower' },
      { size: 5, votes: { b: true, c: false, d: false, e: false }, want: 'follower' },
      // neither: still a candidate, waiting for its timeout
      { size: 3, votes: {}, want: 'candidate' },
      { size: 5, votes: { b: true }, want: 'candidate' },
      { size: 5, votes: { b: false, c: false }, want: 'candidate' },
      { size: 5, votes: {}, want: 'candidate' },
    ];
    for (const c of cases) {
      const r = newRaft('a', ids(c.size));
      r.campaign();
      for (const [from, granted] of Object.entries(c.votes)) {
        r.step(message({ type: 'voteResp', from, to: 'a', term: r.term, reject: !granted }));
      }
      expect(r.state, JSON.stringify(c)).toBe(c.want);
      expect(r.term).toBe(1);
    }
  });

  it('a follower votes at most once per term, for the first candidate that asks', () => {
    const cases: { vote: string; from: string; reject: boolean }[] = [
      { vote: NONE, from: 'b', reject: false },
      { vote: NONE, from: 'c', reject: false },
      { vote: 'b', from: 'b', reject: false }, // the same candidate asking again is answered the same
      { vote: 'c', from: 'c', reject: false },
      { vote: 'b', from: 'c', reject: true },
      { vote: 'c', from: 'b', reject: true },
    ];
    for (const c of cases) {
      const r = newRaft('a', abc, { term: 1, vote: c.vote });
      r.step(message({ type: 'vote', from: c.from, to: 'a', term: 1 }));
      const [resp, ...rest] = ofType(flush(r), 'voteResp');
      expect(rest).toEqual([]);
      expect(resp?.to).toBe(c.from);
      expect(resp?.reject, JSON.stringify(c)).toBe(c.reject);
      expect(r.vote).toBe(c.vote === NONE ? c.from : c.vote);
    }
  });

  it('a candidate falls back to follower on an append from a leader of its term or a newer one', () => {
    for (const term of [1, 2]) {
      const r = newRaft('a', abc);
      r.campaign();
      expect(r.term).toBe(1);
      r.step(appFrom('b', 'a', term));
      expect(r.state).toBe('follower');
      expect(r.term).toBe(term);
      expect(r.lead).toBe('b');
    }
  });

  it('election timeouts are randomized between electionTick and twice that', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 100; seed++) {
      const r = newRaft('a', abc, { random: seededRandom(seed) });
      let ticks = 0;
      while (r.state === 'follower' && ticks < 100) {
        r.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThanOrEqual(8); // spread over the whole range, not one value
  });

  it('randomized timeouts rarely let two followers time out in the same tick', () => {
    let conflicts = 0;
    const runs = 300;
    for (let run = 0; run < runs; run++) {
      const timeouts = ['a', 'b', 'c', 'd', 'e'].map((id, i) => {
        const r = newRaft(id, ['a', 'b', 'c', 'd', 'e'], { random: seededRandom(run * 5 + i + 1) });
        let ticks = 0;
        while (r.state === 'follower') {
          r.tick();
          ticks++;
        }
        return ticks;
      });
      const first = Math.min(...timeouts);
      if (timeouts.filter((t) => t === first).length > 1) conflicts++;
    }
    expect(conflicts / runs).toBeLessThan(0.3);
  });

  it('a vote is granted only to a candidate whose log is at least as up to date (§5.4.1)', () => {
    const cases: { log: number[]; index: number; logTerm: number; reject: boolean }[] = [
      // same last term: longer or equal wins
      { log: [1], index: 1, logTerm: 1, reject: false },
      { log: [1], index: 2, logTerm: 1, reject: false },
      { log: [1, 1], index: 1, logTerm: 1, reject: true },
      // the candidate's last term is newer: granted even with a shorter log
      { log: [1], index: 1, logTerm: 2, reject: false },
      { log: [1], index: 2, logTerm: 2, reject: false },
      { log: [1, 1], index: 1, logTerm: 2, reject: false },
      // the voter's last term is newer: refused even to a longer log
      { log: [2], index: 1, logTerm: 1, reject: true },
      { log: [2], index: 2, logTerm: 1, reject: true },
      { log: [1, 2], index: 5, logTerm: 1, reject: true },
    ];
    for (const c of cases) {
      const r = newRaft('a', abc, { terms: c.log });
      r.step(message({ type: 'vote', from: 'b', to: 'a', term: 3, index: c.index, logTerm: c.logTerm }));
      const resp = ofType(flush(r), 'voteResp')[0];
      expect(resp?.reject, JSON.stringify(c)).toBe(c.reject);
      expect(r.term).toBe(3);
      expect(r.vote).toBe(c.reject ? NONE : 'b');
    }
  });

  it('a candidate loses when a majority holds more up-to-date logs', () => {
    const net = TestNetwork.withLogs({ a: [], b: [1], c: [1], d: [1, 1], e: [] });
    net.elect('a');
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').term).toBe(1);
    // One of the up-to-date nodes can win.
    net.elect('d');
    expect(net.node('d').state).toBe('leader');
  });

  it('a candidate cut off from the majority stays a candidate', () => {
    const net = new TestNetwork(abc);
    net.isolate('a');
    net.elect('a');
    expect(net.node('a').state).toBe('candidate');
    net.elect('a');
    expect(net.node('a').state).toBe('candidate');
    expect(net.node('a').term).toBe(3);
    expect(net.node('b').term).toBe(1);
  });

  it('a single-node cluster elects itself at once', () => {
    for (const preVote of [false, true]) {
      const net = new TestNetwork(['a'], { preVote });
      net.elect('a');
      expect(net.node('a').state).toBe('leader');
      expect(net.node('a').term).toBe(2);
    }
  });

  it('campaigning while already the leader changes nothing', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    const since = net.delivered.length;
    net.elect('a');
    expect(net.node('a').state).toBe('leader');
    expect(net.node('a').term).toBe(2);
    expect(net.delivered.slice(since)).toEqual([]);
  });

  it('every member can be elected in turn', () => {
    const net = new TestNetwork(abc);
    for (const id of [...abc, ...abc]) {
      net.elect(id);
      for (const other of abc) {
        expect(net.node(other).state).toBe(other === id ? 'leader' : 'follower');
        expect(net.node(other).lead).toBe(id);
      }
    }
  });

  it('duelling candidates: the one with the shorter log disrupts the term but cannot win', () => {
    const net = new TestNetwork(abc);
    net.cutLink('a', 'c');
    net.elect('a'); // wins with b; its first entry reaches b only
    net.elect('c'); // b already voted in this term: c stays a candidate
    expect(net.node('a').state).toBe('leader');
    expect(net.node('c').state).toBe('candidate');

    net.recover();
    net.elect('c'); // a higher term deposes a, but both a and b refuse c's shorter log
    for (const id of abc) {
      expect(net.node(id).state, id).toBe('follower');
      expect(net.node(id).term, id).toBe(3);
    }
    expect(net.node('a').log.lastIndex()).toBe(4);
    expect(net.node('b').log.lastIndex()).toBe(4);
    expect(net.node('c').log.lastIndex()).toBe(3);

    // Time brings a new leader, which must be a or b, and c catches up.
    net.tickAll(40);
    const leader = net.leader();
    expect(leader && ['a', 'b'].includes(leader.id)).toBe(true);
    expect(termsOf(net.node('c'))).toEqual(termsOf(leader!));
  });

  it('a candidate concedes when it hears from the leader elected meanwhile', () => {
    const net = new TestNetwork(abc);
    net.isolate('a');
    net.elect('a');
    net.elect('c');
    expect(net.node('a').state).toBe('candidate');
    expect(net.node('c').state).toBe('leader');
    expect(net.node('a').term).toBe(net.node('c').term);

    net.recover();
    net.tick('c'); // a heartbeat of the same term
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').lead).toBe('c');
    net.propose('c', 'force');
    expect(termsOf(net.node('a'))).toEqual(termsOf(net.node('c')));
    expect(net.applied.get('a')).toEqual(['force']);
  });

  it('an append left over from an old term changes nothing', () => {
    const net = new TestNetwork(abc);
    net.elect('a'); // term 2
    net.elect('b'); // term 3
    net.elect('a'); // term 4
    net.send(message({ type: 'app', from: 'b', to: 'a', term: 2, index: 3, logTerm: 1, entries: logOf([2], 4) }));
    expect(net.node('a').state).toBe('leader');
    expect(net.node('a').term).toBe(4);
    net.propose('a', 'somedata');
    for (const id of abc) {
      expect(termsOf(net.node(id)), id).toEqual([1, 1, 1, 2, 3, 4, 4]);
      expect(net.applied.get(id)).toEqual(['somedata']);
    }
  });

  it('a node learns of a newer term from a failed election and wins the next one, overwriting a newer log', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const net = new TestNetwork(ids, {}, {
      a: diskState(ids, { terms: [1] }), // won the first election
      b: diskState(ids, { terms: [1] }), // got its entry
      c: diskState(ids, { terms: [2] }), // won a second election
      d: diskState(ids, { term: 2, vote: 'c' }), // voted for c, got nothing
      e: diskState(ids, { term: 2, vote: 'c' }),
    });
    net.elect('a'); // a quorum knows of term 2 already: fails, but a moves to term 2
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').term).toBe(2);
    net.elect('a');
    expect(net.node('a').state).toBe('leader');
    expect(net.node('a').term).toBe(3);
    // c's uncommitted entry of term 2 is replaced by a's log.
    for (const id of ids) expect(termsOf(net.node(id)), id).toEqual([1, 3]);
  });

  it('a deposed leader steps down when the new leader reaches it, and loses its uncommitted entries', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('a');
    net.propose('a', 'lost'); // cannot commit alone
    net.elect('b');
    net.propose('b', 'kept');
    expect(net.node('a').state).toBe('leader'); // it does not know yet

    net.recover();
    net.tick('b');
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').term).toBe(net.node('b').term);
    expect(net.node('a').lead).toBe('b');
    for (const id of abc) expect(net.applied.get(id), id).toEqual(['kept']);
    expect(termsOf(net.node('a'))).toEqual(termsOf(net.node('b')));
  });
});
