// Membership changes, one server at a time (Raft §4 of the dissertation), after etcd's
// raft_test.go: a change takes effect when its committed entry is applied (advance).

import { describe, expect, it } from 'vitest';
import { encodeConfChange } from '../../../core/raft/confchange.ts';
import { Raft } from '../../../core/raft/raft.ts';
import { message } from '../../../core/raft/types.ts';
import { seededRandom } from '../../../core/random.ts';
import { TestNetwork, ack, enc, flush, makeLeader, newRaft, seedOf } from './harness.ts';

const abc = ['a', 'b', 'c'];

/** Runs `n` rounds of ticks on every node, electing a leader if there is none. */
function tickUntilLeader(net: TestNetwork, rounds = 50): void {
  for (let i = 0; i < rounds && !net.leader(); i++) net.tickAll();
}

describe('membership', () => {
  it('an added node catches up from the leader, then counts for commitment and votes', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    const d = net.add('d'); // a fresh node: no log, no configuration
    expect(d.isVoter()).toBe(false);

    expect(net.node('a').proposeConfChange({ type: 'addNode', nodeId: 'd' }).ok).toBe(true);
    net.send();
    expect(net.node('a').voters().sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(d.voters().sort()).toEqual(['a', 'b', 'c', 'd']); // learned from the log it received
    expect(net.applied.get('d')).toEqual(['x']);

    // Quorum is now 3 of 4: with c away, d's acknowledgement is needed.
    net.isolate('c');
    net.cutLink('a', 'b');
    net.propose('a', 'y');
    expect(net.applied.get('a')).toEqual(['x']);
    net.recover();
    net.isolate('c');
    net.tick('a');
    expect(net.applied.get('a')).toEqual(['x', 'y']);
    expect(net.applied.get('d')).toEqual(['x', 'y']);

    // And d votes: without a, b can only win with both c and d.
    net.recover();
    net.isolate('a');
    net.elect('b');
    expect(net.node('b').state).toBe('leader');
    expect(net.sent('voteResp', 'd', 'b').some((m) => !m.reject)).toBe(true);
  });

  it('removing a node shrinks the quorum, and entries that were waiting for it commit', () => {
    const r = newRaft('a', ['a', 'b'], { term: 1 });
    makeLeader(r);
    ack(r, 'b', 1);
    expect(r.proposeConfChange({ type: 'removeNode', nodeId: 'b' })).toEqual({ ok: true, index: 2 });
    expect(r.propose(enc('x'))).toEqual({ ok: true, index: 3 });
    flush(r);
    expect(r.log.committed).toBe(1); // b has acknowledged neither

    // b acknowledges the removal only. Once applied, a alone is a quorum: x commits.
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 2 }));
    flush(r);
    expect(r.voters()).toEqual(['a']);
    expect(r.log.committed).toBe(3);
    expect(r.log.applied).toBe(3);
  });

  it('a second configuration change is refused while one is pending', () => {
    const r = newRaft('a', abc, { term: 1 });
    makeLeader(r);
    ack(r, 'b', 1);
    expect(r.log.applied).toBe(1);

    expect(r.proposeConfChange({ type: 'addNode', nodeId: 'd' }).ok).toBe(true);
    const refused = r.proposeConfChange({ type: 'addNode', nodeId: 'e' });
    expect(refused).toMatchObject({ ok: false, reason: expect.stringMatching(/in progress/) });
    // Two changes in one batch are refused too, even with nothing pending.
    ack(r, 'b', 2);
    expect(r.voters().sort()).toEqual(['a', 'b', 'c', 'd']);
    const cc = (nodeId: string) => encodeConfChange({ type: 'addNode', nodeId });
    expect(r.propose([cc('e'), cc('f')], 'conf').ok).toBe(false);
    // Once the first is applied, the next is accepted.
    expect(r.proposeConfChange({ type: 'addNode', nodeId: 'e' }).ok).toBe(true);
    expect(r.log.lastIndex()).toBe(3);
  });

  it('a new leader refuses a configuration change until its first entry, and all before it, is applied', () => {
    // Entries of earlier terms that this leader has not seen committed.
    const r = newRaft('a', abc, { terms: [1, 1], term: 1 });
    makeLeader(r); // its first entry at 3
    const refused = r.proposeConfChange({ type: 'addNode', nodeId: 'd' });
    expect(refused.ok).toBe(false);

    ack(r, 'b', 2); // the old entries are on a majority, but that commits nothing (Figure 8)
    expect(r.proposeConfChange({ type: 'addNode', nodeId: 'd' }).ok).toBe(false);

    ack(r, 'b', 3);
    expect(r.log.applied).toBe(3);
    expect(r.proposeConfChange({ type: 'addNode', nodeId: 'd' })).toEqual({ ok: true, index: 4 });
  });

  it('a new leader of a fully applied log still waits for its own first entry before a change', () => {
    // Single-server changes are only safe once the leader has committed an entry of its term
    // (Ongaro's fix): until then a change of the previous leader may still be in flight.
    const r = newRaft('a', abc, { terms: [1, 1], term: 1, commit: 2 });
    flush(r);
    expect(r.log.applied).toBe(2);
    makeLeader(r);
    expect(r.proposeConfChange({ type: 'addNode', nodeId: 'd' }).ok).toBe(false);
    ack(r, 'b', 3);
    expect(r.proposeConfChange({ type: 'addNode', nodeId: 'd' }).ok).toBe(true);
  });

  it('a leader that removes itself steps down once the removal is applied, and never campaigns again', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    expect(net.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'a' }).ok).toBe(true);
    net.send();
    const since = net.delivered.length;
    const a = net.node('a');
    expect(a.state).toBe('follower');
    expect(a.isVoter()).toBe(false);
    for (const id of ['b', 'c']) expect(net.node(id).voters().sort(), id).toEqual(['b', 'c']);

    tickUntilLeader(net);
    const leader = net.leader()!;
    expect(['b', 'c']).toContain(leader.id);
    net.propose(leader.id, 'after');
    expect(net.applied.get('b')).toEqual(['after']);
    expect(net.applied.get('c')).toEqual(['after']);
    net.tickAll(50);
    const later = net.delivered.slice(since);
    expect(later.filter((m) => m.from === 'a' && m.type === 'vote')).toEqual([]);
    expect(later.filter((m) => m.to === 'a')).toEqual([]); // no longer replicated to
    expect(a.state).toBe('follower');
  });

  it('adding a member again or removing a stranger changes nothing', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.node('a').proposeConfChange({ type: 'addNode', nodeId: 'b' });
    net.send();
    net.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'z' });
    net.send();
    for (const id of abc) expect(net.node(id).voters().sort(), id).toEqual(abc);
    net.propose('a', 'x');
    for (const id of abc) expect(net.applied.get(id), id).toEqual(['x']);
  });

  it('a configuration change that is never committed never takes effect', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('a');
    net.add('d');
    expect(net.node('a').proposeConfChange({ type: 'addNode', nodeId: 'd' }).ok).toBe(true);
    expect(net.node('a').voters().sort()).toEqual(abc); // appended, not applied: no effect yet
    net.elect('b');
    net.recover();
    net.tick('b'); // a steps down and its uncommitted entry is overwritten
    expect(net.node('a').state).toBe('follower');
    for (const id of abc) {
      expect(net.node(id).voters().sort(), id).toEqual(abc);
      expect(net.node(id).log.allEntries().some((e) => e.type === 'conf' && e.index > 3), id).toBe(false);
    }
    expect(net.sent('app', 'b', 'd')).toEqual([]);
  });

  it('a node that is not in the configuration never campaigns', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    const d = net.add('d');
    for (let i = 0; i < 100; i++) net.tick('d');
    d.campaign();
    net.send();
    expect(d.state).toBe('follower');
    expect(d.term).toBe(0);
    expect(net.sent('vote', 'd')).toEqual([]);
    expect(net.node('a').state).toBe('leader');
  });

  it('a node does not campaign while a committed configuration change is not applied yet', () => {
    const r = new Raft({
      id: 'a',
      electionTick: 10,
      heartbeatTick: 1,
      random: seededRandom(seedOf('a')),
      preVote: false,
      checkQuorum: false,
      restore: {
        hardState: { term: 1, vote: '', commit: 1 },
        snapshot: { metadata: { index: 0, term: 0, confState: { voters: abc } }, data: new Uint8Array(0) },
        entries: [{ term: 1, index: 1, type: 'conf', data: encodeConfChange({ type: 'removeNode', nodeId: 'a' }) }],
      },
    });
    r.campaign(); // the change may remove this node: wait for it to be applied
    expect(r.state).toBe('follower');
    expect(r.term).toBe(1);
    flush(r);
    expect(r.isVoter()).toBe(false);
    r.campaign();
    expect(r.state).toBe('follower');
  });

  it('a restarted node rebuilds its membership from its log', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.add('d');
    net.node('a').proposeConfChange({ type: 'addNode', nodeId: 'd' });
    net.send();
    for (const id of ['b', 'd']) {
      const r = net.restart(id);
      net.send();
      expect(r.voters().sort(), id).toEqual(['a', 'b', 'c', 'd']);
    }
    // d can lead: it is a full member after its restart.
    net.elect('d');
    expect(net.node('d').state).toBe('leader');
  });
});
