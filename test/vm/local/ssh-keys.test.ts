// The lab's key pair is made once even when machines are created side by side (the first `up` in
// a fresh SWARMLAB_HOME creates every machine at once): every caller gets the same pair, and a key
// already in place is never replaced.

import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureKeyPair } from '../../../vm/local/ssh-keys.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('ensureKeyPair', () => {
  it('gives every concurrent caller the same pair and leaves no temporary file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmlab-keys-'));
    const path = join(dir, 'keys', 'id_ed25519');
    const pairs = await Promise.all(Array.from({ length: 8 }, () => ensureKeyPair(path)));
    expect(new Set(pairs.map((p) => p.privateKey)).size).toBe(1);
    expect(new Set(pairs.map((p) => p.publicKey)).size).toBe(1);
    expect(await readFile(path, 'utf8')).toBe(pairs[0]!.privateKey);
    expect((await readFile(`${path}.pub`, 'utf8')).trim()).toBe(pairs[0]!.publicKey);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(join(dir, 'keys'))).sort()).toEqual(['id_ed25519', 'id_ed25519.pub']);
  });

  it('keeps a key that is already there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmlab-keys-'));
    const path = join(dir, 'id_ed25519');
    const first = await ensureKeyPair(path);
    const again = await ensureKeyPair(path, 'another comment');
    expect(again).toEqual(first);
  });
});
