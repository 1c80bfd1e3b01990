// What the leader runs: components started when this manager becomes leader (after it has
// applied everything committed before its term) and stopped when it steps down. They live on the
// store: they watch its changes and write through transactions, never talking to each other.

import type { Clock } from '../clock.ts';
import type { Random } from '../random.ts';
import type { Store } from '../store/store.ts';

export interface ManagerContext {
  store: Store;
  clock: Clock;
  random: Random;
  /** Optional diagnostics. */
  logger?: (component: string, line: string) => void;
}

export interface LeaderComponent {
  readonly name: string;
  start(): void;
  /** Stops timers and watches; in-flight transactions may still complete or fail. */
  stop(): void;
}
