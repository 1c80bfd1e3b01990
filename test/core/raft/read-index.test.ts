// Linearizable reads through ReadIndex (dissertation §6.4), after etcd's TestReadOnlyOptionSafe,
// TestReadOnlyForNewLeader and TestMsgReadIndex cases: a read is answered with the commit index
// once the leader has confirmed, by a quorum of heartbeat answers, that it is still the leader.

import { describe, expect, it } from 'vitest';
import type { Raft } from '../../../core/raft/raft.ts';
import { message, type ReadState } from '../../../core/raft/types.ts';
import { TestNetwork, ack, enc, flush, makeLeader, newRaft, ofType } from './harness.ts';

const abc = ['a', 'b', 'c'];

/** Runs the Ready cycle of a hand-driven node and returns the reads it answered. */
function takeReads(r: Raft): ReadState[] {
  const out: ReadState[] = [];
  while (r.hasReady()) {
    const rd = r.ready();
    out.push(...rd.readStates);
    r.advance(rd);
  }
  return out;
}

describe('read index', () => {
  it('a single-node leader answers a read at once', () => {
    const net = new TestNetwork(['a']);
    net.elect('a');
    net.propose('a', 'x');
    const a = net.node('a');
    a.readIndex('r1');
    const rd = a.ready();
    expect(rd.readStates).toEqual([{ index: a.log.committed, requestCtx: 'r1' }]);
    expect(rd.messages).toEqual([]);
    a.advance(rd);
  });

  it('the leader answers a read once a quorum has acknowledged a heartbeat sent after it', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    ack(r, 'b', 1);
    r.propose(enc('x'));
    flush(r);
    ack(r, 'b', 2);
    expect(r.log.committed).toBe(2);

    r.readIndex('r1');
    const out = flush(r);
    expect(ofType(out, 'heartbeat').map((m) => [m.to, m.context]).sort()).toEqual([
      ['b', 'r1'],
      ['c', 'r1'],
    ]);
    // Meanwhile the commit index moves on; the read still gets the index it arrived at.
    r.propose(enc('y'));
    flush(r);
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 3 }));
    expect(r.log.committed).toBe(3);
    expect(takeReads(r)).toEqual([]); // an append's answer confirms nothing about the read

    r.step(message({ type: 'heartbeatResp', from: 'c', to: 'a', term: r.term, context: 'r1' }));
    expect(takeReads(r)).toEqual([{ index: 2, requestCtx: 'r1' }]);
  });

  it('a later acknowledgement also releases the reads queued before it', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    ack(r, 'b', 1);
    r.readIndex('r1');
    r.readIndex('r2');
    flush(r);
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term, context: 'r2' }));
    expect(takeReads(r).map((s) => s.requestCtx)).toEqual(['r1', 'r2']);
  });

  it('a read on a follower is forwarded to the leader and answered to the follower', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    net.node('b').readIndex('from-b');
    net.send();
    expect(net.sent('readIndex', 'b', 'a')).toHaveLength(1);
    expect(net.sent('readIndexResp', 'a', 'b')).toHaveLength(1);
    expect(net.reads.get('b')).toEqual([{ index: net.node('a').log.committed, requestCtx: 'from-b' }]);
    expect(net.reads.get('a')).toEqual([]);
  });

  it('a follower without a leader drops the read', () => {
    const net = new TestNetwork(abc);
    net.node('b').readIndex('nobody');
    net.send();
    expect(net.delivered).toEqual([]);
    expect(net.reads.get('b')).toEqual([]);
  });

  it('a new leader holds reads until it has committed an entry of its own term', () => {
    const r = newRaft('a', abc, { terms: [1, 1], term: 1, commit: 1 });
    flush(r);
    makeLeader(r); // its first entry is at 3; it only knows 1 to be committed
    r.readIndex('early');
    expect(ofType(flush(r), 'heartbeat')).toEqual([]); // held, not even asked

    const out = ack(r, 'b', 3); // commits 2 and 3: now the read goes out
    expect(ofType(out, 'heartbeat').map((m) => m.context)).toEqual(['early', 'early']);
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term, context: 'early' }));
    // Answered with a commit index that covers everything the previous leader may have committed.
    expect(takeReads(r)).toEqual([{ index: 3, requestCtx: 'early' }]);
  });

  it('a follower’s read reaching a leader that has not committed in its term yet is answered later', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    net.ignore('appResp'); // b's election goes through, but nothing it appends is acknowledged
    net.elect('b');
    net.node('c').readIndex('held');
    net.send();
    expect(net.sent('readIndex', 'c', 'b')).toHaveLength(1);
    expect(net.reads.get('c')).toEqual([]);
    net.recover();
    net.tick('b'); // heartbeat answers show a and c need b's first entry; committing it releases the read
    expect(net.reads.get('c')).toEqual([{ index: net.node('b').log.committed, requestCtx: 'held' }]);
    expect(net.node('b').log.term(net.node('b').log.committed)).toBe(net.node('b').term);
  });

  it('a leader cut off from the majority never answers a read, even after it is deposed', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('a');
    net.elect('b');
    net.propose('b', 'newer');
    net.node('a').readIndex('stale');
    net.tick('a', 5);
    expect(net.reads.get('a')).toEqual([]);

    net.recover();
    net.tick('a'); // its heartbeat carries the read's context, but it is deposed meanwhile
    net.tick('b');
    expect(net.node('a').state).toBe('follower');
    net.tick('a', 5);
    expect(net.reads.get('a')).toEqual([]);
    // A read made now goes to the new leader and sees the newer write.
    net.node('a').readIndex('fresh');
    net.send();
    expect(net.reads.get('a')).toEqual([{ index: net.node('b').log.committed, requestCtx: 'fresh' }]);
  });
});
