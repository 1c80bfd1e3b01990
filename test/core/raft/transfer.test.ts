// Leadership transfer (dissertation §3.10), after etcd's TestLeaderTransfer* cases: the leader
// brings the transferee up to date, then sends it timeoutNow; the transferee campaigns at once.

import { describe, expect, it } from 'vitest';
import { NONE, message } from '../../../core/raft/types.ts';
import { TestNetwork, termsOf } from './harness.ts';

const abc = ['a', 'b', 'c'];

/** A three-node cluster led by a, with one entry applied everywhere. */
function ledByA(opts: ConstructorParameters<typeof TestNetwork>[1] = {}): TestNetwork {
  const net = new TestNetwork(abc, opts);
  net.elect('a');
  net.propose('a', 'x');
  return net;
}

function expectLeader(net: TestNetwork, id: string, among = abc): void {
  for (const other of among) {
    expect(net.node(other).state, other).toBe(other === id ? 'leader' : 'follower');
    expect(net.node(other).lead, other).toBe(id);
  }
}

describe('leadership transfer', () => {
  it('moves leadership at once to an up-to-date follower, and back', () => {
    const net = ledByA();
    const term = net.node('a').term;
    net.node('a').transferLeadership('b');
    net.send();
    expect(net.sent('timeoutNow', 'a', 'b')).toHaveLength(1);
    expectLeader(net, 'b');
    expect(net.node('b').term).toBe(term + 1);
    expect(net.node('a').leadTransferee).toBe(NONE);

    net.node('b').transferLeadership('a');
    net.send();
    expectLeader(net, 'a');
    net.propose('a', 'y');
    for (const id of abc) expect(net.applied.get(id)).toEqual(['x', 'y']);
  });

  it('a transfer asked on a follower is forwarded to the leader', () => {
    const net = ledByA();
    net.node('c').transferLeadership('c');
    net.send();
    expect(net.sent('transferLeader', 'c', 'a')).toHaveLength(1);
    expectLeader(net, 'c');
  });

  it('a transfer asked on a follower for another node moves leadership to that node', () => {
    const net = ledByA();
    net.node('b').transferLeadership('c');
    net.send();
    expect(net.sent('transferLeader', 'b', 'a')).toHaveLength(1); // sent by b, as the network sees it
    expectLeader(net, 'c');
  });

  it('a lagging transferee is brought up to date before it is told to campaign', () => {
    const net = ledByA();
    net.isolate('c');
    net.propose('a', 'y');
    net.propose('a', 'z');
    net.recover();
    net.node('a').transferLeadership('c');
    expect(net.node('a').leadTransferee).toBe('c');
    net.send();
    expectLeader(net, 'c');
    // timeoutNow went out only after c acknowledged the leader's whole log.
    const timeoutAt = net.delivered.findIndex((m) => m.type === 'timeoutNow');
    const caughtUpAt = net.delivered.findIndex((m) => m.type === 'appResp' && m.from === 'c' && m.index === 7);
    expect(caughtUpAt).toBeGreaterThanOrEqual(0);
    expect(caughtUpAt).toBeLessThan(timeoutAt);
    for (const id of abc) expect(net.applied.get(id), id).toEqual(['x', 'y', 'z']);
  });

  it('a transfer to the leader itself does nothing', () => {
    const net = ledByA();
    net.node('a').transferLeadership('a');
    net.send();
    expect(net.node('a').leadTransferee).toBe(NONE);
    expect(net.sent('timeoutNow')).toEqual([]);
    expectLeader(net, 'a');
    expect(net.propose('a', 'y').ok).toBe(true);
  });

  it('a transfer back to the leader itself cancels a pending transfer', () => {
    const net = ledByA();
    net.isolate('c');
    net.node('a').transferLeadership('c');
    expect(net.node('a').leadTransferee).toBe('c');
    net.node('a').transferLeadership('a');
    expect(net.node('a').leadTransferee).toBe(NONE);
    expect(net.propose('a', 'y').ok).toBe(true);
    expectLeader(net, 'a', ['a', 'b']);
  });

  it('a transfer to a node outside the configuration is ignored', () => {
    const net = ledByA();
    net.add('z');
    net.node('a').transferLeadership('z');
    net.send();
    expect(net.node('a').leadTransferee).toBe(NONE);
    expect(net.sent('timeoutNow')).toEqual([]);
    expectLeader(net, 'a');
  });

  it('a transfer that does not complete within an election timeout is abandoned', () => {
    const net = ledByA();
    net.isolate('c');
    net.node('a').transferLeadership('c');
    net.tick('a', 9);
    expect(net.node('a').leadTransferee).toBe('c');
    net.tick('a');
    expect(net.node('a').leadTransferee).toBe(NONE);
    expect(net.node('a').state).toBe('leader');
    expect(net.propose('a', 'y').ok).toBe(true);
    expect(net.applied.get('b')).toEqual(['x', 'y']);
  });

  it('proposals are dropped while a transfer is in progress', () => {
    const net = ledByA();
    net.isolate('c');
    net.node('a').transferLeadership('c');
    expect(net.propose('a', 'y')).toMatchObject({ ok: false, reason: expect.stringMatching(/transferred to c/) });
    expect(net.propose('b', 'z').ok).toBe(true); // forwarded, then dropped by the leader
    net.tick('a');
    expect(net.node('a').log.lastIndex()).toBe(5);
    for (const id of abc) expect(net.applied.get(id), id).toEqual(['x']);
  });

  it('a second transfer to another node replaces the first', () => {
    const net = ledByA();
    net.isolate('c');
    net.node('a').transferLeadership('c');
    net.node('a').transferLeadership('b');
    net.send();
    expectLeader(net, 'b', ['a', 'b']);
    expect(net.sent('timeoutNow', 'a', 'c')).toEqual([]);
  });

  it('asking again for the same transferee does not extend the timeout', () => {
    const net = ledByA();
    net.isolate('c');
    net.node('a').transferLeadership('c');
    net.tick('a', 5);
    net.node('a').transferLeadership('c');
    net.tick('a', 5);
    expect(net.node('a').leadTransferee).toBe(NONE);
  });

  it('the transferee wins even though the followers are in their check-quorum lease', () => {
    const net = ledByA({ checkQuorum: true });
    net.tick('a'); // heartbeats: c has heard from a just now, so it would ignore an election...
    net.node('a').transferLeadership('b');
    net.send();
    // ...but not a campaign started by a transfer: both a and c granted their votes.
    expectLeader(net, 'b');
    for (const voter of ['a', 'c']) {
      expect(net.sent('voteResp', voter, 'b').map((m) => m.reject), voter).toEqual([false]);
    }
  });

  it('the transferee skips pre-vote: it campaigns for real at once', () => {
    const net = ledByA({ preVote: true });
    const since = net.delivered.length;
    net.node('a').transferLeadership('b');
    net.send();
    expectLeader(net, 'b');
    expect(net.delivered.slice(since).filter((m) => m.type === 'preVote')).toEqual([]);
  });

  it('removing the transferee from the cluster abandons the transfer', () => {
    const net = ledByA();
    net.isolate('c');
    net.intercept = (m) => m.type === 'appResp';
    expect(net.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'c' }).ok).toBe(true);
    net.send();
    net.node('a').transferLeadership('c');
    expect(net.node('a').leadTransferee).toBe('c');
    net.intercept = undefined;
    net.release(); // b's acknowledgement commits the removal, which a then applies
    expect(net.node('a').voters().sort()).toEqual(['a', 'b']);
    expect(net.node('a').leadTransferee).toBe(NONE);
    expect(net.node('a').state).toBe('leader');
    expect(net.propose('a', 'y').ok).toBe(true);
    expect(net.applied.get('b')).toEqual(['x', 'y']);
  });

  it('a transferee that needs a snapshot gets it, then takes over', () => {
    const net = ledByA();
    net.isolate('c');
    net.propose('a', 'y');
    const a = net.node('a');
    const snap = a.createSnapshot(new TextEncoder().encode('state at y'));
    net.disks.get('a')!.saveSnapshot(snap);
    expect(a.log.firstIndex()).toBe(snap.metadata.index + 1);
    net.recover();
    a.transferLeadership('c');
    net.send();
    expect(net.sent('snap', 'a', 'c')).toHaveLength(1);
    expectLeader(net, 'c');
    expect(termsOf(net.node('c'))).toEqual([net.node('c').term]); // its first entry, after the snapshot
  });

  it('a leader that is deposed during a transfer forgets it', () => {
    const net = ledByA();
    net.isolate('c');
    net.node('a').transferLeadership('c');
    net.recover();
    net.isolate('a');
    net.elect('b');
    net.recover();
    net.tick('b');
    expect(net.node('a').state).toBe('follower');
    expect(net.node('a').leadTransferee).toBe(NONE);
    expectLeader(net, 'b');
  });

  it('a node outside the configuration ignores timeoutNow', () => {
    const net = ledByA();
    const d = net.add('d');
    net.send(message({ type: 'timeoutNow', from: 'a', to: 'd', term: net.node('a').term }));
    expect(d.state).toBe('follower');
    expect(net.sent('vote', 'd')).toEqual([]);
    expectLeader(net, 'a');
  });
});
