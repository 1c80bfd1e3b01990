// Little-endian integer helpers for the WAL and snapshot formats. Raft indexes and terms are
// JavaScript numbers (safe up to 2^53), stored on disk as unsigned 64-bit values.

const TWO_32 = 0x1_0000_0000;

export function writeU64(buf: Buffer, offset: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a u64-safe integer: ${value}`);
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
  return offset + 8;
}

/** A cursor over a payload that throws DecodeError instead of reading past its end. */
export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (n > this.end - this.pos) {
      throw new DecodeError(`needs ${n} more bytes at offset ${this.pos}, has ${this.end - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16LE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }

  u64(): number {
    const at = this.take(8);
    const hi = this.buf.readUInt32LE(at + 4);
    // Above 2^53 a number would silently lose precision: such a value cannot be ours.
    if (hi >= 0x20_0000) throw new DecodeError(`u64 at offset ${at} exceeds 2^53`);
    return hi * TWO_32 + this.buf.readUInt32LE(at);
  }

  skip(n: number): void {
    this.take(n);
  }

  /** A copy, so that decoded data does not pin the (possibly large) file buffer. */
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return new Uint8Array(this.buf.subarray(at, at + n));
  }

  utf8(n: number): string {
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  expectEnd(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} unexpected trailing bytes`);
  }
}

/** A payload that does not decode: the framing was fine but its content is not ours. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
