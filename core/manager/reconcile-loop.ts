// Runs a component's reconciliation passes one at a time. Each pass reads the leader's state and
// writes through the store; the next pass starts only once the previous one's transactions are
// applied, so a pass never acts on state that its predecessor is still changing (which would,
// say, create a service's tasks twice). Triggers during a pass coalesce into one more pass.

import type { Clock, Timer } from '../clock.ts';
import { StoreError } from '../store/errors.ts';

export class ReconcileLoop {
  private running = false;
  private again = false;
  private stopped = false;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: Error) => void,
    /** Triggers within this many ms are served by one pass. */
    private readonly debounceMs = 0,
  ) {}

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.debounceMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.again = false;
    try {
      await this.pass();
    } catch (err) {
      // A conflict with a concurrent writer is expected: the next pass re-reads and retries.
      if (err instanceof StoreError) this.again = true;
      else if (!this.stopped) this.onError(err as Error);
    } finally {
      this.running = false;
    }
    if (this.again && !this.stopped) this.trigger();
  }
}
