// swarmctl node: ls, inspect, activate, pause, drain, promote, demote, update, rm — SwarmKit's
// commands and messages. Changes read the node and send its spec back with the version read, so a
// concurrent change is refused rather than overwritten.

import type { NodeAvailability, NodeObject, NodeRole, NodeSpec } from '../../api/objects.ts';
import { UsageError } from '../args.ts';
import type { Command, Context } from '../command.ts';
import { formatNodeList, formatNodeSummary } from '../format/nodes.ts';
import { formatTaskTable } from '../format/tasks.ts';
import { makeNames } from '../names.ts';
import { byId, exactlyOne } from './common.ts';

async function changeNode(ctx: Context, args: string[], change: (spec: NodeSpec) => NodeSpec | undefined, noChange: string): Promise<void> {
  if (args.length === 0) throw new UsageError('missing node ID');
  if (args.length > 1) throw new UsageError('command takes exactly 1 argument');
  const api = ctx.api();
  const node = await api.getNode(args[0]!);
  const spec = change(structuredClone(node.Spec));
  if (!spec) throw new Error(noChange.replace('%s', args[0]!));
  await api.updateNode(node.ID, node.Version.Index, spec);
}

const availability = (name: string, value: NodeAvailability, short: string, noChange: string): Command => ({
  name,
  args: '<node ID>',
  short,
  run: (ctx, args) => changeNode(ctx, args, (s) => (s.Availability === value ? undefined : { ...s, Availability: value }), noChange),
});

const role = (name: string, value: NodeRole, short: string, noChange: string): Command => ({
  name,
  args: '<node ID>',
  short,
  run: (ctx, args) => changeNode(ctx, args, (s) => (s.Role === value ? undefined : { ...s, Role: value }), noChange),
});

const list: Command = {
  name: 'ls',
  short: 'List nodes',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' }],
  async run(ctx, args, flags) {
    if (args.length) throw new UsageError('ls command takes no arguments');
    const nodes = byId(await ctx.api().listNodes());
    ctx.out(formatNodeList(nodes, flags.bool('quiet')));
  },
};

const inspect: Command = {
  name: 'inspect',
  args: '<node ID>',
  short: 'Inspect a node',
  flags: [{ name: 'all', short: 'a', type: 'bool', usage: 'Show all tasks (default shows just running)' }],
  async run(ctx, args, flags) {
    const ref = exactlyOne(args, 'node ID missing');
    const api = ctx.api();
    const node = await api.getNode(ref);
    const tasks = await api.listTasks({ node: [node.ID] });
    let out = formatNodeSummary(node);
    if (tasks.length) {
      const services = tasks.every((t) => t.ServiceName) ? [] : await api.listServices();
      const names = makeNames({ nodes: [node], services }, ctx.resolveNames);
      out += `\n${formatTaskTable(tasks, names, ctx.now(), flags.bool('all'))}`;
    }
    ctx.out(out);
  },
};

function labels(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of entries) {
    const eq = l.indexOf('=');
    if (eq < 0) throw new UsageError(`malformed label for node ${l}`);
    out[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return out;
}

const update: Command = {
  name: 'update',
  args: '<node ID>',
  short: 'Update a node',
  flags: [{ name: 'label', type: 'list', usage: 'node label (key=value)' }],
  async run(ctx, args, flags) {
    const given = flags.changed('label') ? labels(flags.list('label')) : undefined;
    await changeNode(
      ctx,
      args,
      (s) => (given === undefined || sameLabels(s.Labels ?? {}, given) ? undefined : { ...s, Labels: given }),
      'No change for node %s',
    );
  },
};

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const remove: Command = {
  name: 'remove',
  aliases: ['rm'],
  args: '<node ID>',
  short: 'Remove a node',
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of a node' }],
  async run(ctx, args, flags) {
    if (args.length === 0) throw new UsageError('missing node ID');
    if (args.length > 1) throw new UsageError('remove command takes exactly 1 argument');
    const api = ctx.api();
    const node: NodeObject = await api.getNode(args[0]!);
    await api.removeNode(node.ID, flags.bool('force'));
  },
};

export const nodeCommand: Command = {
  name: 'node',
  short: 'Node management',
  subcommands: [
    inspect,
    list,
    availability('activate', 'active', 'Activate a node', 'Node %s is already active'),
    availability('pause', 'pause', 'Pause a node', 'Node %s was already paused'),
    availability('drain', 'drain', 'Drain a node', 'Node %s was already drained'),
    role('promote', 'manager', 'Promote a node to a manager', 'Node %s is already a manager'),
    role('demote', 'worker', 'Demote a node from a manager to a worker', 'Node %s is already a worker'),
    update,
    remove,
  ],
};
