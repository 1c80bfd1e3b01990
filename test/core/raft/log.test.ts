// RaftLog unit tests, after etcd's log_test.go: the follower's consistency check and append,
// commit, compaction, slicing and the up-to-date comparison used by elections.

import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../../core/raft/log.ts';
import type { Entry, Snapshot } from '../../../core/raft/types.ts';
import { logOf } from './harness.ts';

const e = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array(0) });
const snap = (index: number, term: number): Snapshot => ({
  metadata: { index, term, confState: { voters: ['a'] } },
  data: new Uint8Array(0),
});
/** A log holding entries of these terms at 1, 2, ... */
const logWith = (terms: number[]) => new RaftLog(undefined, logOf(terms));
/** A log compacted at (index, term), followed by entries of these terms. */
const compactedLog = (index: number, term: number, terms: number[]) => new RaftLog(snap(index, term), logOf(terms, index + 1));

describe('RaftLog', () => {
  it('findConflict returns the first entry that is new or has another term, 0 when all are present', () => {
    const log = logWith([1, 2, 3]);
    const cases: [Entry[], number][] = [
      [[], 0],
      [[e(1, 1), e(2, 2), e(3, 3)], 0],
      [[e(2, 2), e(3, 3)], 0],
      [[e(3, 3)], 0],
      // new entries after the last one
      [[e(1, 1), e(2, 2), e(3, 3), e(4, 4), e(5, 4)], 4],
      [[e(2, 2), e(3, 3), e(4, 4), e(5, 4)], 4],
      [[e(4, 4), e(5, 4)], 4],
      // conflicts
      [[e(1, 4), e(2, 4)], 1],
      [[e(2, 1), e(3, 4), e(4, 4)], 2],
      [[e(3, 1), e(4, 2), e(5, 4), e(6, 4)], 3],
    ];
    for (const [ents, want] of cases) expect(log.findConflict(ents), JSON.stringify(ents)).toBe(want);
  });

  it('findConflictByTerm finds the last index at or below `index` whose term is at most `term`', () => {
    const log = logWith([2, 2, 5, 5, 5]);
    const cases: [number, number, number][] = [
      [5, 6, 5],
      [5, 5, 5],
      [5, 4, 2], // skips the whole term 5 at once
      [5, 2, 2],
      [5, 1, 0],
      [1, 2, 1],
      [1, 1, 0],
      [0, 0, 0],
      [100, 2, 2], // beyond the log: searched from the last index
    ];
    for (const [index, term, want] of cases) expect(log.findConflictByTerm(index, term), `${index}/${term}`).toBe(want);
  });

  it('findConflictByTerm does not claim a compacted index it cannot check', () => {
    // Compacted at 10 (term 3), then terms 3 4 4 5 5 at 11..15.
    const log = compactedLog(10, 3, [3, 4, 4, 5, 5]);
    expect(log.findConflictByTerm(15, 4)).toBe(13);
    expect(log.findConflictByTerm(15, 3)).toBe(11);
    // Every retained term is newer: the answer lies in the compacted prefix. It must be an index
    // at or below the query whose term is not known to be newer, i.e. before the snapshot.
    const hint = log.findConflictByTerm(15, 2);
    expect(hint).toBeLessThan(10);
    expect(log.term(hint)).toBeUndefined();
    // Asked below the compacted prefix: the index itself is the best guess, never a larger one.
    expect(log.findConflictByTerm(7, 2)).toBe(7);
  });

  it('maybeAppend appends after a matching (index, term), truncates conflicts and moves commit', () => {
    type Case = { logTerm: number; index: number; commit: number; ents: Entry[]; last: number | undefined; wantCommit: number };
    const cases: Case[] = [
      // (index, logTerm) not in the log: rejected, nothing changes
      { logTerm: 2, index: 3, commit: 3, ents: [e(4, 4)], last: undefined, wantCommit: 1 },
      { logTerm: 3, index: 4, commit: 3, ents: [e(5, 4)], last: undefined, wantCommit: 1 },
      // no entries: commit moves up to the last new index, never beyond, never back
      { logTerm: 3, index: 3, commit: 3, ents: [], last: 3, wantCommit: 3 },
      { logTerm: 3, index: 3, commit: 4, ents: [], last: 3, wantCommit: 3 },
      { logTerm: 3, index: 3, commit: 2, ents: [], last: 3, wantCommit: 2 },
      { logTerm: 3, index: 3, commit: 0, ents: [], last: 3, wantCommit: 1 },
      { logTerm: 0, index: 0, commit: 3, ents: [], last: 0, wantCommit: 1 },
      // new entries
      { logTerm: 3, index: 3, commit: 3, ents: [e(4, 4)], last: 4, wantCommit: 3 },
      { logTerm: 3, index: 3, commit: 4, ents: [e(4, 4)], last: 4, wantCommit: 4 },
      { logTerm: 3, index: 3, commit: 5, ents: [e(4, 4)], last: 4, wantCommit: 4 },
      { logTerm: 3, index: 3, commit: 5, ents: [e(4, 4), e(5, 4)], last: 5, wantCommit: 5 },
      // a conflicting suffix is replaced
      { logTerm: 2, index: 2, commit: 3, ents: [e(3, 4)], last: 3, wantCommit: 3 },
      { logTerm: 1, index: 1, commit: 3, ents: [e(2, 4)], last: 2, wantCommit: 2 },
    ];
    for (const c of cases) {
      const log = logWith([1, 2, 3]);
      log.commitTo(1);
      expect(log.maybeAppend(c.index, c.logTerm, c.commit, c.ents), JSON.stringify(c)).toBe(c.last);
      expect(log.committed, JSON.stringify(c)).toBe(c.wantCommit);
      if (c.last !== undefined && c.ents.length > 0) {
        expect(log.slice(c.index + 1)).toEqual(c.ents);
        expect(log.lastIndex()).toBe(c.last);
      }
    }
  });

  it('maybeAppend refuses to overwrite a committed entry', () => {
    const log = logWith([1, 2, 3]);
    log.commitTo(1);
    expect(() => log.maybeAppend(0, 0, 3, [e(1, 4)])).toThrow(/committed/);
  });

  it('an append that truncates the log moves the stable index back', () => {
    const log = logWith([1, 1, 1]);
    expect(log.stableIndex).toBe(3);
    log.append([e(3, 2), e(4, 2)]);
    expect(log.stableIndex).toBe(2);
    expect(log.unstableEntries().map((x) => [x.index, x.term])).toEqual([
      [3, 2],
      [4, 2],
    ]);
    log.stableTo(4, 1); // a stale acknowledgement for another term: ignored
    expect(log.stableIndex).toBe(2);
    log.stableTo(4, 2);
    expect(log.unstableEntries()).toEqual([]);
    expect(() => log.append([e(9, 2)])).toThrow(/gap/);
  });

  it('commitTo only moves forward and never beyond the last index', () => {
    const log = logWith([1, 2, 3]);
    log.commitTo(3);
    expect(log.committed).toBe(3);
    log.commitTo(2);
    expect(log.committed).toBe(3);
    expect(() => log.commitTo(4)).toThrow(/beyond the last index/);
  });

  it('committed entries are handed out once, in order, and applied never passes committed', () => {
    const log = logWith([1, 1, 2, 2]);
    log.commitTo(3);
    expect(log.nextCommitted().map((x) => x.index)).toEqual([1, 2, 3]);
    log.appliedTo(2);
    expect(log.nextCommitted().map((x) => x.index)).toEqual([3]);
    log.appliedTo(3);
    expect(log.hasNextCommitted()).toBe(false);
    expect(() => log.appliedTo(4)).toThrow(/beyond committed/);
  });

  it('compact drops entries up to the snapshot and keeps `keepEntries` behind it', () => {
    const log = logWith([1, 1, 2, 2, 3, 3, 3, 4, 4, 4]);
    log.commitTo(10);
    log.appliedTo(8);
    expect(() => log.compact(snap(9, 4))).toThrow(/applied/);

    log.compact(snap(8, 4), 3);
    expect(log.snapshot?.metadata.index).toBe(8);
    expect(log.firstIndex()).toBe(6); // 5 is the new compaction point, 6..10 kept
    expect(log.term(5)).toBe(3);
    expect(log.term(4)).toBeUndefined();
    expect(log.slice(5)).toBeUndefined();
    expect(log.slice(6)?.map((x) => x.index)).toEqual([6, 7, 8, 9, 10]);

    // A snapshot at or below the compaction point changes nothing.
    log.compact(snap(5, 3));
    expect(log.firstIndex()).toBe(6);
    expect(log.snapshot?.metadata.index).toBe(8);

    log.appliedTo(10);
    log.compact(snap(10, 4));
    expect(log.firstIndex()).toBe(11);
    expect(log.lastIndex()).toBe(10);
    expect(log.lastTerm()).toBe(4);
  });

  it('slice honours the size limit but always returns at least one entry', () => {
    const big = (index: number): Entry => ({ index, term: 1, type: 'normal', data: new Uint8Array(100) });
    const log = new RaftLog(undefined, [big(1), big(2), big(3), big(4), big(5)]);
    const perEntry = 100 + 24; // data plus the fixed overhead slice() counts
    expect(log.slice(1, perEntry * 2)?.map((x) => x.index)).toEqual([1, 2]);
    expect(log.slice(1, perEntry * 2 + 1)?.map((x) => x.index)).toEqual([1, 2]);
    expect(log.slice(2, 1)?.map((x) => x.index)).toEqual([2]);
    expect(log.slice(3)?.map((x) => x.index)).toEqual([3, 4, 5]);
    expect(log.slice(2, Infinity, 4)?.map((x) => x.index)).toEqual([2, 3]);
    expect(log.slice(6)).toEqual([]);
  });

  it('isUpToDate compares the last term first, then the last index (§5.4.1)', () => {
    const log = logWith([1, 2, 3]);
    const cases: [number, number, boolean][] = [
      // higher last term wins whatever the length
      [2, 4, true],
      [3, 4, true],
      [4, 4, true],
      // lower last term loses whatever the length
      [2, 2, false],
      [3, 2, false],
      [9, 2, false],
      // same last term: the longer (or equal) log is up to date
      [2, 3, false],
      [3, 3, true],
      [4, 3, true],
    ];
    for (const [index, term, want] of cases) expect(log.isUpToDate(index, term), `${index}/${term}`).toBe(want);
  });

  it('restore replaces the log and holds back applying until the snapshot is applied', () => {
    const log = logWith([1, 1, 2]);
    log.commitTo(2);
    log.appliedTo(2);
    log.restore(snap(20, 5));
    expect(log.lastIndex()).toBe(20);
    expect(log.lastTerm()).toBe(5);
    expect(log.committed).toBe(20);
    expect(log.applied).toBe(2);
    expect(log.pendingSnapshot?.metadata.index).toBe(20);
    expect(log.hasNextCommitted()).toBe(false);
    expect(log.term(3)).toBeUndefined();
    log.appliedTo(20);
    log.append([e(21, 5)]);
    log.commitTo(21);
    expect(log.nextCommitted().map((x) => x.index)).toEqual([21]);
  });

  it('a restored log with a gap is refused', () => {
    expect(() => new RaftLog(snap(5, 1), logOf([1, 1], 7))).toThrow(/gap/);
  });
});
