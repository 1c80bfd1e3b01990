// The process executor's life of a task — prepare, start, wait, stop, remove, inspect — and what a
// task is given: Docker's environment and hostname, the spec's command, templates.
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutorError } from '../../../core/agent/executor.ts';
import type { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { executor, lines, task } from './helpers.ts';

const open: ProcessExecutor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.close()));
});

async function setup() {
  const clock = new VirtualClock({ start: 1_700_000_000_000 });
  let n = 0;
  const ex = await executor({ clock, newContainerId: () => `${String(++n).padStart(2, '0')}${'ab'.repeat(31)}` });
  open.push(ex);
  return { ex, clock };
}

describe('process executor', () => {
  it('rejects an image outside the catalog, naming what the catalog has', async () => {
    const { ex } = await setup();
    const t = task({ Image: 'postgres:16' });
    const err = await ex.prepare(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as Error).message).toBe(
      'No such image: postgres:16 (the lab catalog has: alpine, busybox, mysql, nginx, redis, swarmlab/crash:latest, swarmlab/web:blue|green|red, swarmlab/whoami:1|2|latest, wordpress)',
    );
    await expect(ex.prepare(task({ Image: 'swarmlab/whoami:3' }))).rejects.toThrow(/^No such image: swarmlab\/whoami:3 \(/);
    expect(await ex.inspect(t)).toEqual({ state: 'absent' });
  });

  it('walks a task through prepared, running, exited and removed', async () => {
    const { ex, clock } = await setup();
    const t = task({ Image: 'alpine', Args: ['sleep', '10'] });
    expect(await ex.inspect(t)).toEqual({ state: 'absent' });
    await ex.prepare(t);
    await ex.prepare(t); // idempotent
    expect(await ex.inspect(t)).toEqual({ state: 'prepared' });
    const info = await ex.start(t);
    expect(info).toEqual({ containerId: `01${'ab'.repeat(31)}` });
    expect(await ex.start(t)).toEqual(info); // already running: the same container
    expect(await ex.inspect(t)).toEqual({ state: 'running', containerId: info.containerId });
    await clock.runFor(10_000);
    expect(await ex.inspect(t)).toEqual({ state: 'exited', exitCode: 0 });
    await expect(ex.start(t)).rejects.toThrow('the task has already run');
    await ex.remove(t);
    await ex.remove(t); // idempotent
    expect(await ex.inspect(t)).toEqual({ state: 'absent' });
    // As Docker keeps a finished container's logs, the output outlives the task on the node.
    const lines: string[] = [];
    for await (const entry of ex.logs(t.ID)) lines.push(entry.line);
    expect(lines).toEqual([]);
    expect(() => ex.logs('no-such-task')).toThrow('No such task: no-such-task');
    await expect(ex.wait(t)).rejects.toThrow(`No such task: ${t.ID}`);
  });

  it("keeps a removed task's output for `docker service logs`", async () => {
    const { ex } = await setup();
    const t = task({ Image: 'alpine', Args: ['echo', 'hello from a one-shot task'] });
    await ex.start(t);
    await ex.wait(t);
    await ex.remove(t);
    const lines: string[] = [];
    for await (const entry of ex.logs(t.ID)) lines.push(entry.line);
    expect(lines.join('')).toContain('hello from a one-shot task');
  });

  it('stopping a task that never started does nothing; removing a running one kills it', async () => {
    const { ex } = await setup();
    const prepared = task({ Image: 'alpine', Args: ['sleep', '10'] });
    await ex.prepare(prepared);
    await ex.stop(prepared, 1_000);
    expect(await ex.inspect(prepared)).toEqual({ state: 'prepared' });
    await ex.stop(task({ Image: 'alpine' }), 1_000); // unknown: nothing to stop
    const running = task({ Image: 'alpine', Args: ['sleep', 'infinity'] });
    await ex.prepare(running);
    await ex.start(running);
    const exit = ex.wait(running);
    await ex.remove(running);
    expect(await exit).toEqual({ exitCode: 137 });
  });

  it('gives the task Docker\'s environment, the spec\'s variables and swarmlab\'s identifiers', async () => {
    const { ex } = await setup();
    const t = task({ Image: 'alpine', Env: ['GREETING=hi', 'PATH=/custom/bin', 'LONELY'] }, { ID: 'tid', ServiceID: 'sid', ServiceName: 'api', Slot: 2 });
    await ex.prepare(t);
    expect(ex.environment(t.ID)).toEqual([
      'PATH=/custom/bin',
      'HOSTNAME=01ababababab',
      'SWARMLAB_TASK_ID=tid',
      'SWARMLAB_TASK_NAME=api.2.tid',
      'SWARMLAB_TASK_SLOT=2',
      'SWARMLAB_SERVICE_ID=sid',
      'SWARMLAB_SERVICE_NAME=api',
      'SWARMLAB_NODE_ID=node1',
      'SWARMLAB_NODE_HOSTNAME=worker-1',
      'GREETING=hi',
      'HOME=/root',
    ]);
    const image = task({ Image: 'nginx' });
    await ex.prepare(image);
    expect(ex.environment(image.ID)).toContain('NGINX_VERSION=1.27.3');
  });

  it('expands SwarmKit templates in Env and Hostname; a global task is named by its node', async () => {
    const { ex } = await setup();
    const t = task(
      { Image: 'alpine', Hostname: '{{.Node.Hostname}}-{{ .Service.Name }}', Env: ['WHERE={{.Node.ID}}/{{.Task.Slot}}/{{.Task.Name}}', 'OS={{.Node.Platform.OS}}'] },
      { ID: 'g1', ServiceName: 'agent', Slot: undefined, NodeID: 'node1' },
    );
    await ex.prepare(t);
    const env = ex.environment(t.ID)!;
    expect(env).toContain('HOSTNAME=worker-1-agent');
    expect(env).toContain('WHERE=node1/node1/agent.node1.g1');
    expect(env).toContain(`OS=${process.platform === 'win32' ? 'windows' : process.platform}`);
    expect(env.some((e) => e.startsWith('SWARMLAB_TASK_SLOT='))).toBe(false);
    await expect(ex.prepare(task({ Image: 'alpine', Env: ['X={{.Node.Colour}}'] }))).rejects.toThrow(
      "expanding env failed: template: can't evaluate field Colour in {{.Node.Colour}}",
    );
    await expect(ex.prepare(task({ Image: 'alpine', Hostname: '{{upper .Node.ID}}' }))).rejects.toThrow(/^expanding hostname failed: template: unsupported action/);
  });

  it('runs the command as Docker merges it: Command replaces the entrypoint and the default arguments', async () => {
    const { ex, clock } = await setup();
    // whoami's image has no echo built in: the host's runs, as a real process.
    const withArgs = task({ Image: 'swarmlab/whoami', Command: ['echo'], Args: ['from', 'args'] });
    await ex.prepare(withArgs);
    expect((await ex.start(withArgs)).pid).toBeGreaterThan(0);
    expect(await ex.wait(withArgs)).toEqual({ exitCode: 0 });
    expect(await lines(ex, withArgs.ID)).toEqual(['from args']);
    // Command alone: the image's default arguments ("redis-server") are dropped too.
    const commandOnly = task({ Image: 'redis', Command: ['echo'] });
    await ex.prepare(commandOnly);
    await ex.start(commandOnly);
    expect(await ex.wait(commandOnly)).toEqual({ exitCode: 0 });
    expect(await lines(ex, commandOnly.ID)).toEqual(['']);
    // An empty Command is no Command: the image's entrypoint runs, built in.
    const noCommand = task({ Image: 'swarmlab/crash', Command: [], Env: ['CRASH_AFTER=1'] });
    await ex.prepare(noCommand);
    expect((await ex.start(noCommand)).pid).toBeUndefined();
    await clock.runFor(1_000);
    expect(await ex.wait(noCommand)).toEqual({ exitCode: 1 });
  });

  it('rejects a stop signal Docker would not know', async () => {
    const { ex } = await setup();
    await expect(ex.prepare(task({ Image: 'alpine', StopSignal: 'SIGNOPE' }))).rejects.toThrow('Invalid signal: SIGNOPE');
    await expect(ex.prepare(task({ Image: 'alpine', StopSignal: '2' }))).resolves.toBeUndefined();
  });

  it('a stop that comes while a start is under way stops what started', async () => {
    const { ex, clock } = await setup();
    const t = task({ Image: 'swarmlab/crash', Env: ['CRASH_AFTER=100'] });
    await ex.prepare(t);
    const started = ex.start(t);
    const stopped = ex.stop(t, 5_000);
    await started;
    await clock.runFor(0);
    await stopped;
    expect(await ex.wait(t)).toEqual({ exitCode: 143 });
  });
});
