import { describe } from 'vitest';
import { seedTests } from './seeds.ts';

describe('swarm under faults (seeds 101-200)', () => seedTests(101, 100, 'swarm'));
