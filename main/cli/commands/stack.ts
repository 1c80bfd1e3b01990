// swarmlab stack: `docker stack` for the lab, without the docker CLI: deploy a compose file (format
// 3.x) as a stack, list stacks, their services and tasks, remove one. The objects are the docker
// CLI's own (same names, labels and specs), so either can manage a stack the other deployed. It
// talks to the lab's leader (main/stack/target.ts).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceObject } from '../../../core/api/objects.ts';
import { listStacks, stackServices, stackTasks } from '../../../core/stack/deploy.ts';
import { timestampAgo } from '../../../core/swarmctl/humanize.ts';
import { LabError } from '../../lab/errors.ts';
import { deployCompose, removeComposeStack, userErrors } from '../../stack/stack.ts';
import { stackTarget } from '../../stack/target.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { table } from '../table.ts';
import { expectArgs, UsageError } from '../usage.ts';

const SUBCOMMANDS = ['deploy', 'ls', 'services', 'ps', 'rm'] as const;

export const stack: Command = {
  name: 'stack',
  summary: 'Deploy a compose file as a stack, and manage stacks (docker stack, without docker)',
  args: 'deploy -c FILE [--prune] NAME | ls | services NAME | ps NAME | rm NAME',
  description: [
    'Subcommands:',
    '  deploy -c FILE [--prune] NAME   deploy (or update) stack NAME from a compose file (version 3.x)',
    '  ls                              list the stacks',
    '  services NAME                   list the services of a stack',
    '  ps NAME                         list the tasks of a stack',
    '  rm NAME                         remove a stack: its services, networks, secrets and configs',
    '',
    'The lab is the only one up, or the one --lab names. ${VAR} in the file is taken from the environment.',
    'Stacks are the docker CLI\'s: docker stack ls/ps/rm work on them too (eval $(swarmlab env MACHINE)).',
  ].join('\n'),
  options: { 'compose-file': { type: 'string', short: 'c' }, prune: { type: 'boolean' }, lab: { type: 'string' } },
  optionHelp: [
    '  -c, --compose-file string   deploy: the compose file ("-" for standard input)',
    '      --prune                 deploy: remove the stack\'s services the file no longer has',
    '      --lab string            the lab (default: the only one up)',
  ],
  async run(ctx, p) {
    const [sub, ...args] = p.positionals;
    if (sub === undefined) throw new UsageError(`"swarmlab stack" requires a subcommand: ${SUBCOMMANDS.join(', ')}`, 'stack');
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "${sub}": expected ${SUBCOMMANDS.join(', ')}`, 'stack');
    if (sub !== 'deploy' && (p.values['compose-file'] !== undefined || p.values.prune !== undefined)) throw new UsageError('--compose-file and --prune go with deploy only', 'stack');
    const lab = typeof p.values.lab === 'string' ? p.values.lab : undefined;
    if (sub === 'ls') {
      expectArgs('stack ls', args, 0, 0);
      return ls(ctx, lab);
    }
    expectArgs(`stack ${sub}`, args, 1, 1);
    const name = args[0]!;
    switch (sub) {
      case 'deploy': {
        const file = p.values['compose-file'];
        if (typeof file !== 'string') throw new UsageError('"swarmlab stack deploy" requires a compose file: -c FILE', 'stack');
        return deploy(ctx, name, file, p.values.prune === true, lab);
      }
      case 'services':
        return services(ctx, name, lab);
      case 'ps':
        return ps(ctx, name, lab);
      default:
        return rm(ctx, name, lab);
    }
  },
};

async function deploy(ctx: CliContext, name: string, file: string, prune: boolean, lab: string | undefined): Promise<number> {
  let text: string;
  try {
    text = file === '-' ? await readStdin(ctx) : await readFile(file, 'utf8');
  } catch (err) {
    throw new LabError(`cannot read the compose file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const target = await stackTarget(ctx.machines, lab);
  const r = await deployCompose(target.engine, {
    name,
    compose: text,
    source: file === '-' ? 'stdin' : file,
    env: ctx.env,
    dir: file === '-' ? process.cwd() : path.dirname(path.resolve(file)),
    prune,
  });
  // As the docker CLI: warnings on standard error, before the steps.
  for (const w of r.warnings) ctx.err.write(`${w}\n\n`);
  for (const line of r.lines) ctx.out.write(`${line}\n`);
  return 0;
}

async function ls(ctx: CliContext, lab: string | undefined): Promise<number> {
  const target = await stackTarget(ctx.machines, lab);
  const stacks = await userErrors(() => listStacks(target.engine));
  ctx.out.write(table(['NAME', 'SERVICES'], stacks.map((s) => [s.name, String(s.services)])));
  return 0;
}

async function services(ctx: CliContext, name: string, lab: string | undefined): Promise<number> {
  const target = await stackTarget(ctx.machines, lab);
  const list = await userErrors(() => stackServices(target.engine, name));
  if (list.length === 0) {
    ctx.err.write(`Nothing found in stack: ${name}\n`);
    return 0;
  }
  ctx.out.write(
    table(
      ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'],
      list.map((s) => [s.ID.slice(0, 12), s.Spec.Name ?? '', 'Global' in s.Spec.Mode ? 'global' : 'replicated', replicas(s), s.Spec.TaskTemplate.ContainerSpec.Image, ports(s)]),
    ),
  );
  return 0;
}

function replicas(s: ServiceObject & { ServiceStatus?: { RunningTasks: number; DesiredTasks: number } }): string {
  const st = s.ServiceStatus;
  const desired = 'Replicated' in s.Spec.Mode ? (s.Spec.Mode.Replicated.Replicas ?? 1) : st?.DesiredTasks;
  return `${st?.RunningTasks ?? 0}/${desired ?? 0}`;
}

function ports(s: ServiceObject): string {
  return (s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? [])
    .filter((p) => p.PublishedPort)
    .map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol ?? 'tcp'}`)
    .join(', ');
}

async function ps(ctx: CliContext, name: string, lab: string | undefined): Promise<number> {
  const target = await stackTarget(ctx.machines, lab);
  const tasks = await userErrors(() => stackTasks(target.engine, name));
  if (tasks.length === 0) {
    ctx.err.write(`Nothing found in stack: ${name}\n`);
    return 0;
  }
  const now = new Date();
  const state = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  ctx.out.write(
    table(
      ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR'],
      tasks.map(({ task, service, node }) => [
        task.ID.slice(0, 12),
        `${service.Spec.Name ?? service.ID}.${task.Slot ?? task.NodeID ?? ''}`,
        task.Spec.ContainerSpec.Image,
        node?.Description?.Hostname ?? '',
        state(task.DesiredState),
        `${state(task.Status.State)} ${timestampAgo(task.Status.Timestamp, now)}`,
        task.Status.Err ? JSON.stringify(task.Status.Err) : '',
      ]),
    ),
  );
  return 0;
}

async function rm(ctx: CliContext, name: string, lab: string | undefined): Promise<number> {
  const target = await stackTarget(ctx.machines, lab);
  const lines = await removeComposeStack(target.engine, name);
  for (const line of lines) (line.startsWith('Nothing found') ? ctx.err : ctx.out).write(`${line}\n`);
  return 0;
}

async function readStdin(ctx: CliContext): Promise<string> {
  const input = ctx.stdin as unknown as AsyncIterable<Buffer> | undefined;
  if (!input || !(Symbol.asyncIterator in input)) throw new Error('there is no standard input to read');
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}
