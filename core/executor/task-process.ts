// What the executor holds for a running task, whether it is a built-in program running inside the
// node or a real child process: something that can be signalled, killed, and waited for.

import type { SignalName } from './signals.ts';

export interface TaskProcess {
  /** Real processes only: a built-in program has no PID of its own. */
  readonly pid?: number;
  /** Resolves with the exit code once the process has ended and its output is all in. */
  readonly exited: Promise<number>;
  signal(signal: SignalName): void;
  /** Ends it at once (exit code 137). */
  kill(): void;
}
