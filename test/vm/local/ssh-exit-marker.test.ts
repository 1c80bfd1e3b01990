import { describe, expect, it } from 'vitest';
import { ExitMarkerScanner } from '../../../vm/local/ssh-exit-marker.ts';

const NONCE = '0123456789abcdef';
const marker = (s: number) => `\x1b]777;swarmlab-exit;${NONCE};${s}\x07`;

function feed(chunks: string[]): { out: string; status?: number } {
  const sc = new ExitMarkerScanner(NONCE);
  let out = '';
  for (const c of chunks) {
    const r = sc.push(Buffer.from(c, 'latin1'));
    out += r.out.toString('latin1');
    if (r.status !== undefined) return { out, status: r.status };
  }
  return { out: out + sc.flush().toString('latin1') };
}

describe('the exit marker of a PTY command', () => {
  it('is taken out of the output, with the status', () => {
    expect(feed([`hello\r\n${marker(3)}`])).toEqual({ out: 'hello\r\n', status: 3 });
  });

  it('is found when it straddles reads, at any cut', () => {
    const whole = `out\x1b[1m bold\x1b[0m\r\n${marker(42)}`;
    for (let cut = 1; cut < whole.length; cut++) {
      expect(feed([whole.slice(0, cut), whole.slice(cut)])).toEqual({ out: 'out\x1b[1m bold\x1b[0m\r\n', status: 42 });
    }
  });

  it('leaves other escape sequences and other nonces alone', () => {
    const other = `\x1b]777;swarmlab-exit;ffffffffffffffff;1\x07`;
    expect(feed(['a\x1b[', '2Jb', other, '\x1b'])).toEqual({ out: `a\x1b[2Jb${other}\x1b` });
  });
});
