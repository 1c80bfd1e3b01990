// swarmctl service logs: each service's log stream from the daemon, every line prefixed as SwarmKit
// prefixes it ("web.2@node-1❯ "), stdout to stdout and stderr to stderr. With several services the
// streams are read side by side.

import type { IncomingMessage } from 'node:http';
import type { TaskObject } from '../../api/objects.ts';
import { UsageError } from '../args.ts';
import type { Command, Context } from '../command.ts';
import { LogDemuxer, parseDetails } from '../log-demux.ts';
import { makeNames, type Names } from '../names.ts';

export const LOG_PROMPT = '❯';

/** Names for the tasks in log lines; a task started since the command began is looked up once. */
function taskNamer(ctx: Context, names: Names, known: Map<string, TaskObject>): (id: string) => Promise<string> {
  const looked = new Set<string>();
  return async (id) => {
    if (ctx.resolveNames && id && !known.has(id) && !looked.has(id)) {
      looked.add(id);
      const t = await ctx.api().getTask(id).catch(() => undefined);
      if (t) known.set(id, t);
    }
    const t = known.get(id);
    return t && ctx.resolveNames ? `${t.ServiceName ?? names.service(t.ServiceID)}.${t.Slot ?? 0}` : id;
  };
}

async function pump(ctx: Context, res: IncomingMessage, taskName: (id: string) => Promise<string>, names: Names): Promise<string[]> {
  const demux = new LogDemuxer();
  const errors: string[] = [];
  try {
    for await (const chunk of res) {
      for (const f of demux.push(chunk as Buffer)) {
        if (f.stream === 'system') {
          errors.push(f.text.trim());
          continue;
        }
        const line = parseDetails(f.text.replace(/\n$/, ''));
        const prefix = line.taskId ? `${await taskName(line.taskId)}@${names.node(line.nodeId)}${LOG_PROMPT} ` : '';
        (f.stream === 'stderr' ? ctx.err : ctx.out)(`${prefix}${line.text}\n`);
      }
    }
  } catch (err) {
    if (!ctx.signal.aborted) throw err;
  }
  return errors;
}

export const logsCommand: Command = {
  name: 'logs',
  aliases: ['log'],
  args: '<service ID...>',
  short: 'Obtain log output from a service',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', usage: 'Follow log output' },
    { name: 'tail', type: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' },
  ],
  async run(ctx, args, flags) {
    if (!args.length) throw new UsageError('missing service IDs');
    const tail = flags.string('tail');
    if (tail !== undefined && tail !== 'all' && !/^\d+$/.test(tail)) throw new UsageError(`invalid argument "${tail}" for "--tail" flag: expected a number of lines or all`);
    const api = ctx.api();
    const services = await Promise.all(args.map((a) => api.getService(a)));
    const [nodes, tasks] = ctx.resolveNames
      ? await Promise.all([api.listNodes(), api.listTasks({ service: services.map((s) => s.ID) })])
      : [[], []];
    const names = makeNames({ nodes, services }, ctx.resolveNames);
    const taskName = taskNamer(ctx, names, new Map(tasks.map((t) => [t.ID, t])));
    const streams = await Promise.all(services.map((s) => api.serviceLogs(s.ID, { follow: flags.bool('follow'), tail, signal: ctx.signal })));
    const errors = (await Promise.all(streams.map((res) => pump(ctx, res, taskName, names)))).flat();
    if (errors.length) throw new Error(errors.join('\n'));
  },
};
