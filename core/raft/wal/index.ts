export { DiskStorage, type DiskStorageOptions, type Recovery } from './disk-storage.ts';
export { SnapshotCorruptError, WalCorruptError } from './errors.ts';
export type { TornTail } from './wal-reader.ts';
export type { WalStats } from './wal-writer.ts';
