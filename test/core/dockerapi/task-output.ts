// What the test engine's tasks "print": lines a test writes for a task, read back as the Docker
// API reads service logs (tail and since per task, then following new lines until aborted).

import type { LogOptions, LogSelector, ServiceLogLine } from '../../../core/dockerapi/backend.ts';

export class TaskOutput {
  private readonly lines: ServiceLogLine[] = [];
  private readonly followers = new Set<(l: ServiceLogLine) => void>();

  write(line: ServiceLogLine): void {
    this.lines.push(line);
    for (const f of this.followers) f(line);
  }

  async *read(selector: LogSelector, opts: LogOptions, signal: AbortSignal): AsyncGenerator<ServiceLogLine> {
    const selected = (l: ServiceLogLine) =>
      (selector.serviceIds.includes(l.serviceId) || selector.taskIds.includes(l.taskId)) &&
      (opts.stdout || l.stream !== 'stdout') &&
      (opts.stderr || l.stream !== 'stderr');
    const queue: ServiceLogLine[] = [];
    let wake: (() => void) | undefined;
    const follower = (l: ServiceLogLine) => {
      if (!selected(l)) return;
      queue.push(l);
      wake?.();
    };
    if (opts.follow) this.followers.add(follower);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      const byTask = new Map<string, ServiceLogLine[]>();
      for (const l of this.lines) {
        if (!selected(l) || (opts.since && l.time < opts.since)) continue;
        byTask.set(l.taskId, [...(byTask.get(l.taskId) ?? []), l]);
      }
      const past = [...byTask.values()]
        .flatMap((ls) => (opts.tail === undefined ? ls : opts.tail === 0 ? [] : ls.slice(-opts.tail)))
        .sort((a, b) => a.time.getTime() - b.time.getTime());
      for (const l of past) yield l;
      while (opts.follow && !signal.aborted) {
        const l = queue.shift();
        if (l) {
          yield l;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.followers.delete(follower);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
