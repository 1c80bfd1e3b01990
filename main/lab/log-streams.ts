// Followed service logs: the manager's stream of a service's output (stdcopy frames with each
// line's task and node), turned into lines labelled as `docker service logs` labels them
// (`web.2@worker1 | ...`) and sent in batches as 'logs' events, so a chatty service is a few events
// a second rather than one per line.

import { PassThrough, type Readable } from 'node:stream';
import { LabError } from './errors.ts';
import type { LabEvent } from './protocol.ts';

/** Where a line came from, by the IDs its details carry. */
export type LineLabel = (ids: { taskId?: string; nodeId?: string; serviceId?: string }) => string;

export interface LogSource {
  /** The service's multiplexed log stream (following), ended by the signal. */
  open(signal: AbortSignal): Promise<Readable>;
  demux(stream: Readable, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
}

const FLUSH_MS = 50;
const MAX_BATCH = 500;

export class LogStreams {
  private readonly streams = new Map<string, AbortController>();
  private counter = 0;

  constructor(
    private readonly emit: (e: LabEvent) => void,
    private readonly label: LineLabel,
  ) {}

  async open(serviceName: string, source: LogSource): Promise<string> {
    const abort = new AbortController();
    const stream = await source.open(abort.signal);
    const id = `logs-${++this.counter}-${serviceName}`;
    this.streams.set(id, abort);
    let batch: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (batch.length === 0) return;
      this.emit({ type: 'logs', streamId: id, lines: batch });
      batch = [];
    };
    const add = (line: string) => {
      batch.push(this.format(line));
      if (batch.length >= MAX_BATCH) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    };
    const out = lineSplitter(add);
    const err = lineSplitter(add);
    source.demux(stream, out, err);
    let ended = false;
    const end = (error?: string) => {
      if (ended) return;
      ended = true;
      out.end();
      err.end();
      flush();
      this.streams.delete(id);
      this.emit({ type: 'logs-end', streamId: id, ...(error && !abort.signal.aborted ? { error } : {}) });
    };
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', (e: Error) => end(`the log stream of ${serviceName} broke: ${e.message}`));
    return id;
  }

  close(id: string): void {
    const abort = this.streams.get(id);
    if (!abort) throw new LabError(`no log stream ${id}: it ended or was closed already`);
    abort.abort();
  }

  closeAll(): void {
    for (const abort of this.streams.values()) abort.abort();
  }

  /** `KEY=V,KEY=V text` (the details Docker puts first) → `label | text`. */
  private format(raw: string): string {
    const m = /^(\S*com\.docker\.swarm\.\S*) (.*)$/s.exec(raw);
    if (!m) return raw;
    const attrs = new Map(
      m[1]!.split(',').map((kv) => {
        const i = kv.indexOf('=');
        return [decodeURIComponent(kv.slice(0, i)), decodeURIComponent(kv.slice(i + 1).replace(/\+/g, ' '))] as const;
      }),
    );
    const label = this.label({ taskId: attrs.get('com.docker.swarm.task.id'), nodeId: attrs.get('com.docker.swarm.node.id'), serviceId: attrs.get('com.docker.swarm.service.id') });
    return `${label} | ${m[2]}`;
  }
}

/** A writable that hands on whole lines (without their newline). */
function lineSplitter(onLine: (line: string) => void): PassThrough {
  const s = new PassThrough();
  let rest = '';
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  });
  s.on('end', () => {
    if (rest) onLine(rest);
    rest = '';
  });
  return s;
}
