export { DiskStorage, type DiskStorageOptions, type Recovery } from './disk-storage.ts';
export {
  AesGcmCrypter,
  DecryptError,
  DEK_BYTES,
  dekId,
  generateDek,
  noKeyDecrypter,
  type CrypterOptions,
  type Decrypter,
  type Encrypter,
} from './encryption.ts';
export { SnapshotCorruptError, WalCorruptError, WalKeyError } from './errors.ts';
export type { TornTail } from './wal-reader.ts';
export type { WalStats } from './wal-writer.ts';
