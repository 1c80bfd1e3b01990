import { expect, it } from 'vitest';
import { runRaftSeed } from './raft-run.ts';
import { runSwarmSeed } from './swarm-run.ts';

/** One test per seed; a failure prints the seed, its trace, and how to rerun it alone. */
export function seedTests(from: number, count: number, kind: 'raft' | 'swarm' = 'raft'): void {
  for (let seed = from; seed < from + count; seed++) {
    it(`seed ${seed}`, async () => {
      const r = kind === 'swarm' ? await runSwarmSeed(seed) : await runRaftSeed(seed);
      if (!r.ok) {
        const flag = kind === 'swarm' ? '--swarm ' : '';
        console.log(`${r.summary}\n${r.trace}\n${r.error}\nrerun alone: npm run sim -- ${flag}--seed ${seed} --verbose`);
      }
      expect(r.ok, r.summary).toBe(true);
    });
  }
}
