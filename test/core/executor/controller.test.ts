// The real task controller on the process executor: a task's states from accepted to its end, as
// the dispatcher would receive them.
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskObject, TaskStatus } from '../../../core/api/objects.ts';
import { TaskController } from '../../../core/agent/controller.ts';
import { systemClock } from '../../../core/clock.ts';
import type { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { executor, httpGet, listeningPort, task, until } from './helpers.ts';

const open: ProcessExecutor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.close()));
});

async function drive(t: TaskObject) {
  const ex = await executor();
  open.push(ex);
  const reports: TaskStatus[] = [];
  const ctrl = new TaskController({ task: t, executor: ex, clock: systemClock, report: (_id, s) => reports.push(s) });
  ctrl.start();
  return { ex, ctrl, reports, states: () => reports.map((r) => r.State) };
}

describe('task controller on the process executor', () => {
  it('a command that succeeds: accepted → … → running → complete', async () => {
    const c = await drive(task({ Image: 'alpine:3.19', Args: ['echo', 'done'] }));
    expect(await until(() => c.ctrl.state === 'complete')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'complete']);
    expect(c.reports.at(-1)!.ContainerStatus).toMatchObject({ ExitCode: 0, ContainerID: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('swarmlab/crash: running, then failed with Docker\'s message and its exit code', async () => {
    const c = await drive(task({ Image: 'swarmlab/crash', Env: ['CRASH_AFTER=0.2', 'EXIT_CODE=3'] }));
    expect(await until(() => c.ctrl.state === 'failed')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'failed']);
    expect(c.reports.at(-1)).toMatchObject({ Err: 'task: non-zero exit (3)', ContainerStatus: { ExitCode: 3 } });
  });

  it('swarmlab/web:red fails right after it starts', async () => {
    const c = await drive(task({ Image: 'swarmlab/web:red' }));
    expect(await until(() => c.ctrl.state === 'failed')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'failed']);
    expect(c.reports.at(-1)!.Err).toBe('task: non-zero exit (1)');
  });

  it('an image outside the catalog is rejected, as a failed pull is', async () => {
    const c = await drive(task({ Image: 'postgres:16' }));
    expect(await until(() => c.ctrl.state === 'rejected')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'rejected']);
    expect(c.reports.at(-1)!.Err).toMatch(/^No such image: postgres:16 \(the lab catalog has: /);
  });

  it('a command that cannot be found fails the task at its start', async () => {
    const c = await drive(task({ Image: 'alpine', Args: ['no-such-command-swarmlab'] }));
    expect(await until(() => c.ctrl.state === 'failed')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'failed']);
    expect(c.reports.at(-1)!.Err).toBe('exec: "no-such-command-swarmlab": executable file not found in $PATH');
  });

  it('whoami runs until desired shutdown, then reports shutdown', async () => {
    const t = task({ Image: 'swarmlab/whoami:2', StopGracePeriod: 5_000_000_000 });
    const c = await drive(t);
    expect(await until(() => c.ctrl.state === 'running')).toBe(true);
    expect((await httpGet(await listeningPort(c.ex, t.ID))).body).toContain('Version: 2');
    c.ctrl.update({ ...t, DesiredState: 'shutdown' });
    expect(await until(() => c.ctrl.state === 'shutdown')).toBe(true);
    expect(c.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'shutdown']);
    expect(await c.ex.wait(t)).toEqual({ exitCode: 143 });
    await c.ctrl.remove();
    expect(await c.ex.inspect(t)).toEqual({ state: 'absent' });
  });
});
