// Flow control for a console: the controller pauses output past a window of unacknowledged data,
// and we acknowledge what xterm has actually written (its write callback), so a flood cannot queue
// up in the renderer. Acks are batched — one request per few KiB, not per chunk.

export class AckBatcher {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (count: number) => void,
    private readonly threshold = 8192,
    private readonly delayMs = 25,
  ) {}

  /** `count` more characters of console-data are on screen. */
  written(count: number): void {
    this.pending += count;
    if (this.pending >= this.threshold) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.send(n);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
