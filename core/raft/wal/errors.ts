// Errors that stop a manager from starting on state it cannot trust. The messages are meant for
// the operator: which file, where, what is wrong, and what to do about it.

const WHAT_TO_DO =
  'The committed log cannot be trusted; restore this manager from a backup or remove its state dir and rejoin it to the cluster.';

/** The write-ahead log is damaged somewhere a crash cannot explain. */
export class WalCorruptError extends Error {
  override name = 'WalCorruptError';

  constructor(
    readonly file: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`WAL corrupt: ${file} at offset ${offset}: ${problem}. ${WHAT_TO_DO}`);
  }
}

/** A snapshot file is damaged and the WAL no longer holds what it would take to do without it. */
export class SnapshotCorruptError extends Error {
  override name = 'SnapshotCorruptError';

  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`Snapshot corrupt: ${file}: ${problem}. ${WHAT_TO_DO}`);
  }
}

/**
 * Raft state on disk is encrypted with another data encryption key than the one given, or with
 * one when none was given. Not corruption: the data may well be intact, the key is the matter.
 * `problem` says which key was expected and, where the caller told the Decrypter, what to do.
 */
export class WalKeyError extends Error {
  override name = 'WalKeyError';

  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`Cannot decrypt ${file}: ${problem}`);
  }
}
