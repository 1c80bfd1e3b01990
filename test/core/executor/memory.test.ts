// A workshop laptop runs hundreds of tasks: 100 running tasks of catalog images must add at most
// 300 MiB to a node. Built-in programs run inside the node's process, so this is mostly the cost of
// their servers and logs. Prints the measured figure; the ceiling is far enough above it to be robust.
import { afterAll, describe, expect, it } from 'vitest';
import type { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { executor, httpGet, listeningPort, task } from './helpers.ts';

const MiB = 1024 * 1024;
let ex: ProcessExecutor | undefined;
afterAll(() => ex?.close());

const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};

describe('memory', () => {
  it('100 whoami and 100 sleep tasks add well under 300 MiB', async () => {
    ex = await executor();
    // One of each first, so the code they load is not counted as the tasks' cost.
    const warm = [task({ Image: 'swarmlab/whoami:1' }), task({ Image: 'alpine', Args: ['sleep', 'infinity'] })];
    for (const t of warm) {
      await ex.prepare(t);
      await ex.start(t);
    }
    await httpGet(await listeningPort(ex, warm[0]!.ID));
    const before = rss();
    const tasks = Array.from({ length: 100 }, (_, i) => [
      task({ Image: 'swarmlab/whoami:1' }, { Slot: i + 1 }),
      task({ Image: 'alpine', Args: ['sleep', 'infinity'] }, { Slot: i + 1 }),
    ]).flat();
    for (const t of tasks) {
      await ex.prepare(t);
      await ex.start(t);
    }
    // Every whoami answers once, so each has a served connection's worth of state too.
    for (const t of tasks.filter((_, i) => i % 2 === 0)) expect((await httpGet(await listeningPort(ex, t.ID))).status).toBe(200);
    const delta = rss() - before;
    console.log(`RSS delta for 100 whoami + 100 sleep tasks: ${(delta / MiB).toFixed(1)} MiB`);
    expect(delta).toBeLessThan(300 * MiB);
  });
});
