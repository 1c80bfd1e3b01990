// Frames on the cluster port: a 4-byte big-endian length, then a JSON document. JSON keeps the wire
// readable in a capture; byte arrays (Raft entries, snapshots) travel as base64 in {"$b": "..."}.

import { Buffer } from 'node:buffer';

/** A frame bigger than this is refused: a peer sending one is broken or hostile. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$b' in value) {
    const b = (value as { $b: unknown }).$b;
    if (typeof b === 'string' && Object.keys(value).length === 1) return new Uint8Array(Buffer.from(b, 'base64'));
  }
  return value;
}

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value, replacer), 'utf8');
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Reassembles frames from the chunks a socket delivers. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Feeds a chunk; returns the documents it completed. Throws FrameError on a malformed stream. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    while (this.buffered >= 4) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [all];
      const len = all.readUInt32BE(0);
      if (len > MAX_FRAME_BYTES) throw new FrameError(`frame of ${len} bytes is larger than the ${MAX_FRAME_BYTES} allowed`);
      if (all.length < 4 + len) break;
      const body = all.subarray(4, 4 + len).toString('utf8');
      const rest = all.subarray(4 + len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      try {
        out.push(JSON.parse(body, reviver));
      } catch {
        throw new FrameError('frame is not valid JSON');
      }
    }
    return out;
  }
}
