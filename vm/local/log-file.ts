// The machine's log file (swarmd's stdout and stderr, appended across starts): where a start began,
// and its last lines for an error message.

import { open, stat } from 'node:fs/promises';

export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** The last `lines` lines written from byte `from` on (at most the last 64 KiB of them). */
export async function tail(file: string, from = 0, lines = 20): Promise<string> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(from, size - 64 * 1024);
    const buf = Buffer.alloc(Math.max(0, size - start));
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8').split('\n').filter((l) => l !== '').slice(-lines).join('\n');
  } finally {
    await fh.close();
  }
}
