// Commands that are not built in run as real child processes: their own output and exit code,
// Docker's stop (signal to PID 1, kill after the grace), and nothing left behind afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskObject } from '../../../core/api/objects.ts';
import type { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { executor, isAlive, lines, task, until } from './helpers.ts';

const open: ProcessExecutor[] = [];
const pids: number[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.close()));
  // Every process a test started, and any it logged (grandchildren), must be gone.
  expect(await until(() => pids.every((p) => !isAlive(p)), 5_000)).toBe(true);
  pids.length = 0;
});

async function setup() {
  const ex = await executor();
  open.push(ex);
  const run = async (t: TaskObject) => {
    await ex.prepare(t);
    const info = await ex.start(t);
    if (info.pid !== undefined) pids.push(info.pid);
    return info;
  };
  return { ex, run };
}

const sh = (script: string, over: Partial<TaskObject['Spec']['ContainerSpec']> = {}) => task({ Image: 'alpine', Args: ['sh', '-c', script], ...over });

describe('real child processes', () => {
  it("sh -c 'echo hi; exit 3': its output, its exit code", async () => {
    const { ex, run } = await setup();
    const t = sh('echo hi; echo oops >&2; exit 3');
    const info = await run(t);
    expect(info.pid).toBeGreaterThan(0);
    expect(await ex.inspect(t)).toMatchObject({ state: 'running', pid: info.pid });
    expect(await ex.wait(t)).toEqual({ exitCode: 3 });
    expect(await lines(ex, t.ID, 'stdout')).toEqual(['hi']);
    expect(await lines(ex, t.ID, 'stderr')).toEqual(['oops']);
    expect(await ex.inspect(t)).toEqual({ state: 'exited', exitCode: 3 });
    expect(isAlive(info.pid!)).toBe(false);
  });

  it('a child that traps SIGTERM gets it and exits its own way', async () => {
    const { ex, run } = await setup();
    const t = sh('trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done');
    await run(t);
    await until(async () => (await lines(ex, t.ID)).includes('ready'));
    const began = Date.now();
    await ex.stop(t, 30_000);
    expect(Date.now() - began).toBeLessThan(20_000); // not the grace period
    expect(await ex.wait(t)).toEqual({ exitCode: 0 });
    expect(await lines(ex, t.ID)).toEqual(['ready', 'got TERM']);
  });

  it('a child that ignores SIGTERM is killed after the grace period, with its whole group (137)', async () => {
    const { ex, run } = await setup();
    const t = sh('trap "" TERM; sleep 1000 & echo $!; echo ready; while :; do sleep 0.05; done');
    await run(t);
    await until(async () => (await lines(ex, t.ID)).includes('ready'));
    pids.push(Number((await lines(ex, t.ID))[0]));
    await ex.stop(t, 300);
    expect(await ex.wait(t)).toEqual({ exitCode: 137 });
  });

  it('a plain child dies of SIGTERM (143), as a process that is not PID 1 does', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'busybox', Command: ['/bin/sh', '-c', 'echo ready; exec sleep 1000'] });
    await run(t);
    await until(async () => (await lines(ex, t.ID)).includes('ready'));
    await ex.stop(t, 30_000);
    expect(await ex.wait(t)).toEqual({ exitCode: 143 });
  });

  it('when PID 1 exits, what it left in the background dies with it', async () => {
    const { ex, run } = await setup();
    const t = sh('sleep 1000 & echo $!; exit 0');
    await run(t);
    expect(await ex.wait(t)).toEqual({ exitCode: 0 });
    const orphan = Number((await lines(ex, t.ID))[0]);
    pids.push(orphan);
    expect(await until(() => !isAlive(orphan), 5_000)).toBe(true);
  });

  it('runs with the task environment only, in a scratch directory freed on remove', async () => {
    const { ex, run } = await setup();
    process.env.SWARMLAB_TEST_NODE_SECRET = 'leak';
    try {
      const t = sh('env; pwd', { Env: ['GREETING=hello'] });
      await run(t);
      await ex.wait(t);
      const out = await lines(ex, t.ID);
      expect(out).toContain('GREETING=hello');
      expect(out).toContain('SWARMLAB_SERVICE_NAME=web');
      expect(out.some((l) => l.startsWith('HOSTNAME='))).toBe(true);
      expect(out.some((l) => l.includes('SWARMLAB_TEST_NODE_SECRET'))).toBe(false);
      const dir = out.at(-1)!;
      expect(dir).toMatch(/swarmlab-task-/);
      expect(existsSync(dir)).toBe(true);
      await ex.remove(t);
      expect(existsSync(dir)).toBe(false);
    } finally {
      delete process.env.SWARMLAB_TEST_NODE_SECRET;
    }
  });

  it('a command that does not exist fails the start with Docker\'s wording (exit 127)', async () => {
    const { ex } = await setup();
    const t = task({ Image: 'alpine', Args: ['no-such-command-swarmlab'] });
    await ex.prepare(t);
    await expect(ex.start(t)).rejects.toThrow('exec: "no-such-command-swarmlab": executable file not found in $PATH');
    expect(await ex.wait(t)).toEqual({ exitCode: 127, error: 'exec: "no-such-command-swarmlab": executable file not found in $PATH' });
    expect(await ex.inspect(t)).toEqual({ state: 'exited', exitCode: 127 });
    const abs = task({ Image: 'alpine', Args: ['/no/such/binary'] });
    await ex.prepare(abs);
    await expect(ex.start(abs)).rejects.toThrow('exec: "/no/such/binary": stat /no/such/binary: no such file or directory');
  });

  it('close() kills every task and leaves no process', async () => {
    const { ex, run } = await setup();
    for (let i = 0; i < 3; i++) await run(sh('trap "" TERM; sleep 1000'));
    expect(ex.childPids()).toHaveLength(3);
    await ex.close();
    expect(ex.childPids()).toEqual([]);
  });

  it('a node process that exits takes its tasks\' process groups with it', () => {
    const script = fileURLToPath(new URL('./fixtures/exiting-node.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    const started = JSON.parse(out.trim().split('\n').at(-1)!) as number[];
    expect(started).toHaveLength(3);
    pids.push(...started); // afterEach checks that they are gone
  });
});
