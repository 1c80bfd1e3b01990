import type { Entry, HardState, Snapshot } from './types.ts';

/** What a node finds on disk when it starts: the latest snapshot and the log after it. */
export interface PersistedState {
  hardState: HardState;
  snapshot?: Snapshot;
  /** Entries after the snapshot's index, contiguous, in order. */
  entries: Entry[];
}

/**
 * Durable Raft state. `save` must not resolve before the data is on stable storage (fsync):
 * the node sends no message that depends on it until then. Implementations may be synchronous
 * (return void), which the simulator uses to stay deterministic.
 */
export interface RaftStorage {
  load(): PersistedState | Promise<PersistedState>;
  /**
   * Persist a Ready: the hard state if it changed, entries to append (an entry whose index is
   * already stored replaces it and every entry after it), and a snapshot received from the leader
   * (which replaces the whole log up to its index).
   */
  save(hardState: HardState | undefined, entries: Entry[], snapshot?: Snapshot): void | Promise<void>;
  /** The application made a snapshot of its own state: entries up to its index may be dropped. */
  saveSnapshot(snapshot: Snapshot): void | Promise<void>;
  close(): void | Promise<void>;
}
