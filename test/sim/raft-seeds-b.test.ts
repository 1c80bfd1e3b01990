import { describe } from 'vitest';
import { seedTests } from './seeds.ts';

describe('raft + store under faults (seeds 161-320)', () => seedTests(161, 160));
