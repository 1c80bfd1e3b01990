// npm run sim -- [--swarm] --seeds N [--from S] | --seed S [--verbose]
// Runs seeded simulations and prints any failing seed with its trace: by default of the
// replicated store (Raft + store, linearizability checked); with --swarm, of the whole cluster
// (managers, agents, services under faults, convergence checked). A failing seed reruns alone
// with --seed S (add --verbose for the whole trace as it happens).

import { runRaftSeed } from './raft-run.ts';
import { runSwarmSeed } from './swarm-run.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function usage(msg: string): never {
  console.error(`${msg}\nusage: npm run sim -- [--swarm] --seeds N [--from S]   or   npm run sim -- [--swarm] --seed S [--verbose]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const swarm = process.argv.includes('--swarm');
  const run = swarm ? runSwarmSeed : runRaftSeed;
  const one = arg('seed');
  const seeds: number[] = [];
  if (one !== undefined) {
    const s = Number(one);
    if (!Number.isInteger(s)) usage(`--seed needs an integer, got ${one}`);
    seeds.push(s);
  } else {
    const n = Number(arg('seeds') ?? '100');
    const from = Number(arg('from') ?? '1');
    if (!Number.isInteger(n) || n <= 0) usage(`--seeds needs a positive integer`);
    if (!Number.isInteger(from)) usage(`--from needs an integer`);
    for (let i = 0; i < n; i++) seeds.push(from + i);
  }
  const failed: number[] = [];
  const started = Date.now();
  for (const seed of seeds) {
    const r = await run(seed, { verbose });
    if (r.ok) {
      if (seeds.length === 1 || verbose) console.log(r.summary);
      else if (seed % 100 === 0) console.log(`... ${seed - seeds[0]! + 1} seeds run, ${failed.length} failed`);
    } else {
      failed.push(seed);
      console.log(r.summary);
      if (!verbose) console.log(r.trace);
      console.log(r.error);
      console.log(`rerun alone: npm run sim -- ${swarm ? '--swarm ' : ''}--seed ${seed} --verbose`);
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${seeds.length} seeds in ${secs} s: ${seeds.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length > 0) {
    console.log(`failing seeds: ${failed.join(' ')}`);
    process.exit(1);
  }
}

void main();
