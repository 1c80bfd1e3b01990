// swarmctl cluster: ls, inspect, update. SwarmKit names the cluster ("default"); the Engine API
// has just the one swarm, so the name is optional here and, when given, must be that swarm's.

import type { ClusterObject } from '../../api/objects.ts';
import { UsageError } from '../args.ts';
import type { Command, Context } from '../command.ts';
import { formatClusterSummary } from '../format/cluster.ts';
import { header, TABLE, tabwrite } from '../tabwriter.ts';

async function getCluster(ctx: Context, args: string[], command: string): Promise<ClusterObject> {
  if (args.length > 1) throw new UsageError(`${command} command takes exactly 1 argument`);
  const cluster = await ctx.api().getSwarm();
  const ref = args[0];
  if (ref !== undefined && ref !== cluster.Spec.Name && !(ref.length > 0 && cluster.ID.startsWith(ref))) {
    throw new Error(`cluster ${ref} not found`);
  }
  return cluster;
}

const list: Command = {
  name: 'ls',
  short: 'List clusters',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' }],
  async run(ctx, args, flags) {
    if (args.length) throw new UsageError('ls command takes no arguments');
    const c = await ctx.api().getSwarm();
    ctx.out(flags.bool('quiet') ? `${c.ID}\n` : tabwrite(`${header('ID', 'Name')}${c.ID}\t${c.Spec.Name ?? ''}\n`, TABLE));
  },
};

const inspect: Command = {
  name: 'inspect',
  args: '[cluster name]',
  short: 'Inspect a cluster',
  async run(ctx, args) {
    ctx.out(formatClusterSummary(await getCluster(ctx, args, 'inspect')));
  },
};

const update: Command = {
  name: 'update',
  args: '[cluster name]',
  short: 'Update a cluster',
  flags: [
    { name: 'taskhistory', aliases: ['task-history'], type: 'uint', usage: 'Number of historic task entries to retain per slot or node (also --task-history)' },
    { name: 'certexpiry', aliases: ['cert-expiry'], type: 'string', usage: 'Duration node certificates will be valid for (also --cert-expiry)', default: '2160h0m0s' },
    { name: 'heartbeatperiod', aliases: ['heartbeat-period'], type: 'string', usage: 'Period when heartbeat is expected to receive from agent (also --heartbeat-period)' },
    { name: 'rotate-join-token', type: 'string', usage: 'Rotate join token for worker or manager' },
  ],
  async run(ctx, args, flags) {
    const taskHistory = flags.uint('taskhistory');
    const certExpiry = flags.duration('certexpiry');
    const heartbeat = flags.duration('heartbeatperiod');
    const rotate = flags.string('rotate-join-token')?.toLowerCase();
    if (rotate !== undefined && rotate !== 'worker' && rotate !== 'manager') {
      throw new UsageError("--rotate-join-token flag must be followed by 'worker' or 'manager'");
    }
    const cluster = await getCluster(ctx, args, 'update');
    const spec = structuredClone(cluster.Spec);
    if (taskHistory !== undefined) spec.Orchestration = { ...spec.Orchestration, TaskHistoryRetentionLimit: taskHistory };
    if (certExpiry !== undefined) spec.CAConfig = { ...spec.CAConfig, NodeCertExpiry: certExpiry };
    if (heartbeat !== undefined) spec.Dispatcher = { ...spec.Dispatcher, HeartbeatPeriod: heartbeat };
    await ctx.api().updateSwarm(cluster.Version.Index, spec, { worker: rotate === 'worker', manager: rotate === 'manager' });
    ctx.out(`${cluster.ID}\n`);
  },
};

export const clusterCommand: Command = {
  name: 'cluster',
  short: 'Cluster management',
  subcommands: [inspect, list, update],
};
