// Routes the event stream's console and log data to whoever shows it. Output can arrive before
// openConsole's answer does (the SSH session starts at once), so data for an ID nobody listens to
// yet is kept, a little of it, until someone does.

import type { LabEvent } from '../../main/lab/protocol.ts';

type StreamEvent = Extract<LabEvent, { type: 'console-data' | 'console-exit' | 'logs' | 'logs-end' }>;

const EARLY_LIMIT = 256;

export class Streams {
  private readonly listeners = new Map<string, (e: StreamEvent) => void>();
  private readonly early = new Map<string, StreamEvent[]>();
  /** Streams whose listener left: what still comes for them is dropped, not kept. */
  private readonly closed = new Set<string>();

  /** Takes the events of the stream it knows about; returns false for other events. */
  dispatch(e: LabEvent): boolean {
    let id: string;
    if (e.type === 'console-data' || e.type === 'console-exit') id = e.consoleId;
    else if (e.type === 'logs' || e.type === 'logs-end') id = e.streamId;
    else return false;
    const l = this.listeners.get(id);
    if (l) l(e);
    else if (!this.closed.has(id)) {
      const list = this.early.get(id) ?? [];
      if (list.length < EARLY_LIMIT) list.push(e);
      this.early.set(id, list);
    }
    return true;
  }

  listen(id: string, fn: (e: StreamEvent) => void): () => void {
    this.listeners.set(id, fn);
    const early = this.early.get(id);
    this.early.delete(id);
    for (const e of early ?? []) fn(e);
    return () => {
      if (this.listeners.get(id) === fn) this.listeners.delete(id);
      this.early.delete(id);
      this.closed.add(id);
    };
  }
}
