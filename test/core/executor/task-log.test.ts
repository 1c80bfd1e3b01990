// A task's log: lines with times, Docker's filters, following, and the bound on what is kept.
import { describe, expect, it } from 'vitest';
import { TaskLog } from '../../../core/executor/task-log.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { collect } from './helpers.ts';

function setup(maxBytes?: number) {
  const clock = new VirtualClock({ start: 1_700_000_000_000 });
  const log = new TaskLog({ clock, ...(maxBytes !== undefined ? { maxBytes } : {}) });
  return { clock, log };
}

describe('task log', () => {
  it('splits output into lines, keeping a partial line until its newline or the end', async () => {
    const { log, clock } = setup();
    log.write('stdout', 'one\ntw');
    await clock.runFor(1000);
    log.write('stdout', 'o\r\nthree');
    log.write('stderr', 'oops\n');
    let got = await collect(log.read());
    expect(got.map((e) => [e.stream, e.line])).toEqual([
      ['stdout', 'one'],
      ['stdout', 'two'],
      ['stderr', 'oops'],
    ]);
    expect(got[1]!.time).toEqual(new Date(1_700_000_001_000));
    log.end();
    got = await collect(log.read());
    expect(got.at(-1)).toMatchObject({ stream: 'stdout', line: 'three' });
  });

  it('filters by stream and time, then keeps the tail', async () => {
    const { log, clock } = setup();
    for (let i = 0; i < 10; i++) {
      log.write(i % 2 ? 'stderr' : 'stdout', `l${i}\n`);
      await clock.runFor(1000);
    }
    const read = async (o: Parameters<TaskLog['read']>[0]) => (await collect(log.read(o))).map((e) => e.line);
    expect(await read({ stdout: true })).toEqual(['l0', 'l2', 'l4', 'l6', 'l8']);
    expect(await read({ stderr: true, tail: 2 })).toEqual(['l7', 'l9']);
    expect(await read({ since: new Date(1_700_000_007_000) })).toEqual(['l7', 'l8', 'l9']);
    expect(await read({ since: 1_700_000_007_000, tail: 1 })).toEqual(['l9']);
    expect(await read({ tail: 0 })).toEqual([]);
  });

  it('follows new lines until the output ends', async () => {
    const { log } = setup();
    log.write('stdout', 'a\nb\n');
    const followed = collect(log.read({ follow: true, tail: 1 }));
    log.write('stdout', 'c\n');
    log.write('stderr', 'd\n');
    log.end();
    expect((await followed).map((e) => e.line)).toEqual(['b', 'c', 'd']);
  });

  it('lets a follower stop early', async () => {
    const { log } = setup();
    const it = log.read({ follow: true })[Symbol.asyncIterator]();
    const first = it.next();
    log.write('stdout', 'x\n');
    expect((await first).value?.line).toBe('x');
    await it.return!();
    log.write('stdout', 'y\n');
    expect((await it.next()).done).toBe(true);
  });

  it('drops the oldest lines past its bound, and splits over-long lines', async () => {
    const { log } = setup(10_000);
    for (let i = 0; i < 1000; i++) log.write('stdout', `line ${i}\n`);
    const kept = await collect(log.read());
    expect(kept.length).toBeLessThan(200);
    expect(kept.at(-1)!.line).toBe('line 999');
    const long = setup();
    long.log.write('stdout', 'x'.repeat(40 * 1024));
    expect((await collect(long.log.read())).map((e) => e.line.length)).toEqual([16384, 16384]);
  });
});
