// The few file operations whose durability the WAL relies on.

import { open, rename, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes a directory's entries (created, renamed, removed files) durable. Windows cannot open a
 * directory for syncing; NTFS journals metadata, so there is nothing more to do there.
 */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a file so that after a crash it is either absent or complete: tmp, fsync, rename, dir
 * fsync. With `mode`, the file is created with it (the umask permitting), never wider for a moment.
 */
export async function writeFileDurably(dir: string, name: string, data: Uint8Array, mode?: number): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  // A leftover tmp file would keep its own mode.
  if (mode !== undefined) await unlink(tmp).catch(() => undefined);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

/** Removes what an interrupted writeFileDurably left behind. */
export async function removeTmpFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith('.tmp')) await unlink(join(dir, name));
  }
}
