// Log replication (Raft §5.3), after etcd's raft_paper_test.go and the flow-control cases of
// raft_test.go: the consistency check, conflict repair, fast backtracking, probe and replicate
// flow control, forwarding, restarts.

import { describe, expect, it } from 'vitest';
import { NONE, message, type Entry, type Message } from '../../../core/raft/types.ts';
import { TestNetwork, ack, diskState, enc, flush, logOf, makeLeader, newRaft, ofType, termsOf } from './harness.ts';

const abc = ['a', 'b', 'c'];

/** An append from leader b in `term`. */
function app(term: number, index: number, logTerm: number, entries: Entry[] = [], commit = 0): Message {
  return message({ type: 'app', from: 'b', to: 'a', term, index, logTerm, entries, commit });
}

/** The node's answers to one message. */
function answer(r: ReturnType<typeof newRaft>, m: Message): Message[] {
  r.step(m);
  return flush(r);
}

describe('replication', () => {
  it('the leader appends a proposal and sends it to every follower after the previous entry', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r); // term 2, empty entry at 1
    ack(r, 'b', 1);
    ack(r, 'c', 1);
    expect(r.log.committed).toBe(1);

    r.propose(enc('some data'));
    expect(r.log.lastIndex()).toBe(2);
    const apps = ofType(flush(r), 'app');
    expect(apps.map((m) => m.to).sort()).toEqual(['b', 'c']);
    for (const m of apps) {
      expect([m.term, m.index, m.logTerm, m.commit]).toEqual([2, 1, 2, 1]);
      expect(m.entries.map((e) => [e.index, e.term])).toEqual([[2, 2]]);
    }
  });

  it('a follower accepts an append only when it holds the entry just before it', () => {
    const cases = [
      // before the commit index: answered with the commit index
      { index: 0, logTerm: 0, reject: false, want: 1, hint: 0 },
      { index: 1, logTerm: 1, reject: false, want: 1, hint: 0 },
      { index: 2, logTerm: 2, reject: false, want: 2, hint: 0 },
      // the entry at 2 has another term: reject, and hint at the last entry of a term <= 1
      { index: 2, logTerm: 1, reject: true, want: 2, hint: 1 },
      // beyond the log: reject, hint at our last entry
      { index: 3, logTerm: 3, reject: true, want: 3, hint: 2 },
    ];
    for (const c of cases) {
      const r = newRaft('a', abc, { terms: [1, 2], term: 2, commit: 1 });
      flush(r);
      const [resp] = ofType(answer(r, app(2, c.index, c.logTerm, [], 1)), 'appResp');
      expect(resp, JSON.stringify(c)).toMatchObject({ to: 'b', index: c.want, reject: c.reject, rejectHint: c.hint });
    }
  });

  it('a follower appends new entries and replaces a conflicting suffix with the leader’s', () => {
    const cases: { index: number; logTerm: number; ents: Entry[]; want: number[]; unstable: number[] }[] = [
      { index: 2, logTerm: 2, ents: logOf([3], 3), want: [1, 2, 3], unstable: [3] },
      { index: 1, logTerm: 1, ents: logOf([3, 4], 2), want: [1, 3, 4], unstable: [3, 4] },
      { index: 0, logTerm: 0, ents: logOf([1], 1), want: [1, 2], unstable: [] },
      { index: 0, logTerm: 0, ents: logOf([3], 1), want: [3], unstable: [3] },
    ];
    for (const c of cases) {
      const r = newRaft('a', abc, { terms: [1, 2], term: 2 });
      flush(r);
      r.step(app(2, c.index, c.logTerm, c.ents));
      expect(termsOf(r), JSON.stringify(c)).toEqual(c.want);
      const rd = r.ready();
      expect(rd.entries.map((e) => e.term)).toEqual(c.unstable);
      r.advance(rd);
    }
  });

  // The follower logs (a) to (f) of the paper's Figure 7, against the leader's log at the top.
  const figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  it.each([
    ['a', [1, 1, 1, 4, 4, 5, 5, 6, 6]],
    ['b', [1, 1, 1, 4]],
    ['c', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
    ['d', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
    ['e', [1, 1, 1, 4, 4, 4, 4]],
    ['f', [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
  ])('the leader brings follower (%s) of Figure 7 in line with its own log', (_name, follower) => {
    const ids = ['leader', 'follower', 'other'];
    const net = new TestNetwork(ids, {}, {
      leader: diskState(ids, { terms: figure7Leader, term: 7 }),
      follower: diskState(ids, { terms: follower, term: 7 }),
      other: diskState(ids, { terms: figure7Leader, term: 7 }),
    });
    net.elect('leader');
    expect(net.node('leader').state).toBe('leader');
    expect(net.node('leader').term).toBe(8);
    expect(termsOf(net.node('follower'))).toEqual([...figure7Leader, 8]);
    expect(net.node('follower').log.committed).toBe(11);
  });

  it.each([
    ['the follower has a long tail of an older term', [1, 1, 1, ...Array<number>(50).fill(3)], [1, 1, 1, ...Array<number>(100).fill(2)]],
    [
      'the follower has a long tail over several terms',
      [1, 1, 1, ...Array<number>(50).fill(4)],
      [1, 1, 1, ...Array<number>(30).fill(2), ...Array<number>(30).fill(3)],
    ],
    ['the follower is far behind', [1, 1, 1, ...Array<number>(80).fill(2)], [1, 1, 1]],
  ])('fast backtracking repairs a divergent log in a few round trips: %s', (_name, leaderLog, followerLog) => {
    const ids = ['leader', 'follower', 'other'];
    const net = new TestNetwork(ids, {}, {
      leader: diskState(ids, { terms: leaderLog }),
      follower: diskState(ids, { terms: followerLog }),
      other: diskState(ids, { terms: leaderLog }),
    });
    net.elect('leader');
    expect(net.node('leader').state).toBe('leader');
    const leaderTerm = net.node('leader').term;
    expect(termsOf(net.node('follower'))).toEqual([...leaderLog, leaderTerm]);
    // One rejection per differing term at most, not one per entry.
    const rejections = net.sent('appResp', 'follower', 'leader').filter((m) => m.reject);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(net.sent('app', 'leader', 'follower').length).toBeLessThanOrEqual(4);
  });

  it('log replication in a five-node cluster survives lossy links', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const net = new TestNetwork(ids);
    net.elect('a');
    net.drop('a', 'b', 0.5);
    net.drop('b', 'a', 0.5);
    net.drop('a', 'c', 0.3);
    net.drop('a', 'd', 0.2);
    const want: string[] = [];
    for (let i = 0; i < 30; i++) {
      want.push(`v${i}`);
      expect(net.propose('a', `v${i}`).ok).toBe(true);
      if (i % 3 === 0) net.tick('a');
    }
    // The quorum kept committing despite the losses.
    expect(net.node('a').log.committed).toBeGreaterThan(20);
    net.recover();
    for (let i = 0; i < 5; i++) net.tick('a');
    for (const id of ids) {
      expect(net.applied.get(id), id).toEqual(want);
      expect(termsOf(net.node(id))).toEqual(termsOf(net.node('a')));
    }
  });

  it('a proposal made on a follower is forwarded to the leader', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    const res = net.propose('b', 'somedata');
    expect(res).toEqual({ ok: true }); // the index is not known on the follower
    expect(net.sent('prop', 'b', 'a')).toHaveLength(1);
    for (const id of abc) expect(net.applied.get(id)).toEqual(['somedata']);
  });

  it('a proposal is dropped when there is no leader to take it', () => {
    const net = new TestNetwork(abc);
    expect(net.propose('a', 'x')).toMatchObject({ ok: false, reason: 'no leader' });
    net.isolate('a');
    net.elect('a');
    expect(net.node('a').state).toBe('candidate');
    expect(net.propose('a', 'y').ok).toBe(false);
    for (const id of abc) expect(net.applied.get(id)).toEqual([]);
  });

  it('in probe state the leader sends one append, then waits for its answer or a heartbeat response', () => {
    const r = newRaft('a', abc, { term: 1 });
    expect(ofType(makeLeader(r), 'app', 'b')).toHaveLength(1); // the probe with the leader's first entry
    expect(r.status().progress?.b?.state).toBe('probe');

    for (let i = 0; i < 3; i++) r.propose(enc(`p${i}`));
    expect(ofType(flush(r), 'app', 'b')).toEqual([]);
    r.tick();
    const out = flush(r);
    expect(ofType(out, 'heartbeat', 'b')).toHaveLength(1);
    expect(ofType(out, 'app', 'b')).toEqual([]);

    // The heartbeat's answer lets one more probe through, carrying everything pending.
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term }));
    const probes = ofType(flush(r), 'app', 'b');
    expect(probes).toHaveLength(1);
    expect(probes[0]!.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    r.propose(enc('more'));
    expect(ofType(flush(r), 'app', 'b')).toEqual([]);

    // Once the follower answers, it is in replicate state and gets appends at once.
    expect(ofType(ack(r, 'b', 4), 'app', 'b').map((m) => m.entries.map((e) => e.index))).toEqual([[5]]);
    expect(r.status().progress?.b?.state).toBe('replicate');
    r.propose(enc('next'));
    expect(ofType(flush(r), 'app', 'b')).toHaveLength(1);
  });

  it('in replicate state the leader keeps at most maxInflightMsgs appends unacknowledged', () => {
    const r = newRaft('a', abc, { term: 1, maxInflightMsgs: 3 });
    makeLeader(r);
    ack(r, 'b', 1);
    let sent = 0;
    for (let i = 0; i < 10; i++) {
      r.propose(enc(`p${i}`));
      sent += ofType(flush(r), 'app', 'b').length;
    }
    expect(sent).toBe(3); // entries 2, 3 and 4, one message each

    // Acknowledging the first frees one slot: everything pending goes in one message.
    const resumed = ofType(ack(r, 'b', 2), 'app', 'b');
    expect(resumed.map((m) => m.entries.map((e) => e.index))).toEqual([[5, 6, 7, 8, 9, 10, 11]]);
    r.propose(enc('full again'));
    expect(ofType(flush(r), 'app', 'b')).toEqual([]);

    // A heartbeat answer proves the follower alive and lets one append through.
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term }));
    expect(ofType(flush(r), 'app', 'b')).toHaveLength(1);
  });

  it('appends are split to respect maxSizePerMsg', () => {
    const r = newRaft('a', abc, { term: 1, maxSizePerMsg: 150 });
    makeLeader(r);
    ack(r, 'b', 1);
    ack(r, 'c', 1);
    r.reportUnreachable('b'); // back to probe, so b's entries pile up
    for (let i = 0; i < 4; i++) r.propose(new Uint8Array(100));
    flush(r);
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term }));
    const first = ofType(flush(r), 'app', 'b');
    expect(first.map((m) => m.entries.length)).toEqual([1]);
    const rest = ofType(ack(r, 'b', 2), 'app', 'b');
    expect(rest.map((m) => m.entries.length)).toEqual([1, 1, 1]);
  });

  it('heartbeats carry the commit index, but never beyond what the follower is known to have', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    r.propose([enc('x'), enc('y')]);
    flush(r);
    ack(r, 'b', 3);
    ack(r, 'c', 1);
    expect(r.log.committed).toBe(3);
    r.tick();
    const beats = ofType(flush(r), 'heartbeat');
    expect(beats.find((m) => m.to === 'b')?.commit).toBe(3);
    expect(beats.find((m) => m.to === 'c')?.commit).toBe(1);
  });

  it('a rejected append or an unreachable report sends a replicating follower back to probing', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    ack(r, 'b', 1);
    r.propose([enc('x'), enc('y')]);
    flush(r);
    expect(r.status().progress?.b).toMatchObject({ state: 'replicate', next: 4 });

    // b lost its entries after 1 (say, a wiped disk): it rejects; the leader probes from match+1.
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 3, reject: true, rejectHint: 1, logTerm: 2 }));
    const probe = ofType(flush(r), 'app', 'b');
    expect(probe.map((m) => m.index)).toEqual([1]);
    expect(r.status().progress?.b).toMatchObject({ state: 'probe', next: 2 });

    ack(r, 'c', 3);
    expect(r.status().progress?.c?.state).toBe('replicate');
    r.reportUnreachable('c');
    expect(r.status().progress?.c).toMatchObject({ state: 'probe', next: 4 });
  });

  it('a rejection that arrives after a newer acknowledgement is ignored', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    r.propose([enc('x'), enc('y')]);
    flush(r);
    ack(r, 'b', 3);
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 1, reject: true, rejectHint: 0 }));
    expect(ofType(flush(r), 'app', 'b')).toEqual([]);
    expect(r.status().progress?.b).toMatchObject({ state: 'replicate', match: 3, next: 4 });
  });

  it('a restarted node keeps its term, vote and log, and rejoins the cluster', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    const before = { term: net.node('b').term, vote: net.node('b').vote, log: termsOf(net.node('b')) };
    expect(before.vote).toBe('a');

    const b = net.restart('b');
    expect({ term: b.term, vote: b.vote, log: termsOf(b) }).toEqual(before);
    expect(b.state).toBe('follower');
    expect(b.lead).toBe(NONE);
    expect(b.log.committed).toBe(5);

    // It still remembers its vote in this term.
    net.send(message({ type: 'vote', from: 'c', to: 'b', term: b.term, index: 99, logTerm: b.term }));
    expect(net.sent('voteResp', 'b', 'c')[0]?.reject).toBe(true);

    net.propose('a', 'y');
    expect(b.lead).toBe('a');
    expect(net.applied.get('b')).toEqual(['x', 'y']); // applied again from the start: no snapshot
    expect(termsOf(b)).toEqual(termsOf(net.node('a')));
  });

  it('a node restarted with the index its state machine had applied does not apply those entries again', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    net.propose('a', 'y');
    const applied = net.node('b').log.applied;
    const b = net.restart('b', { applied });
    expect(b.log.applied).toBe(applied);
    net.propose('a', 'z');
    expect(net.applied.get('b')).toEqual(['z']);
  });
});
