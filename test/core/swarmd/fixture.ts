// swarmd nodes inside the test process: real TLS on loopback, real state directories, the test
// executor for tasks. `cleanup` stops them and removes their directories.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestExecutor } from '../../../core/agent/test-executor.ts';
import { systemClock } from '../../../core/clock.ts';
import { systemRandom } from '../../../core/random.ts';
import { Swarmd } from '../../../core/swarmd/daemon.ts';

export class InProcessNodes {
  private readonly nodes: Swarmd[] = [];
  private readonly dirs: string[] = [];

  async node(name: string): Promise<Swarmd> {
    const dir = await mkdtemp(join(tmpdir(), `swarmd-${name}-`));
    this.dirs.push(dir);
    const n = new Swarmd({
      stateDir: dir,
      hostname: name,
      listenAddr: '127.0.0.1:0',
      profile: 'lab',
      clock: systemClock,
      random: systemRandom,
      makeExecutor: () => new TestExecutor({ clock: systemClock }),
      log: (level, c, line) => {
        if (level === 'error' || process.env.SWARMD_TEST_LOG) console.log(`[${name}] ${level} ${c}: ${line}`);
      },
    });
    this.nodes.push(n);
    return n;
  }

  async cleanup(): Promise<void> {
    for (const n of this.nodes.splice(0)) await n.stop();
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

export async function until(pred: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
