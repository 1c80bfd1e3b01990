import { describe } from 'vitest';
import { seedTests } from './seeds.ts';

// The whole cluster under faults; split in two files so both cores run seeds.
describe('swarm under faults (seeds 1-100)', () => seedTests(1, 100, 'swarm'));
