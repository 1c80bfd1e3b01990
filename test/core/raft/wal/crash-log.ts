// The log the crash test's writer produces: every entry derives from its index, so a test can
// check what survived a crash without knowing what was written.

import type { Entry, Snapshot } from '../../../../core/raft/types.ts';
import { dataFor } from './helpers.ts';

export function termFor(index: number): number {
  return 1 + Math.floor(index / 500);
}

/** An entry that stays: acknowledged entries are only ever these. */
export function realEntry(index: number): Entry {
  return { term: termFor(index), index, type: 'normal', data: index % 61 === 0 ? largeDataFor(index) : dataFor(index) };
}

/** Now and then a large entry, so that some writes span many pages and a kill can tear them. */
function largeDataFor(index: number): Uint8Array {
  const data = new Uint8Array(256 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (index + i * 131) & 0xff;
  return data;
}

/** An entry written only to be overwritten by the real one (a conflicting, uncommitted suffix). */
export function doomedEntry(index: number): Entry {
  return { term: termFor(index), index, type: 'conf', data: new TextEncoder().encode(`doomed ${index}`) };
}

export function isDoomed(e: Entry): boolean {
  return e.type === 'conf';
}

export function snapshotAt(index: number): Snapshot {
  return {
    metadata: { index, term: termFor(index), confState: { voters: ['n1'] } },
    data: new TextEncoder().encode(`snap:${index}`),
  };
}
