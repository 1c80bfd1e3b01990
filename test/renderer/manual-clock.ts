// A clock for the demo cluster in tests: timers fire only when the test advances time.

import type { Clock } from '../../renderer/demo/fake-cluster.ts';

export class ManualClock implements Clock {
  private t = Date.parse('2025-01-01T10:00:00Z');
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): void {
    this.timers.push({ at: this.t + ms, fn, seq: this.seq++ });
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
