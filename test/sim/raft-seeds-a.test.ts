import { describe } from 'vitest';
import { seedTests } from './seeds.ts';

// Split in two files so both cores run seeds.
describe('raft + store under faults (seeds 1-160)', () => seedTests(1, 160));
