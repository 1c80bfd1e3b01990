// A task's stdout and stderr, kept for `docker service logs`: timestamped lines in a bounded ring
// (the oldest lines go first), read back with Docker's filters, or followed as they come.

import type { Clock } from '../clock.ts';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStream;
  time: Date;
  line: string;
}

export interface LogReadOptions {
  /** Keep going with new lines until the task's output ends. */
  follow?: boolean;
  /** Only lines written at or after this time (a Date or ms since the epoch). */
  since?: Date | number;
  /** Only the last N of the lines that pass the other filters (before following). */
  tail?: number;
  /** Which streams (both when neither is set). */
  stdout?: boolean;
  stderr?: boolean;
}

export interface TaskLogOptions {
  clock: Clock;
  /** Bytes of text kept (default 1 MiB). */
  maxBytes?: number;
  /** Longer lines are split, as Docker's log drivers split at 16 KiB. */
  maxLineLength?: number;
}

interface Stored {
  stream: LogStream;
  time: number;
  line: string;
}

/** Rough per-line bookkeeping cost, so many short lines are bounded as well as long ones. */
const LINE_OVERHEAD = 48;

type Follower = (e: Stored | null) => void;

export class TaskLog {
  private lines: Stored[] = [];
  private head = 0;
  private bytes = 0;
  private readonly partial: Record<LogStream, string> = { stdout: '', stderr: '' };
  private readonly followers = new Set<Follower>();
  private ended = false;
  private readonly maxBytes: number;
  private readonly maxLine: number;

  constructor(private readonly opts: TaskLogOptions) {
    this.maxBytes = opts.maxBytes ?? 1024 * 1024;
    this.maxLine = opts.maxLineLength ?? 16 * 1024;
  }

  /** Adds output; a line is stored when its newline comes (or when the output ends). */
  write(stream: LogStream, text: string): void {
    if (this.ended || text === '') return;
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop()!;
    for (const p of parts) this.add(stream, p);
    while (this.partial[stream].length > this.maxLine) {
      this.add(stream, this.partial[stream].slice(0, this.maxLine));
      this.partial[stream] = this.partial[stream].slice(this.maxLine);
    }
  }

  /** The output ended (the process exited): unfinished lines are stored and followers finish. */
  end(): void {
    if (this.ended) return;
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s] !== '') this.add(s, this.partial[s]);
      this.partial[s] = '';
    }
    this.ended = true;
    for (const f of this.followers) f(null);
    this.followers.clear();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  read(options: LogReadOptions = {}): AsyncIterable<LogEntry> {
    const wants = streamFilter(options);
    const since = options.since === undefined ? -Infinity : +options.since;
    const pass = (e: Stored) => wants(e.stream) && e.time >= since;
    let backlog = this.lines.slice(this.head).filter(pass);
    if (options.tail !== undefined && options.tail >= 0) backlog = options.tail === 0 ? [] : backlog.slice(-options.tail);
    if (!options.follow || this.ended) return fromArray(backlog);
    return this.followFrom(backlog, pass);
  }

  private followFrom(backlog: Stored[], pass: (e: Stored) => boolean): AsyncIterable<LogEntry> {
    // Subscribed at once, so nothing written between this call and the first next() is missed.
    const queue: (Stored | null)[] = backlog;
    let wake: (() => void) | undefined;
    const follower: Follower = (e) => {
      if (e !== null && !pass(e)) return;
      queue.push(e);
      // A reader that stopped reading must not hold the whole log twice: drop its oldest lines.
      if (queue.length > 10_000) queue.shift();
      wake?.();
    };
    this.followers.add(follower);
    const stop = () => {
      this.followers.delete(follower);
      queue.length = 0;
      queue.push(null);
      wake?.();
    };
    const iterator: AsyncIterator<LogEntry> = {
      next: async () => {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const e = queue[0]!;
        if (e === null) return { done: true, value: undefined };
        queue.shift();
        return { done: false, value: toEntry(e) };
      },
      return: async () => {
        stop();
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  private add(stream: LogStream, line: string): void {
    const e: Stored = { stream, time: this.opts.clock.now(), line: line.endsWith('\r') ? line.slice(0, -1) : line };
    this.lines.push(e);
    this.bytes += e.line.length + LINE_OVERHEAD;
    while (this.bytes > this.maxBytes && this.head < this.lines.length - 1) {
      this.bytes -= this.lines[this.head]!.line.length + LINE_OVERHEAD;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
    for (const f of this.followers) f(e);
  }
}

function streamFilter(o: LogReadOptions): (s: LogStream) => boolean {
  if (!o.stdout && !o.stderr) return () => true;
  return (s) => (s === 'stdout' ? !!o.stdout : !!o.stderr);
}

function toEntry(e: Stored): LogEntry {
  return { stream: e.stream, time: new Date(e.time), line: e.line };
}

function fromArray(items: Stored[]): AsyncIterable<LogEntry> {
  return {
    async *[Symbol.asyncIterator]() {
      for (const e of items) yield toEntry(e);
    },
  };
}
