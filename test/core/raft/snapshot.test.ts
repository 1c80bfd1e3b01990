// Snapshots (Raft §7), after etcd's TestRestore*, TestProvideSnap, TestSnapshotFailure/Succeed,
// TestSendingSnapshotSetPendingSnapshot and friends: compaction, sending a snapshot to a follower
// that is too far behind, restoring it, and restarting from one.

import { describe, expect, it } from 'vitest';
import type { Raft } from '../../../core/raft/raft.ts';
import { message, type Snapshot } from '../../../core/raft/types.ts';
import { TestNetwork, enc, flush, makeLeader, newRaft, ofType, termsOf } from './harness.ts';

const abc = ['a', 'b', 'c'];

function snapshotAt(index: number, term: number, voters = abc): Snapshot {
  return { metadata: { index, term, confState: { voters } }, data: enc(`state@${index}`) };
}

/** Takes a snapshot of node `id` at its applied index, as the application would, and persists it. */
function compact(net: TestNetwork, id: string, keepEntries = 0): Snapshot {
  const snap = net.node(id).createSnapshot(enc(`state of ${id}`), keepEntries);
  net.disks.get(id)!.saveSnapshot(snap);
  return snap;
}

/**
 * A leader `a` of {a, b} whose log is compacted at 3, with b found to be so far behind that it
 * needs the snapshot: the snapshot has just been sent.
 */
function leaderSendingSnapshot(): Raft {
  const r = newRaft('a', ['a', 'b'], { terms: [1, 1, 1], term: 1, commit: 3 });
  flush(r);
  r.createSnapshot(enc('state'));
  expect(r.log.firstIndex()).toBe(4);
  makeLeader(r); // probes b after 3
  r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 3, reject: true, rejectHint: 0 }));
  const snaps = ofType(flush(r), 'snap', 'b');
  expect(snaps.map((m) => m.snapshot?.metadata.index)).toEqual([3]);
  expect(r.status().progress?.b).toMatchObject({ state: 'snapshot' });
  return r;
}

describe('snapshot', () => {
  it('a follower whose next entry is compacted gets the snapshot, restores it, and replication resumes', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('c');
    net.propose('a', 'x');
    net.propose('a', 'y');
    const snap = compact(net, 'a');
    expect(snap.metadata.index).toBe(6);
    net.propose('a', 'w'); // at 7, after the snapshot

    net.recover();
    net.propose('a', 'z');
    expect(net.sent('snap', 'a', 'c')).toHaveLength(1);
    const c = net.node('c');
    expect(c.log.snapshot?.metadata.index).toBe(6);
    expect(net.applied.get('c')).toEqual(['snapshot@6', 'w', 'z']);
    expect(termsOf(c)).toEqual([2, 2]); // only w and z after the snapshot
    expect(net.node('a').status().progress?.c).toMatchObject({ state: 'replicate', match: 8, next: 9 });
  });

  it('a probe rejected with a hint inside the compacted prefix goes straight to the snapshot', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('c');
    net.propose('a', 'x');
    net.propose('a', 'y');
    compact(net, 'b'); // b's log starts after 6
    net.propose('a', 'w'); // 7
    net.elect('b'); // b will probe c after 7, its last entry before it became leader
    net.recover();
    const since = net.delivered.length;
    net.tick('b'); // c answers the heartbeat, b probes, c rejects with a hint at its last entry, 4
    const toC = net.delivered.slice(since).filter((m) => m.to === 'c' && m.type !== 'heartbeat');
    // The probe after 7 is rejected; then no probe after 6 (whose term b knows, but which c's
    // log cannot match): the snapshot, and then the entries after it.
    expect(toC.map((m) => (m.type === 'snap' ? 'snap' : `app@${m.index}`))).toEqual(['app@7', 'snap', 'app@6']);
    expect(net.applied.get('c')).toEqual(['snapshot@6', 'w']);
  });

  it('while a snapshot is in flight, the leader sends that follower nothing else', () => {
    const r = leaderSendingSnapshot();
    r.propose(enc('x'));
    r.tick();
    const out = flush(r);
    expect(ofType(out, 'app', 'b')).toEqual([]);
    expect(ofType(out, 'snap', 'b')).toEqual([]);
    expect(ofType(out, 'heartbeat', 'b')).toHaveLength(1);
  });

  it('a failed snapshot sends the follower back to probing, which waits for a heartbeat answer', () => {
    const r = leaderSendingSnapshot();
    r.reportSnapshot('b', false);
    expect(r.status().progress?.b).toMatchObject({ state: 'probe', next: 1 });
    r.propose(enc('x'));
    expect(ofType(flush(r), 'snap', 'b')).toEqual([]); // paused: no resend in a tight loop
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term }));
    expect(ofType(flush(r), 'snap', 'b')).toHaveLength(1); // tried again
  });

  it('a delivered snapshot resumes probing right after it', () => {
    const r = leaderSendingSnapshot();
    r.reportSnapshot('b', true);
    expect(r.status().progress?.b).toMatchObject({ state: 'probe', next: 4 });
    r.step(message({ type: 'heartbeatResp', from: 'b', to: 'a', term: r.term }));
    const apps = ofType(flush(r), 'app', 'b');
    expect(apps.map((m) => [m.index, m.logTerm])).toEqual([[3, 1]]);
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 4 }));
    expect(r.status().progress?.b).toMatchObject({ state: 'replicate', match: 4 });
  });

  it('the follower’s acknowledgement of the snapshot moves it straight to replicate', () => {
    const r = leaderSendingSnapshot();
    r.step(message({ type: 'appResp', from: 'b', to: 'a', term: r.term, index: 3 }));
    expect(r.status().progress?.b).toMatchObject({ state: 'replicate', match: 3 });
    expect(ofType(flush(r), 'app', 'b').map((m) => m.index)).toEqual([3]);
  });

  it('a follower restores a snapshot: log, commit and membership are replaced', () => {
    const r = newRaft('b', abc, { terms: [1, 1, 1, 1], term: 2, commit: 1 });
    flush(r);
    r.step(message({ type: 'snap', from: 'a', to: 'b', term: 3, snapshot: snapshotAt(11, 3, ['a', 'b', 'c', 'd']) }));
    expect(r.log.lastIndex()).toBe(11);
    expect(r.log.lastTerm()).toBe(3);
    expect(r.log.committed).toBe(11);
    expect(r.voters().sort()).toEqual(['a', 'b', 'c', 'd']);
    const rd = r.ready();
    expect(rd.snapshot?.metadata.index).toBe(11);
    expect(ofType(rd.messages, 'appResp')).toMatchObject([{ to: 'a', index: 11, reject: false }]);
    r.advance(rd);
    expect(r.log.applied).toBe(11);
  });

  it('a snapshot older than what the follower has committed is ignored', () => {
    const r = newRaft('b', abc, { terms: [1, 1, 1], term: 1, commit: 3 });
    flush(r);
    r.step(message({ type: 'snap', from: 'a', to: 'b', term: 1, snapshot: snapshotAt(2, 1) }));
    const rd = r.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(ofType(rd.messages, 'appResp')).toMatchObject([{ index: 3 }]);
    r.advance(rd);
    expect(termsOf(r)).toEqual([1, 1, 1]);
    expect(r.log.snapshot?.metadata.index).toBe(0);
  });

  it('a snapshot whose last entry the follower already has only moves its commit forward', () => {
    const r = newRaft('b', abc, { terms: [1, 1, 1], term: 1, commit: 1 });
    flush(r);
    r.step(message({ type: 'snap', from: 'a', to: 'b', term: 1, snapshot: snapshotAt(3, 1) }));
    expect(r.log.committed).toBe(3);
    const rd = r.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2, 3]); // applied from the log instead
    r.advance(rd);
    expect(termsOf(r)).toEqual([1, 1, 1]);
  });

  it('a follower that has not applied a received snapshot yet does not campaign', () => {
    const r = newRaft('b', abc, { terms: [1], term: 1 });
    flush(r);
    r.step(message({ type: 'snap', from: 'a', to: 'b', term: 2, snapshot: snapshotAt(5, 2) }));
    r.campaign();
    expect(r.state).toBe('follower');
    flush(r);
    r.campaign();
    expect(r.state).toBe('candidate');
  });

  it('compaction keeps `keepEntries` behind the snapshot: a slightly lagging follower needs no snapshot', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.isolate('c');
    for (const v of ['x', 'y', 'z']) net.propose('a', v);
    compact(net, 'a', 5); // snapshot at 7, entries 3..7 kept
    expect(net.node('a').log.firstIndex()).toBe(3);
    net.recover();
    net.tick('a');
    expect(net.sent('snap')).toEqual([]);
    expect(net.applied.get('c')).toEqual(['x', 'y', 'z']);
  });

  it('a node restarts from its snapshot plus the entries after it', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    net.propose('a', 'y');
    const snap = compact(net, 'b');
    net.propose('a', 'z');
    const b = net.restart('b');
    expect(b.log.snapshot?.metadata.index).toBe(snap.metadata.index);
    expect(b.log.firstIndex()).toBe(snap.metadata.index + 1);
    expect(b.log.applied).toBe(snap.metadata.index);
    expect(b.voters().sort()).toEqual(abc); // from the snapshot's configuration
    net.send();
    expect(net.applied.get('b')).toEqual(['z']); // only what follows the snapshot is applied again

    net.propose('a', 'w');
    expect(net.applied.get('b')).toEqual(['z', 'w']);
    net.elect('b');
    expect(b.state).toBe('leader');
  });

  it('a node added after the log was compacted is brought up with a snapshot, then votes', () => {
    const net = new TestNetwork(abc);
    net.elect('a');
    net.propose('a', 'x');
    const snap = compact(net, 'a');
    const d = net.add('d');
    net.node('a').proposeConfChange({ type: 'addNode', nodeId: 'd' });
    net.send();
    expect(net.sent('snap', 'a', 'd')).toHaveLength(1);
    expect(d.log.snapshot?.metadata.index).toBe(snap.metadata.index);
    // The snapshot's configuration does not have d yet; the entry after it does.
    expect(d.voters().sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(net.node('a').status().progress?.d).toMatchObject({ state: 'replicate', match: d.log.lastIndex() });
    net.propose('a', 'y');
    expect(net.applied.get('d')).toEqual([`snapshot@${snap.metadata.index}`, 'y']);
    net.isolate('a');
    net.elect('d');
    expect(d.state).toBe('leader');
  });
});
