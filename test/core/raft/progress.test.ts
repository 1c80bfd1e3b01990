// The leader's per-follower bookkeeping, after etcd's tracker tests: the inflight window, the
// reaction to rejections, flow control per state, and the way out of the snapshot state.

import { describe, expect, it } from 'vitest';
import { Inflights, Progress } from '../../../core/raft/progress.ts';

/** A progress in replicate state that has acknowledged `match`. */
function replicating(match: number, maxInflight = 256): Progress {
  const pr = new Progress(match + 1, maxInflight);
  pr.maybeUpdate(match);
  pr.becomeReplicate();
  return pr;
}

describe('Inflights', () => {
  it('fills up to its size, refuses more, and frees every message up to an acknowledged index', () => {
    const inf = new Inflights(10);
    for (let i = 0; i < 10; i++) inf.add(i);
    expect(inf.full()).toBe(true);
    expect(() => inf.add(10)).toThrow(/full/);
    inf.freeLE(4);
    expect(inf.count).toBe(5);
    expect(inf.full()).toBe(false);
    inf.freeLE(4); // already freed: nothing more
    expect(inf.count).toBe(5);
    inf.freeLE(9);
    expect(inf.count).toBe(0);
  });

  it('keeps its order across the end of the ring', () => {
    const inf = new Inflights(4);
    for (const i of [1, 2, 3]) inf.add(i);
    inf.freeLE(2); // start moves to the middle of the ring
    for (const i of [4, 5, 6]) inf.add(i); // wraps around
    expect(inf.full()).toBe(true);
    inf.freeLE(4);
    expect(inf.count).toBe(2);
    inf.freeLE(5);
    expect(inf.count).toBe(1);
    inf.add(7);
    inf.add(8);
    inf.add(9);
    expect(inf.full()).toBe(true);
    inf.freeLE(8);
    expect(inf.count).toBe(1);
  });

  it('freeFirstOne frees exactly the oldest message', () => {
    const inf = new Inflights(3);
    inf.freeFirstOne(); // empty: no-op
    expect(inf.count).toBe(0);
    for (const i of [5, 6, 7]) inf.add(i);
    inf.freeFirstOne();
    expect(inf.count).toBe(2);
    inf.freeLE(6);
    expect(inf.count).toBe(1);
  });
});

describe('Progress', () => {
  it('maybeUpdate moves match and next forward only, and says whether match moved', () => {
    const pr = new Progress(5, 256);
    pr.probeSent = true;
    expect(pr.maybeUpdate(2)).toBe(true);
    expect(pr.match).toBe(2);
    expect(pr.next).toBe(5); // next never moves back
    expect(pr.probeSent).toBe(false);
    expect(pr.maybeUpdate(1)).toBe(false);
    expect(pr.match).toBe(2);
    expect(pr.maybeUpdate(7)).toBe(true);
    expect(pr.next).toBe(8);
  });

  it('maybeDecrTo in replicate: a stale rejection is ignored, otherwise next falls back to match+1', () => {
    const pr = replicating(5);
    pr.sentEntries(3, 8);
    expect(pr.next).toBe(9);
    expect(pr.maybeDecrTo(5, 5)).toBe(false); // rejected index at or below match: stale
    expect(pr.maybeDecrTo(4, 4)).toBe(false);
    expect(pr.next).toBe(9);
    expect(pr.maybeDecrTo(8, 2)).toBe(true);
    expect(pr.next).toBe(6);
  });

  it('maybeDecrTo in probe: only the outstanding probe counts, and next follows the hint', () => {
    const pr = new Progress(10, 256);
    pr.probeSent = true;
    expect(pr.maybeDecrTo(5, 3)).toBe(false); // not the probe we sent (next-1 = 9)
    expect(pr.next).toBe(10);
    expect(pr.probeSent).toBe(true);
    expect(pr.maybeDecrTo(9, 3)).toBe(true);
    expect(pr.next).toBe(4); // the hint skips straight to 4
    expect(pr.probeSent).toBe(false);
    expect(pr.maybeDecrTo(3, 100)).toBe(true); // a hint above the rejection is capped
    expect(pr.next).toBe(3);
    const low = new Progress(1, 256);
    expect(low.maybeDecrTo(0, 0)).toBe(true);
    expect(low.next).toBe(1); // never below 1
  });

  it('isPaused: a probe waits for its answer, replicate waits when the window is full, snapshot always waits', () => {
    const probe = new Progress(1, 256);
    expect(probe.isPaused()).toBe(false);
    probe.sentEntries(0, 0); // an empty probe does not pause
    expect(probe.isPaused()).toBe(false);
    probe.sentEntries(2, 2);
    expect(probe.isPaused()).toBe(true);
    probe.maybeUpdate(2);
    expect(probe.isPaused()).toBe(false);

    const rep = replicating(0, 2);
    rep.sentEntries(1, 1);
    expect(rep.isPaused()).toBe(false);
    rep.sentEntries(1, 2);
    expect(rep.isPaused()).toBe(true);
    rep.inflights.freeLE(1);
    expect(rep.isPaused()).toBe(false);

    const snap = new Progress(1, 256);
    snap.becomeSnapshot(10);
    expect(snap.isPaused()).toBe(true);
  });

  it('sentEntries in replicate moves next optimistically and records the message in flight', () => {
    const pr = replicating(3, 4);
    pr.sentEntries(2, 5);
    pr.sentEntries(0, 5); // an empty append takes no slot
    pr.sentEntries(1, 6);
    expect(pr.next).toBe(7);
    expect(pr.inflights.count).toBe(2);
  });

  it('becomeProbe after a delivered snapshot resumes after the snapshot, after a failed one after match', () => {
    const ok = new Progress(1, 256);
    ok.maybeUpdate(1);
    ok.becomeSnapshot(10);
    ok.becomeProbe();
    expect(ok.state).toBe('probe');
    expect(ok.next).toBe(11);
    expect(ok.pendingSnapshot).toBe(0);

    const failed = new Progress(1, 256);
    failed.maybeUpdate(1);
    failed.becomeSnapshot(10);
    failed.pendingSnapshot = 0; // what reportSnapshot(failure) does
    failed.becomeProbe();
    expect(failed.next).toBe(2);

    const rep = replicating(4);
    rep.sentEntries(3, 7);
    rep.becomeProbe();
    expect(rep.next).toBe(5);
    expect(rep.inflights.count).toBe(0);
  });

  it('becomeReplicate starts right after match with an empty window', () => {
    const pr = new Progress(9, 2);
    pr.maybeUpdate(6);
    pr.probeSent = true;
    pr.becomeReplicate();
    expect(pr.state).toBe('replicate');
    expect(pr.next).toBe(7);
    expect(pr.probeSent).toBe(false);
    expect(pr.isPaused()).toBe(false);
  });
});
