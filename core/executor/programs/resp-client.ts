// The client side of RESP (the protocol of redis.ts and mysql.ts): one request at a time on a
// connected socket, each answered by one reply.

import type { Socket } from 'node:net';
import { encodeReply, type Reply } from './resp.ts';

/** Takes the next complete reply off the front of `buf`, or undefined if more bytes are needed. */
export function parseReply(buf: Buffer, pos = 0): { reply: Reply; used: number } | undefined {
  const end = buf.indexOf('\r\n', pos);
  if (end < 0) return undefined;
  const line = buf.subarray(pos + 1, end).toString('utf8');
  const next = end + 2;
  switch (buf[pos]) {
    case 0x2b /* + */:
      return { reply: { simple: line }, used: next - pos };
    case 0x2d /* - */:
      return { reply: { error: line }, used: next - pos };
    case 0x3a /* : */:
      return { reply: Number(line), used: next - pos };
    case 0x24 /* $ */: {
      const n = Number(line);
      if (n < 0) return { reply: null, used: next - pos };
      if (buf.length < next + n + 2) return undefined;
      return { reply: Buffer.from(buf.subarray(next, next + n)), used: next + n + 2 - pos };
    }
    case 0x2a /* * */: {
      const n = Number(line);
      if (n < 0) return { reply: null, used: next - pos };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, at);
        if (!item) return undefined;
        items.push(item.reply);
        at += item.used;
      }
      return { reply: items, used: at - pos };
    }
    default:
      throw new Error(`protocol error: unexpected byte ${buf[pos]}`);
  }
}

export class RespClient {
  private pending: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      try {
        for (let r = parseReply(this.pending); r && this.waiting.length > 0; r = parseReply(this.pending)) {
          this.pending = this.pending.subarray(r.used);
          this.waiting.shift()!.resolve(r.reply);
        }
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(Object.assign(new Error('Connection reset by peer'), { code: 'ECONNRESET' })));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  /** Sends one command; its reply (an error reply is a value, not a rejection). */
  call(...args: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeReply(args.map((a) => Buffer.from(a))));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export const isErrorReply = (r: Reply): r is { error: string } => typeof r === 'object' && r !== null && !Buffer.isBuffer(r) && !Array.isArray(r) && 'error' in r;
