// Rebuilds the log from WAL records in the order they were written: later records win.

import { emptyHardState, type Entry, type HardState } from '../types.ts';
import type { WalRecord } from './record.ts';

export class LogReplay {
  hardState: HardState = emptyHardState();
  /** Contiguous entries; entries[0].index === base + 1. */
  entries: Entry[] = [];
  /**
   * The index just before entries[0]: set by a leader's snapshot marker, or by the first entry
   * replayed (older segments may have been compacted away). Null until either is seen.
   */
  base: number | null = null;
  /** The leader snapshot that set `base`, if that is where it came from. */
  replacedBy: { index: number; term: number } | null = null;

  get lastIndex(): number {
    return this.base === null ? 0 : this.base + this.entries.length;
  }

  termAt(index: number): number | undefined {
    if (this.base === null || index <= this.base) return undefined;
    return this.entries[index - this.base - 1]?.term;
  }

  /** Entries after `index`. */
  entriesAfter(index: number): Entry[] {
    if (this.base === null) return [];
    return this.entries.slice(Math.max(0, index - this.base));
  }

  /** Applies one record; returns what is wrong if it cannot follow the log so far. */
  apply(record: WalRecord): string | undefined {
    switch (record.type) {
      case 'hardState':
        this.hardState = record.hardState;
        return undefined;
      case 'snapshot':
        this.base = record.index;
        this.entries = [];
        this.replacedBy = { index: record.index, term: record.term };
        return undefined;
      case 'entry':
        return this.applyEntry(record.entry);
      case 'segment':
        return undefined;
    }
  }

  private applyEntry(entry: Entry): string | undefined {
    const last = this.lastIndex;
    if (this.base !== null && entry.index > last + 1) {
      return `entry ${entry.index} follows entry ${last}: a gap in the log`;
    }
    if (this.base === null || entry.index <= this.base) {
      // Rewriting below what this replay has seen: only possible when older segments are gone.
      this.base = entry.index - 1;
      this.entries = [];
      this.replacedBy = null;
    } else if (entry.index <= last) {
      // Raft truncation: this entry replaces the conflicting suffix.
      this.entries.length = entry.index - this.base - 1;
    }
    this.entries.push(entry);
    return undefined;
  }
}
