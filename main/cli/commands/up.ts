// swarmlab up: a whole lab from a lab file (a template of resources/labs, or a file of your own):
// machines, swarm, node labels and services, then a summary of what is where. The work is
// main/lab/up.ts's; this prints its progress and its summary.

import { parseDuration } from '../../../core/swarmctl/duration.ts';
import { upLab, type LabSummary, type UpEvent } from '../../lab/up.ts';
import { DEFAULT_TEMPLATE, loadLab } from '../../lab/templates.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { table } from '../table.ts';
import { expectArgs, EXIT_FAILURE, UsageError } from '../usage.ts';

export const up: Command = {
  name: 'up',
  summary: 'Bring up a lab: its machines, its swarm and its services',
  args: '[OPTIONS] [FILE|TEMPLATE]',
  description: [
    `Without an argument, the ${DEFAULT_TEMPLATE} lab (3 managers, 2 workers). Templates: default, single, ha, large`,
    '(resources/labs); or the path of a lab file of your own. swarmlab down removes the lab.',
  ].join('\n'),
  options: { name: { type: 'string' }, timeout: { type: 'string' } },
  optionHelp: [
    '      --name string        run the lab under this name, its machines named NAME-MACHINE (a second copy)',
    '      --timeout duration   how long the nodes may take to be ready, and then the services to run (default 1m0s)',
  ],
  async run(ctx, p) {
    expectArgs('up', p.positionals, 0, 1, 'FILE or TEMPLATE');
    const timeoutMs = typeof p.values.timeout === 'string' ? timeout(p.values.timeout) : undefined;
    const started = performance.now();
    const lab = await loadLab(p.positionals[0]);
    const summary = await upLab({
      machines: ctx.machines,
      lab,
      ...(typeof p.values.name === 'string' ? { name: p.values.name } : {}),
      progress: (e) => printEvent(ctx, e),
      ...(timeoutMs !== undefined ? { readyTimeoutMs: timeoutMs, convergeTimeoutMs: timeoutMs } : {}),
    });
    printSummary(ctx, summary, (performance.now() - started) / 1000);
    if (summary.unconverged.length === 0) return 0;
    ctx.err.write(`swarmlab: the lab is up, but not all of its services run:\n${summary.unconverged.map((u) => `  ${u}\n`).join('')}`);
    ctx.err.write(`(docker service ps NAME tells more, after eval $(swarmlab env ${summary.leader}); swarmlab down ${summary.name} removes the lab)\n`);
    return EXIT_FAILURE;
  },
};

function timeout(text: string): number {
  let ns: number;
  try {
    ns = parseDuration(text);
  } catch {
    throw new UsageError(`invalid --timeout "${text}": expected a duration such as 30s or 2m`, 'up');
  }
  if (ns <= 0) throw new UsageError(`invalid --timeout "${text}": it must be more than 0s`, 'up');
  return ns / 1e6;
}

function printEvent(ctx: CliContext, e: UpEvent): void {
  if (e.detail) return;
  ctx.out.write(`${e.machine ? `(${e.machine}) ` : ''}${e.message}\n`);
}

function printSummary(ctx: CliContext, s: LabSummary, seconds: number): void {
  const out: string[] = [`\nLab "${s.name}" is up (${s.source}), in ${seconds.toFixed(1)} s.\n\n`];
  out.push(table(['NAME', 'ROLE', 'ADDRESS', 'URL', 'SSH'], s.machines.map((m) => [m.name, m.leader ? 'leader' : m.role, m.address, m.url, m.ssh])));
  if (s.services.length > 0) {
    out.push('\n', table(['SERVICE', 'IMAGE', 'RUNNING'], s.services.map((v) => [v.name, v.image, `${v.running}/${v.desired}`])));
  }
  const manager = s.leader;
  out.push(
    '\n',
    `Point the docker CLI at the swarm:   eval $(swarmlab env ${manager})\n`,
    `Open a console on a node:            swarmlab ssh ${manager}\n`,
    `Remove the lab:                      swarmlab down ${s.name}\n`,
  );
  ctx.out.write(out.join(''));
}
