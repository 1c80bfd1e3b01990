// The Redis protocol (RESP2): requests as arrays of bulk strings or inline text lines, replies
// encoded by type.

import type { Socket } from 'node:net';

export type Reply =
  | { simple: string }
  | { error: string }
  | number
  | Buffer
  | string
  | null
  | Reply[];

/**
 * Takes the next complete request off the front of `buf`: its arguments and the bytes it used, or
 * undefined if more bytes are needed. Throws on a protocol error (the server then closes the link).
 */
export function parseRequest(buf: Buffer): { args: Buffer[]; used: number } | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== 0x2a /* '*' */) {
    const nl = buf.indexOf(0x0a);
    if (nl < 0) {
      if (buf.length > 64 * 1024) throw new Error('too big inline request');
      return undefined;
    }
    const line = buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
    return { args: splitInline(line).map((a) => Buffer.from(a)), used: nl + 1 };
  }
  let pos = 0;
  const readLine = (): string | undefined => {
    const end = buf.indexOf('\r\n', pos);
    if (end < 0) return undefined;
    const line = buf.subarray(pos, end).toString('latin1');
    pos = end + 2;
    return line;
  };
  const header = readLine();
  if (header === undefined) return undefined;
  const count = Number(header.slice(1));
  if (!Number.isInteger(count) || count > 1024 * 1024) throw new Error("invalid multibulk length");
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const len = readLine();
    if (len === undefined) return undefined;
    if (len[0] !== '$') throw new Error(`expected '$', got '${len[0] ?? ''}'`);
    const n = Number(len.slice(1));
    if (!Number.isInteger(n) || n < 0 || n > 512 * 1024 * 1024) throw new Error('invalid bulk length');
    if (buf.length < pos + n + 2) return undefined;
    args.push(Buffer.from(buf.subarray(pos, pos + n)));
    pos += n + 2;
  }
  return { args, used: pos };
}

/** Splits an inline command line into words, honouring "double" and 'single' quotes. */
function splitInline(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  }
  return words;
}

export function encodeReply(r: Reply): Buffer {
  if (r === null) return Buffer.from('$-1\r\n');
  if (typeof r === 'number') return Buffer.from(`:${r}\r\n`);
  if (typeof r === 'string') r = Buffer.from(r);
  if (Buffer.isBuffer(r)) return Buffer.concat([Buffer.from(`$${r.length}\r\n`), r, Buffer.from('\r\n')]);
  if (Array.isArray(r)) return Buffer.concat([Buffer.from(`*${r.length}\r\n`), ...r.map(encodeReply)]);
  if ('simple' in r) return Buffer.from(`+${r.simple}\r\n`);
  return Buffer.from(`-${r.error}\r\n`);
}

/**
 * Serves RESP (or inline) requests on a connection, in order: each request's arguments go to
 * `execute`, its reply goes back, and `close` ends the connection after the reply. A request that
 * cannot be parsed ends the connection with `protocolError(message)`.
 */
export function serveResp(socket: Socket, execute: (args: Buffer[]) => { reply: Reply; close?: boolean }, protocolError: (message: string) => Reply): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    try {
      for (let req = parseRequest(pending); req; req = parseRequest(pending)) {
        pending = pending.subarray(req.used);
        if (req.args.length === 0) continue;
        const { reply, close } = execute(req.args);
        socket.write(encodeReply(reply));
        if (close) {
          socket.end();
          return;
        }
      }
    } catch (err) {
      socket.end(encodeReply(protocolError((err as Error).message)));
    }
  });
}
