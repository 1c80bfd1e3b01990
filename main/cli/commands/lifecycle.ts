// start, stop, kill, restart, rm: each takes one or more machine names and works on them side by
// side; one machine's failure does not stop the others, and makes the command exit 1.

import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { expectArgs, EXIT_FAILURE } from '../usage.ts';
import type { Machine } from '../../../vm/machines.ts';
import { reportError } from '../report.ts';

type Action = (ctx: CliContext, m: Machine) => Promise<string>;

async function eachMachine(ctx: CliContext, command: string, names: string[], verb: string, act: Action): Promise<number> {
  expectArgs(command, names, 1, Infinity);
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        const m = await ctx.machines.get(name);
        ctx.out.write(`${verb} "${name}"...\n`);
        ctx.out.write(`${await act(ctx, m)}\n`);
        return true;
      } catch (err) {
        reportError(ctx, err);
        return false;
      }
    }),
  );
  return results.every(Boolean) ? 0 : EXIT_FAILURE;
}

const progress = (ctx: CliContext) => (line: string) => ctx.out.write(`${line}\n`);

export const start: Command = {
  name: 'start',
  summary: 'Start one or more machines',
  args: 'NAME [NAME...]',
  options: {},
  run: (ctx, p) =>
    eachMachine(ctx, 'start', p.positionals, 'Starting', async (c, m) => {
      const r = await m.driver.start(progress(c));
      const name = m.config.name;
      return r === 'already-running' ? `Machine "${name}" is already running.` : r === 'resumed' ? `Machine "${name}" was paused: it runs again.` : `Machine "${name}" was started.`;
    }),
};

export const stop: Command = {
  name: 'stop',
  summary: 'Stop one or more machines gracefully (killed if they do not stop within 10 s)',
  args: 'NAME [NAME...]',
  options: {},
  run: (ctx, p) =>
    eachMachine(ctx, 'stop', p.positionals, 'Stopping', async (c, m) => {
      if ((await m.driver.status()) === 'Stopped') return `Machine "${m.config.name}" is already stopped.`;
      await m.driver.stop(progress(c));
      return `Machine "${m.config.name}" was stopped.`;
    }),
};

export const kill: Command = {
  name: 'kill',
  summary: 'Kill one or more machines at once, with everything they run',
  args: 'NAME [NAME...]',
  options: {},
  run: (ctx, p) =>
    eachMachine(ctx, 'kill', p.positionals, 'Killing', async (_c, m) => {
      await m.driver.kill();
      return `Machine "${m.config.name}" was killed.`;
    }),
};

export const restart: Command = {
  name: 'restart',
  summary: 'Restart one or more machines (stop, then start)',
  args: 'NAME [NAME...]',
  options: {},
  run: (ctx, p) =>
    eachMachine(ctx, 'restart', p.positionals, 'Restarting', async (c, m) => {
      await m.driver.stop(progress(c));
      await m.driver.start(progress(c));
      return `Machine "${m.config.name}" was restarted.`;
    }),
};

export const rm: Command = {
  name: 'rm',
  summary: 'Remove one or more machines: the node, its state and its files',
  args: '[OPTIONS] NAME [NAME...]',
  options: { force: { type: 'boolean', short: 'f' } },
  optionHelp: ['  -f, --force              remove the machine even if its config is corrupt or its driver fails'],
  run: (ctx, p) => {
    expectArgs('rm', p.positionals, 1, Infinity);
    return eachMachineByName(ctx, p.positionals, async (name) => {
      ctx.out.write(`About to remove ${name}\n`);
      await ctx.machines.remove(name, p.values.force === true);
      ctx.out.write(`Successfully removed ${name}\n`);
    });
  },
};

/** rm works from the name alone: a machine whose config is corrupt can still be removed with -f. */
async function eachMachineByName(ctx: CliContext, names: string[], act: (name: string) => Promise<void>): Promise<number> {
  const ok = await Promise.all(
    names.map((name) =>
      act(name).then(
        () => true,
        (err: unknown) => {
          reportError(ctx, err);
          return false;
        },
      ),
    ),
  );
  return ok.every(Boolean) ? 0 : EXIT_FAILURE;
}
