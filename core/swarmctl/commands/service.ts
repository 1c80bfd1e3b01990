// swarmctl service: create, ls, inspect, update, scale, rm, logs. SwarmKit's commands, flags and
// messages; `scale` is the docker CLI's (SwarmKit's swarmctl scales with `update --replicas`).

import { isDeepStrictEqual } from 'node:util';
import type { NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { formatServiceList, formatServiceSummary } from '../format/services.ts';
import { formatTaskTable } from '../format/tasks.ts';
import { makeNames } from '../names.ts';
import { CREATE_FLAGS, mergeServiceFlags, newServiceSpec, UPDATE_FLAGS } from '../service-flags.ts';
import { logsCommand } from './logs.ts';
import { byId, exactlyOne } from './common.ts';

/** Tasks that count as running in `service ls`: running, on a node that is not down. */
export function runningByService(tasks: readonly TaskObject[], nodes: readonly NodeObject[]): Map<string, number> {
  const live = new Set(nodes.filter((n) => n.Status.State !== 'down').map((n) => n.ID));
  const running = new Map<string, number>();
  for (const t of tasks) {
    if (t.Status.State === 'running' && t.NodeID && live.has(t.NodeID)) running.set(t.ServiceID, (running.get(t.ServiceID) ?? 0) + 1);
  }
  return running;
}

const create: Command = {
  name: 'create',
  short: 'Create a service',
  flags: CREATE_FLAGS,
  async run(ctx, args, flags) {
    if (args.length) throw new UsageError('create command takes no arguments');
    if (!flags.changed('name') || !flags.changed('image')) throw new UsageError('--name and --image are mandatory');
    const spec = mergeServiceFlags(newServiceSpec(), flags);
    const { ID } = await ctx.api().createService(spec);
    ctx.out(`${ID}\n`);
  },
};

const list: Command = {
  name: 'ls',
  short: 'List services',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' }],
  async run(ctx, args, flags) {
    if (args.length) throw new UsageError('ls command takes no arguments');
    const api = ctx.api();
    const services = byId(await api.listServices());
    let running = new Map<string, number>();
    if (services.every((s) => s.ServiceStatus)) {
      for (const s of services) running.set(s.ID, s.ServiceStatus!.RunningTasks);
    } else if (!flags.bool('quiet')) {
      // A daemon without ServiceStatus: count as SwarmKit's swarmctl does.
      const [tasks, nodes] = await Promise.all([api.listTasks(), api.listNodes()]);
      running = runningByService(tasks, nodes);
    }
    ctx.out(formatServiceList(services, running, flags.bool('quiet')));
  },
};

const inspect: Command = {
  name: 'inspect',
  args: '<service ID>',
  short: 'Inspect a service',
  flags: [{ name: 'all', short: 'a', type: 'bool', usage: 'Show all tasks (default shows just running)' }],
  async run(ctx, args, flags) {
    const api = ctx.api();
    const service = await api.getService(exactlyOne(args, 'service ID missing'));
    const tasks = await api.listTasks({ service: [service.ID] });
    const running = tasks.filter((t) => t.Status.State === 'running').length;
    let out = formatServiceSummary(service, running, ctx.now());
    if (tasks.length) {
      const names = makeNames({ nodes: ctx.resolveNames ? await api.listNodes() : [], services: [service] }, ctx.resolveNames);
      out += `\n${formatTaskTable(tasks, names, ctx.now(), flags.bool('all'))}`;
    }
    ctx.out(out);
  },
};

const update: Command = {
  name: 'update',
  args: '<service ID>',
  short: 'Update a service',
  flags: UPDATE_FLAGS,
  async run(ctx, args, flags) {
    const ref = exactlyOne(args, 'service ID missing', 'update');
    const api = ctx.api();
    const service = await api.getService(ref);
    const spec = mergeServiceFlags(service.Spec, flags);
    if (isDeepStrictEqual(spec, service.Spec)) throw new Error('no changes detected');
    await api.updateService(service.ID, service.Version.Index, spec);
    ctx.out(`${service.ID}\n`);
  },
};

/** "web=5" */
export function parseScale(arg: string): { ref: string; replicas: number } {
  const eq = arg.lastIndexOf('=');
  const ref = arg.slice(0, eq);
  const n = arg.slice(eq + 1);
  if (eq <= 0 || !/^\d+$/.test(n)) throw new UsageError(`invalid scale specifier '${arg}': expected SERVICE=REPLICAS, e.g. web=5`);
  return { ref, replicas: Number(n) };
}

const scale: Command = {
  name: 'scale',
  args: 'SERVICE=REPLICAS [SERVICE=REPLICAS...]',
  short: 'Scale one or more replicated services',
  async run(ctx, args) {
    if (!args.length) throw new UsageError('missing SERVICE=REPLICAS (e.g. web=5)');
    const wanted = args.map(parseScale);
    const api = ctx.api();
    const failures: string[] = [];
    // As `docker service scale`: every service is tried, and the failures are told at the end.
    for (const { ref, replicas } of wanted) {
      try {
        const service: ServiceObject = await api.getService(ref);
        if (!('Replicated' in service.Spec.Mode)) throw new Error(`scale can only be used with replicated mode (${ref} is global)`);
        const spec = structuredClone(service.Spec);
        spec.Mode = { Replicated: { Replicas: replicas } };
        await api.updateService(service.ID, service.Version.Index, spec);
        ctx.out(`${ref} scaled to ${replicas}\n`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length) throw new Error(failures.join('\n'));
  },
};

const remove: Command = {
  name: 'remove',
  aliases: ['rm'],
  args: '<service ID>...',
  short: 'Remove a service',
  async run(ctx, args) {
    if (!args.length) throw new UsageError('service ID missing');
    const api = ctx.api();
    for (const ref of args) {
      const service = await api.getService(ref);
      await api.removeService(service.ID);
      ctx.out(`${ref}\n`);
    }
  },
};

export const serviceCommand: Command = {
  name: 'service',
  aliases: ['svc'],
  short: 'Service management',
  subcommands: [inspect, list, create, update, scale, remove, logsCommand],
};
