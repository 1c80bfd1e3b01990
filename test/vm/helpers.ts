// Machine tests' scaffolding: a temporary SWARMLAB_HOME, and a reaper that kills every machine of it
// (by the driver, or by the pid file's process group if even that fails) and deletes it, so no
// swarmd outlives a test, failed or not.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processInfo } from '../../vm/local/processes.ts';
import { Machines } from '../../vm/machines.ts';
import { MachineStore } from '../../vm/store.ts';

export async function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'swarmlab-home-'));
}

export async function reap(home: string): Promise<void> {
  const machines = new Machines(new MachineStore({ home }));
  let names: string[] = [];
  try {
    names = await readdir(join(home, 'machines'));
  } catch {
    /* nothing was created */
  }
  await Promise.all(
    names.map(async (name) => {
      try {
        await (await machines.get(name)).driver.kill();
      } catch {
        const pid = Number.parseInt(await readFile(join(home, 'machines', name, 'swarmd.pid'), 'utf8').catch(() => ''), 10);
        if (pid > 0) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
    }),
  );
  await rm(home, { recursive: true, force: true });
}

export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A process that ended; a child of the test process may linger a moment as a zombie until reaped. */
export async function isGone(pid: number): Promise<boolean> {
  const p = await processInfo(pid);
  return !p || p.state === 'Z';
}
