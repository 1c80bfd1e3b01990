import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../core/swarmctl/duration.ts';
import { iBytes, timeAgo } from '../../../core/swarmctl/humanize.ts';
import { header, SUMMARY, TABLE, tabwrite } from '../../../core/swarmctl/tabwriter.ts';

describe('tabwriter (Go text/tabwriter)', () => {
  it('pads every column but the last to its widest cell plus the padding', () => {
    const text = `${header('ID', 'Name', 'Status')}abc123\tnode-1\tREADY\nd\tn2\t\n`;
    expect(tabwrite(text, TABLE)).toBe(
      ['ID      Name    Status', '--      ----    ------', 'abc123  node-1  READY', 'd       n2      '].join('\n') + '\n',
    );
  });

  it('ends a column block at a line without that column, as summaries rely on', () => {
    const text = 'ID\t: x1\nStatus:\t\n  State\t: READY\nOrchestration settings:\n  Task history entries: 5\nLonger key here\t: v\n';
    expect(tabwrite(text, SUMMARY)).toBe(
      [
        // Key column: the widest key of the block ("Status:", "  State": 7) plus 8.
        `ID${' '.repeat(13)}: x1`,
        `Status:${' '.repeat(8)}`,
        `  State${' '.repeat(8)}: READY`,
        'Orchestration settings:',
        '  Task history entries: 5',
        `Longer key here${' '.repeat(8)}: v`,
      ].join('\n') + '\n',
    );
  });

  it('counts runes, not UTF-16 units or bytes', () => {
    expect(tabwrite('é\tx\nab\ty\n', TABLE)).toBe('é   x\nab  y\n');
  });

  it('keeps the minimum width for short cells', () => {
    expect(tabwrite('a\tb\n', SUMMARY)).toBe(`a${' '.repeat(8)}b\n`);
  });

  it('nests blocks: a column that only some lines have is aligned among them alone', () => {
    const text = 'a\tb\tc\naaaa\tb\nx\tyyyyyy\tz\n';
    // Column 0 spans all three lines; column 1 is a cell only on lines 1 and 3, which are not
    // adjacent, so each is its own block.
    expect(tabwrite(text, { minwidth: 0, padding: 1 })).toBe('a    b c\naaaa b\nx    yyyyyy z\n');
  });
});

describe('humanize', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  const before = (ms: number) => new Date(now.getTime() - ms);
  it.each([
    [0, 'now'],
    [999, 'now'],
    [1000, '1 second ago'],
    [1999, '1 second ago'],
    [2000, '2 seconds ago'],
    [5_400, '5 seconds ago'],
    [59_999, '59 seconds ago'],
    [60_000, '1 minute ago'],
    [120_000, '2 minutes ago'],
    [3_600_000, '1 hour ago'],
    [3 * 3_600_000, '3 hours ago'],
    [24 * 3_600_000, '1 day ago'],
    [3 * 24 * 3_600_000, '3 days ago'],
    [8 * 24 * 3_600_000, '1 week ago'],
    [20 * 24 * 3_600_000, '2 weeks ago'],
    [45 * 24 * 3_600_000, '1 month ago'],
    [100 * 24 * 3_600_000, '3 months ago'],
    [400 * 24 * 3_600_000, '1 year ago'],
    [600 * 24 * 3_600_000, '2 years ago'],
    [1000 * 24 * 3_600_000, '2 years ago'],
    [2000 * 24 * 3_600_000, '5 years ago'],
    [50 * 365 * 24 * 3_600_000, 'a long while ago'],
  ])('%d ms ago reads %s', (ms, text) => {
    expect(timeAgo(before(ms), now)).toBe(text);
  });

  it('says "from now" for the future (a clock ahead of this one)', () => {
    expect(timeAgo(new Date(now.getTime() + 3000), now)).toBe('3 seconds from now');
  });

  it.each([
    [0, '0 B'],
    [9, '9 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [512 * 1024 ** 2, '512 MiB'],
    [8 * 1024 ** 3, '8.0 GiB'],
    [15.6 * 1024 ** 3, '16 GiB'],
  ])('IBytes(%d) is %s', (n, text) => {
    expect(iBytes(n)).toBe(text);
  });
});

describe('Go durations', () => {
  it.each([
    ['0', 0],
    ['1s', 1e9],
    ['500ms', 5e8],
    ['1.5s', 15e8],
    ['1h30m', 5400e9],
    ['2160h', 2160 * 3600e9],
    ['10us', 1e4],
    ['10µs', 1e4],
    ['-2s', -2e9],
    ['.5m', 30e9],
  ])('parses %s', (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it.each(['', 's', '1', '5 s', '1x', '1s2'])('refuses %j with Go\'s message', (text) => {
    expect(() => parseDuration(text)).toThrow(/^time: (invalid duration|missing unit in duration)/);
  });

  it.each([
    [0, '0s'],
    [1, '1ns'],
    [1500, '1.5µs'],
    [5e8, '500ms'],
    [1e9, '1s'],
    [1.5e9, '1.5s'],
    [60e9, '1m0s'],
    [5400e9, '1h30m0s'],
    [2160 * 3600e9, '2160h0m0s'],
    [-2e9, '-2s'],
  ])('prints %d ns as %s', (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });
});
