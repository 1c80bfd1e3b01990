// Pre-vote and check-quorum (dissertation §9.6), after etcd's TestPreVote*, TestCheckQuorum*,
// TestFreeStuckCandidateWithCheckQuorum and the disruption cases: a node that was cut off must
// not depose a healthy leader when it comes back, and a cut-off leader must step down.

import { describe, expect, it } from 'vitest';
import type { Random } from '../../../core/random.ts';
import { message } from '../../../core/raft/types.ts';
import { TestNetwork, flush, makeLeader, newRaft, ofType } from './harness.ts';

const abc = ['a', 'b', 'c'];

/** Random that always picks the largest value: election timeouts are 2 * electionTick - 1. */
const slowest: Random = { next: () => 0.999, int: (n) => n - 1 };

describe('pre-vote', () => {
  it('a node back from isolation with a stale log does not disrupt the leader', () => {
    const net = new TestNetwork(abc, { preVote: true });
    net.elect('a');
    net.isolate('c');
    net.propose('a', 'x'); // c misses it
    for (let i = 0; i < 100; i++) net.tick('c');
    expect(net.node('c').state).toBe('preCandidate');
    expect(net.node('c').term).toBe(2); // pre-votes never raised its term

    net.recover();
    for (let i = 0; i < 30; i++) net.tick('c'); // its pre-votes are refused: its log is behind
    net.tick('a'); // the leader's heartbeat brings it back as a follower
    for (const id of abc) expect(net.node(id).term, id).toBe(2);
    expect(net.node('a').state).toBe('leader');
    expect(net.node('c').lead).toBe('a');
    expect(net.sent('vote')).toHaveLength(2); // only a's own election, long ago
    expect(net.applied.get('c')).toEqual(['x']);
  });

  it('without pre-vote, the same node does disrupt the leader', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('c');
    net.propose('a', 'x');
    for (let i = 0; i < 100; i++) net.tick('c');
    expect(net.node('c').term).toBeGreaterThan(2);
    net.recover();
    net.tick('c', 20);
    expect(net.node('a').state).toBe('follower'); // deposed by c's higher term
    expect(net.node('a').term).toBeGreaterThan(2);
  });

  it('a pre-vote is refused to a log that is behind, and never changes the voter’s term or vote', () => {
    const r = newRaft('a', abc, { terms: [1, 1, 1], term: 1 });
    r.step(message({ type: 'preVote', from: 'b', to: 'a', term: 2, index: 2, logTerm: 1 }));
    expect(ofType(flush(r), 'preVoteResp')).toMatchObject([{ to: 'b', reject: true, term: 1 }]);

    r.step(message({ type: 'preVote', from: 'c', to: 'a', term: 2, index: 3, logTerm: 1 }));
    // Granted in the term the candidate would campaign in.
    expect(ofType(flush(r), 'preVoteResp')).toMatchObject([{ to: 'c', reject: false, term: 2 }]);
    expect(r.term).toBe(1);
    expect(r.vote).toBe('');
  });

  it('a pre-candidate that wins its pre-vote campaigns for real and wins', () => {
    const net = new TestNetwork(abc, { preVote: true });
    net.elect('a');
    expect(net.node('a').state).toBe('leader');
    expect(net.node('a').term).toBe(2);
    expect(net.sent('preVote', 'a')).toHaveLength(2);
    expect(net.sent('vote', 'a')).toHaveLength(2);
  });

  it('a pre-candidate refused by a node of a higher term adopts that term as a follower', () => {
    const r = newRaft('a', abc, { term: 1, preVote: true });
    r.campaign();
    expect(r.state).toBe('preCandidate');
    r.step(message({ type: 'preVoteResp', from: 'b', to: 'a', term: 5, reject: true }));
    expect(r.state).toBe('follower');
    expect(r.term).toBe(5);
  });

  it('duelling pre-candidates: the one with the shorter log never raises the term', () => {
    const net = new TestNetwork(abc, { preVote: true });
    net.cutLink('a', 'c');
    net.elect('a'); // wins with b; its first entry does not reach c
    net.elect('c'); // b refuses (c's log is behind), in term 2: c learns the term, as a follower
    expect(net.node('a').state).toBe('leader');
    expect(net.node('c').state).toBe('follower');

    net.recover();
    net.elect('c'); // refused by both now
    expect(net.node('a').state).toBe('leader');
    expect(net.node('c').state).toBe('follower');
    for (const id of abc) expect(net.node(id).term, id).toBe(2);
  });

  it('a split vote between two pre-candidates is resolved by the next timeout', () => {
    const net = new TestNetwork(abc, { preVote: true });
    net.elect('a');
    net.isolate('a');
    const hup = (id: string) => message({ type: 'hup', from: id, to: id });
    net.send(hup('b'), hup('c')); // at the same time: each grants the other's pre-vote, then votes for itself
    for (const id of ['b', 'c']) {
      expect(net.node(id).state, id).toBe('candidate');
      expect(net.node(id).term, id).toBe(3);
    }
    net.elect('b');
    expect(net.node('b').state).toBe('leader');
    expect(net.node('b').term).toBe(4);
    expect(net.node('c').state).toBe('follower');
  });

  it('after the leader crashes, a node left behind at a smaller term does not block the election', () => {
    const net = new TestNetwork(abc, { preVote: true });
    net.isolate('c');
    net.elect('a'); // term 2
    net.elect('c'); // alone: stays a pre-candidate at term 1
    net.elect('b'); // term 3
    expect([net.node('a').term, net.node('b').term, net.node('c').term]).toEqual([3, 3, 1]);
    expect(net.node('b').state).toBe('leader');
    expect(net.node('c').state).toBe('preCandidate');

    net.recover();
    net.isolate('b'); // the leader crashes
    net.elect('c'); // refused by a (newer log, newer term): c learns term 3
    net.elect('a');
    expect(net.node('a').state).toBe('leader');
    expect(net.node('a').term).toBe(4);
    expect(net.node('c').lead).toBe('a');
  });

  it('with pre-vote and check-quorum, a returning node with an equal log does not disrupt either', () => {
    const net = new TestNetwork(abc, { preVote: true, checkQuorum: true });
    net.elect('a');
    net.isolate('c');
    net.tickAll(60); // c keeps pre-campaigning on its own; a and b go on
    expect(net.node('c').term).toBe(2);
    net.recover();
    net.tickAll(60); // c's pre-votes reach nodes in their lease: ignored
    expect(net.node('a').state).toBe('leader');
    for (const id of abc) expect(net.node(id).term, id).toBe(2);
    expect(net.node('c').lead).toBe('a');
  });
});

describe('check-quorum', () => {
  it('a leader that hears from no quorum for an election timeout steps down', () => {
    const net = new TestNetwork(abc, { checkQuorum: true });
    net.elect('a');
    net.isolate('a');
    let ticks = 0;
    while (net.node('a').state === 'leader' && ticks < 100) {
      net.tick('a');
      ticks++;
    }
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').lead).toBe('');
    // It learns of the loss at the first check-quorum round in which nobody answered.
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThanOrEqual(20);
  });

  it('a new leader that hears from no follower at all steps down after one election timeout', () => {
    // Winning the election is not hearing from the followers since: only answers count.
    const r = newRaft('a', abc, { term: 1, checkQuorum: true });
    makeLeader(r);
    for (let i = 0; i < 9; i++) r.tick();
    expect(r.state).toBe('leader');
    r.tick();
    expect(r.state).toBe('follower');
    expect(r.term).toBe(2);
  });

  it('a member just added counts as active for one round, so the leader does not step down at once', () => {
    const net = new TestNetwork(['a'], { checkQuorum: true });
    net.elect('a');
    net.node('a').proposeConfChange({ type: 'addNode', nodeId: 'b' }); // b never shows up
    net.send();
    expect(net.node('a').voters().sort()).toEqual(['a', 'b']);
    net.tick('a', 10);
    expect(net.node('a').state).toBe('leader');
    net.tick('a', 10);
    expect(net.node('a').state).toBe('follower');
  });

  it('a leader that hears from a quorum stays leader, even with a follower down', () => {
    const net = new TestNetwork(abc, { checkQuorum: true });
    net.elect('a');
    net.isolate('c');
    net.tick('a', 100);
    expect(net.node('a').state).toBe('leader');
    expect(net.node('a').term).toBe(2);
  });

  it('a follower that heard from its leader recently ignores a vote request, until the lease runs out', () => {
    const net = new TestNetwork(abc, { checkQuorum: true });
    net.elect('a');
    net.tick('a');
    net.elect('b'); // a and c are in their lease: they ignore b
    expect(net.sent('voteResp', 'c', 'b')).toEqual([]);
    expect(net.node('a').state).toBe('leader');
    expect(net.node('c').term).toBe(2);

    // The same, on one follower driven by hand: in the lease, a vote request is not even answered...
    const r = newRaft('c', abc, { term: 2, checkQuorum: true, random: slowest });
    r.step(message({ type: 'heartbeat', from: 'a', to: 'c', term: 2 }));
    flush(r);
    r.step(message({ type: 'vote', from: 'b', to: 'c', term: 3, index: 9, logTerm: 2 }));
    expect(ofType(flush(r), 'voteResp')).toEqual([]);
    expect(r.term).toBe(2);
    // ...but after an election timeout without news from the leader, it is granted.
    for (let i = 0; i < 10; i++) r.tick();
    expect(r.state).toBe('follower');
    r.step(message({ type: 'vote', from: 'b', to: 'c', term: 3, index: 9, logTerm: 2 }));
    expect(ofType(flush(r), 'voteResp')).toMatchObject([{ to: 'b', reject: false, term: 3 }]);
  });

  it('a candidate stuck at a higher term is freed: the leader it cannot depose learns its term', () => {
    const net = new TestNetwork(abc, { checkQuorum: true });
    net.elect('a');
    net.isolate('a');
    net.elect('c'); // b is in its lease: c stays a candidate
    expect(net.node('b').state).toBe('follower');
    expect(net.node('c').state).toBe('candidate');
    expect(net.node('c').term).toBe(net.node('b').term + 1);
    net.elect('c');
    expect(net.node('c').term).toBe(net.node('b').term + 2);

    net.recover();
    net.tick('a'); // its heartbeat to c is answered with c's higher term: a steps down
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').term).toBe(net.node('c').term);

    net.elect('c'); // now a (no leader, no lease) grants c its vote
    expect(net.node('c').state).toBe('leader');
    net.propose('c', 'unstuck');
    for (const id of abc) expect(net.applied.get(id), id).toEqual(['unstuck']);
  });

  it('a stale leader steps down on the higher-term answer to its heartbeat', () => {
    const net = new TestNetwork(abc, { preVote: true });
    net.elect('a');
    net.isolate('a');
    net.elect('b'); // term 3
    expect(net.node('b').state).toBe('leader');
    net.recover();
    net.tick('a'); // b is not ticked: only the answers to a's own heartbeat reach a
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').term).toBe(3);
    expect(net.sent('heartbeat', 'b', 'a')).toEqual([]);
  });
});
