// The end of a PTY command, told in-band. When a PTY's session leader exits, Linux hangs the terminal
// up and throws away output the reader has not taken in yet, so a command run in a PTY (`ssh -t m1
// docker service ps web`) could lose its last lines. So such a command runs under a small sh that
// outlives it: it prints a marker with the command's status into the terminal and waits. Output is
// ordered, so once the marker is read everything before it has been too; the server then ends it.

import { randomBytes } from 'node:crypto';

/** The session leader: runs `"$1" -c "$2"`, reports its status with the nonce `$3`, then waits to be ended. */
export const PTY_COMMAND_WRAPPER = [
  // A handler, not an ignore: an ignored SIGINT would be inherited by the command and Ctrl-C lost.
  'trap : INT QUIT',
  '"$1" -c "$2"',
  's=$?',
  `printf '\\033]777;swarmlab-exit;%s;%s\\007' "$3" "$s"`,
  // Bounded, so a wrapper whose server vanished does not linger.
  'sleep 30',
].join('\n');

export function wrapperArgs(shell: string, command: string, nonce: string): string[] {
  return ['-c', PTY_COMMAND_WRAPPER, 'sh', shell, command, nonce];
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** How long a possible start of the marker at a chunk's end is held back before it is sent as is. */
export const HOLD_MS = 30;

/**
 * Finds the marker in the output stream and removes it. The marker may straddle two reads, so a
 * chunk's end that could begin it is held back until the next chunk (or `flush`).
 */
export class ExitMarkerScanner {
  private held = Buffer.alloc(0);
  private readonly prefix: Buffer;
  private readonly pattern: RegExp;

  constructor(nonce: string) {
    this.prefix = Buffer.from(`\x1b]777;swarmlab-exit;${nonce};`);
    this.pattern = new RegExp(`\\x1b\\]777;swarmlab-exit;${nonce};(\\d+)\\x07`);
  }

  /** Output to pass on, and the command's status once the marker has been seen (nothing follows it). */
  push(chunk: Buffer): { out: Buffer; status?: number } {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    // latin1 maps bytes one to one, so indexes found in the text are byte offsets.
    const text = data.toString('latin1');
    const m = this.pattern.exec(text);
    if (m) return { out: data.subarray(0, m.index), status: Number(m[1]) };
    const keep = this.partialAtEnd(data);
    this.held = Buffer.from(data.subarray(data.length - keep));
    return { out: data.subarray(0, data.length - keep) };
  }

  /** Whatever was held back, now known not to be the marker (no more output came soon enough). */
  flush(): Buffer {
    const out = this.held;
    this.held = Buffer.alloc(0);
    return out;
  }

  get holding(): boolean {
    return this.held.length > 0;
  }

  /** The length of the longest end of `data` that the marker could still grow from. */
  private partialAtEnd(data: Buffer): number {
    const start = data.lastIndexOf(0x1b);
    if (start < 0) return 0;
    const tail = data.subarray(start);
    const limit = this.prefix.length + 12;
    if (tail.length > limit) return 0;
    const n = Math.min(tail.length, this.prefix.length);
    if (!tail.subarray(0, n).equals(this.prefix.subarray(0, n))) return 0;
    // Past the prefix only the status digits may follow.
    return /^\d*$/.test(tail.subarray(n).toString('latin1')) ? tail.length : 0;
  }
}
