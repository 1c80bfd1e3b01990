// What happened, for whoever debugs a failing seed: the last lines are kept in a ring buffer
// and printed when the seed fails; `verbose` prints every line as it comes (rerunning one seed).
// Lines are stored as parts and formatted only when printed, so tracing is cheap when nobody looks.

export interface TraceOptions {
  /** The virtual time to stamp lines with. */
  now: () => number;
  /** Lines kept (default 2,000). */
  capacity?: number;
  /** Print every line as it is recorded. */
  verbose?: boolean;
  /** Where lines go when printed (default console.log). */
  out?: (line: string) => void;
}

export class Trace {
  verbose: boolean;
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly out: (line: string) => void;
  private readonly times: number[] = [];
  private readonly nodes: string[] = [];
  private readonly events: string[] = [];
  /** Lines recorded since the start (or the last clear()). */
  private total = 0;

  constructor(options: TraceOptions) {
    this.now = options.now;
    this.capacity = Math.max(1, options.capacity ?? 2000);
    this.verbose = options.verbose ?? false;
    this.out = options.out ?? ((line) => console.log(line));
  }

  /** Records `time node event`; `node` is whatever names the actor ('n1', 'net', 'sim'). */
  log(node: string, event: string): void {
    const slot = this.total % this.capacity;
    const time = this.now();
    this.times[slot] = time;
    this.nodes[slot] = node;
    this.events[slot] = event;
    this.total++;
    if (this.verbose) this.out(formatLine(time, node, event));
  }

  /** Lines recorded in all, including those the ring buffer no longer holds. */
  get count(): number {
    return this.total;
  }

  /** The lines still held, oldest first. */
  lines(): string[] {
    const held = Math.min(this.total, this.capacity);
    const lines: string[] = [];
    for (let i = this.total - held; i < this.total; i++) {
      const slot = i % this.capacity;
      lines.push(formatLine(this.times[slot] as number, this.nodes[slot] as string, this.events[slot] as string));
    }
    return lines;
  }

  /** The held lines as one text, saying how many earlier ones were dropped. */
  dump(): string {
    const dropped = this.total - Math.min(this.total, this.capacity);
    const head = dropped > 0 ? [`... ${dropped} earlier lines not kept`] : [];
    return [...head, ...this.lines()].join('\n');
  }

  /** Prints the held lines (a seed failed). */
  print(): void {
    this.out(this.dump());
  }

  clear(): void {
    this.total = 0;
    this.times.length = 0;
    this.nodes.length = 0;
    this.events.length = 0;
  }
}

/** `     12.345 n1 became leader`: seconds with milliseconds, right-aligned so columns line up. */
export function formatLine(timeMs: number, node: string, event: string): string {
  return `${(timeMs / 1000).toFixed(3).padStart(11)} ${node} ${event}`;
}
