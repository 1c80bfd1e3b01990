// swarmctl task: ls and inspect, as SwarmKit's.

import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { formatTaskList, formatTaskSummary, formatTaskTable, taskParents } from '../format/tasks.ts';
import { makeNames } from '../names.ts';
import { byId, exactlyOne } from './common.ts';

const list: Command = {
  name: 'ls',
  short: 'List tasks',
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all tasks (default shows just running)' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' },
  ],
  async run(ctx, args, flags) {
    if (args.length) throw new UsageError('ls command takes no arguments');
    const api = ctx.api();
    const tasks = byId(await api.listTasks());
    const quiet = flags.bool('quiet');
    const lookup = ctx.resolveNames && !quiet && tasks.length > 0;
    const [nodes, services] = lookup ? await Promise.all([api.listNodes(), api.listServices()]) : [[], []];
    const names = makeNames({ nodes, services }, ctx.resolveNames);
    ctx.out(formatTaskList(tasks, names, ctx.now(), { all: flags.bool('all'), quiet }));
  },
};

const inspect: Command = {
  name: 'inspect',
  args: '<task ID>',
  short: 'Inspect a task',
  async run(ctx, args) {
    const api = ctx.api();
    const task = await api.getTask(exactlyOne(args, 'task ID missing'));
    const [serviceTasks, nodes, services] = await Promise.all([
      api.listTasks({ service: [task.ServiceID] }),
      ctx.resolveNames ? api.listNodes() : [],
      ctx.resolveNames ? api.listServices() : [],
    ]);
    const names = makeNames({ nodes, services }, ctx.resolveNames);
    let out = formatTaskSummary(task, names);
    const parents = taskParents(task, serviceTasks);
    if (parents.length) out += `\n===> Task Parents\n${formatTaskTable(parents, names, ctx.now(), true)}`;
    ctx.out(out);
  },
};

export const taskCommand: Command = {
  name: 'task',
  short: 'Task management',
  subcommands: [list, inspect],
};
