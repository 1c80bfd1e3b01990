import { expect, it } from 'vitest';
import { runRaftSeed } from './raft-run.ts';

/** One test per seed; a failure prints the seed, its trace, and how to rerun it alone. */
export function seedTests(from: number, count: number): void {
  for (let seed = from; seed < from + count; seed++) {
    it(`seed ${seed}`, async () => {
      const r = await runRaftSeed(seed);
      if (!r.ok) {
        console.log(`${r.summary}\n${r.trace}\n${r.error}\nrerun alone: npm run sim -- --seed ${seed} --verbose`);
      }
      expect(r.ok, r.summary).toBe(true);
    });
  }
}
