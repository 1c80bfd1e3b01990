// Docker's multiplexed log stream (stdcopy): frames of an 8-byte header — stream (1 stdout,
// 2 stderr, 3 an error from the daemon), three zero bytes, the length as a big-endian uint32 —
// then the payload. Chunks from the socket split frames anywhere, so this buffers across them.

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogFrame {
  stream: LogStream;
  text: string;
}

const STREAMS: Record<number, LogStream> = { 1: 'stdout', 2: 'stderr', 3: 'system' };

export class LogDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: LogFrame[] = [];
    while (this.buf.length >= 8) {
      const stream = STREAMS[this.buf[0]!];
      if (!stream) throw new Error(`the log stream is not Docker's multiplexed format (stream byte ${this.buf[0]})`);
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      frames.push({ stream, text: this.buf.subarray(8, 8 + size).toString('utf8') });
      this.buf = this.buf.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of a frame that never completed (a daemon that hung up mid-frame). */
  get pending(): number {
    return this.buf.length;
  }
}

export interface LogLine {
  taskId: string;
  nodeId: string;
  serviceId: string;
  text: string;
}

/**
 * A line sent with `details=1`: "com.docker.swarm.node.id=N,com.docker.swarm.service.id=S,
 * com.docker.swarm.task.id=T text", the attributes query-escaped.
 */
export function parseDetails(line: string): LogLine {
  const space = line.indexOf(' ');
  const attrs = new Map<string, string>();
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  for (const pair of (space < 0 ? line : line.slice(0, space)).split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    attrs.set(unescape(pair.slice(0, eq)), unescape(pair.slice(eq + 1)));
  }
  const taskId = attrs.get('com.docker.swarm.task.id');
  if (taskId === undefined) return { taskId: '', nodeId: '', serviceId: '', text: line };
  return {
    taskId,
    nodeId: attrs.get('com.docker.swarm.node.id') ?? '',
    serviceId: attrs.get('com.docker.swarm.service.id') ?? '',
    text: space < 0 ? '' : line.slice(space + 1),
  };
}
