// Object IDs in Docker's style: 25 characters of lowercase base 36, drawn from the injected PRNG
// so a simulation names its objects the same way every run.

import type { Random } from '../random.ts';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function newId(random: Random, length = 25): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[random.int(36)];
  return id;
}
