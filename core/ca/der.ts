// Just enough DER (ITU-T X.690) for the certificates and requests the CA makes and reads: a writer
// of the few types X.509 needs, and a reader that walks nested TLVs. Both are strict: definite
// lengths in their shortest form, one-byte tags; anything else is refused rather than guessed at.

// ---- writing ----------------------------------------------------------------------------------------

export type Der = Uint8Array;

const cat = (parts: Der[]): Der => Buffer.concat(parts);

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** One TLV: a one-byte tag, the length, the content. */
export function tlv(tag: number, ...content: Der[]): Der {
  const body = cat(content);
  return cat([Uint8Array.from([tag, ...lengthBytes(body.length)]), body]);
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export const sequence = (...items: Der[]): Der => tlv(TAG.SEQUENCE, ...items);
export const set = (...items: Der[]): Der => tlv(TAG.SET, ...items);
export const octetString = (bytes: Der): Der => tlv(TAG.OCTET_STRING, bytes);
export const boolean = (value: boolean): Der => tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
/** A BIT STRING of whole bytes (keys, signatures). */
export const bitString = (bytes: Der, unusedBits = 0): Der => tlv(TAG.BIT_STRING, Uint8Array.of(unusedBits), bytes);
/** [n] EXPLICIT: the item wrapped in a constructed context tag. */
export const explicit = (n: number, item: Der): Der => tlv(0xa0 | n, item);

/** A non-negative INTEGER from its big-endian magnitude (hex), in the minimal two's complement form. */
export function unsignedInteger(hex: string): Der {
  if (!/^[0-9a-f]*$/i.test(hex)) throw new Error(`not a hex integer: ${JSON.stringify(hex)}`);
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.of(0);
  return tlv(TAG.INTEGER, bytes[0]! & 0x80 ? cat([Uint8Array.of(0), bytes]) : bytes);
}

export const smallInteger = (n: number): Der => unsignedInteger(n.toString(16));

export function oid(dotted: string): Der {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new Error(`not an object identifier: ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new Error(`not an object identifier: ${dotted}`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string: PrintableString when the text allows it (as most CAs write names), else UTF8String. */
export const directoryString = (text: string): Der =>
  tlv(PRINTABLE.test(text) ? TAG.PRINTABLE_STRING : TAG.UTF8_STRING, Buffer.from(text, 'utf8'));

/** The bytes of an IA5 (ASCII) string, such as a DNS name: refused if the text is not ASCII. */
export function ascii(text: string): Der {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new Error(`not an ASCII (IA5) string: ${JSON.stringify(text)}`);
  return Buffer.from(text, 'ascii');
}

/** RFC 5280's Time: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, in UTC. */
export function time(date: Date): Der {
  const iso = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const year = Number(iso.slice(0, 4));
  if (!Number.isFinite(date.getTime()) || year < 1950 || year > 9999) throw new Error(`cannot encode the time ${String(date)}`);
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return year < 2050 ? tlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`, 'ascii')) : tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, 'ascii'));
}

// ---- reading ----------------------------------------------------------------------------------------

export class DerError extends Error {}

/** A TLV inside `buf`: the content is `buf.subarray(contentStart, end)`, the whole of it `(start, end)`. */
export interface Node {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export function readNode(buf: Der, start: number, limit = buf.length): Node {
  if (start + 2 > limit) throw new DerError('truncated');
  const tag = buf[start]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let pos = start + 1;
  const first = buf[pos++]!;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite lengths are not DER');
    if (count > 4 || pos + count > limit) throw new DerError('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
    if (length < 0x80 || buf[pos - count] === 0) throw new DerError('length not in its shortest form');
  }
  const end = pos + length;
  if (end > limit) throw new DerError('truncated');
  return { tag, start, contentStart: pos, end };
}

/** The one TLV that must make up all of `buf`. */
export function readWhole(buf: Der, tag: number): Node {
  const n = readNode(buf, 0);
  if (n.tag !== tag || n.end !== buf.length) throw new DerError(n.end !== buf.length ? 'trailing data' : `expected tag 0x${tag.toString(16)}, got 0x${n.tag.toString(16)}`);
  return n;
}

/** The TLVs inside a constructed one, each checked against the expected tags when given. */
export function children(buf: Der, parent: Node, tags?: number[]): Node[] {
  if (!(parent.tag & 0x20)) throw new DerError('not a constructed value');
  const out: Node[] = [];
  for (let pos = parent.contentStart; pos < parent.end; ) {
    const n = readNode(buf, pos, parent.end);
    out.push(n);
    pos = n.end;
  }
  if (tags) {
    if (out.length < tags.length) throw new DerError(`expected ${tags.length} elements, got ${out.length}`);
    tags.forEach((t, i) => {
      if (out[i]!.tag !== t) throw new DerError(`element ${i}: expected tag 0x${t.toString(16)}, got 0x${out[i]!.tag.toString(16)}`);
    });
  }
  return out;
}

export const contentOf = (buf: Der, n: Node): Der => buf.subarray(n.contentStart, n.end);
export const wholeOf = (buf: Der, n: Node): Der => buf.subarray(n.start, n.end);

export function readOid(buf: Der, n: Node): string {
  if (n.tag !== TAG.OID) throw new DerError('expected an object identifier');
  const bytes = contentOf(buf, n);
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) {
    v = (v << 7n) | BigInt(bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) {
      arcs.push(v);
      v = 0n;
    } else if (i === bytes.length - 1) throw new DerError('truncated object identifier');
  }
  if (arcs.length === 0) throw new DerError('empty object identifier');
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** The bytes of a BIT STRING with no unused bits (a key or a signature). */
export function readBitStringBytes(buf: Der, n: Node): Der {
  if (n.tag !== TAG.BIT_STRING || n.end === n.contentStart || buf[n.contentStart] !== 0) throw new DerError('expected a BIT STRING of whole bytes');
  return buf.subarray(n.contentStart + 1, n.end);
}
