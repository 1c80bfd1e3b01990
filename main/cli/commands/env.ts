// swarmlab env: the variables that point docker and swarmctl at a machine, in the user's shell's
// syntax, to be applied with eval (or --unset, to point them away again).

import type { Command } from '../command.ts';
import { detectShell, parseShell, setVariables, SHELLS, unsetVariables, usageHint } from '../shell.ts';
import { expectArgs } from '../usage.ts';
import { runningMachine } from './show.ts';

export const ENV_VARIABLES = ['DOCKER_HOST', 'SWARM_SOCKET', 'SWARMLAB_MACHINE_NAME'] as const;

export const env: Command = {
  name: 'env',
  summary: "Print the commands that point docker and swarmctl at a machine",
  args: '[OPTIONS] NAME',
  options: { shell: { type: 'string' }, unset: { type: 'boolean', short: 'u' } },
  optionHelp: [
    `      --shell string       the shell to print for: ${SHELLS.join(', ')} (default: detected)`,
    '  -u, --unset              print the commands that unset the variables instead (no NAME)',
  ],
  async run(ctx, p, argv) {
    const shell = typeof p.values.shell === 'string' ? parseShell(p.values.shell) : detectShell(ctx.env, ctx.platform);
    const hint = usageHint(shell, ['swarmlab', 'env', ...argv].join(' '));
    if (p.values.unset) {
      expectArgs('env', p.positionals, 0, 0);
      ctx.out.write(unsetVariables(shell, ENV_VARIABLES) + hint);
      return 0;
    }
    expectArgs('env', p.positionals, 1, 1);
    const m = await runningMachine(ctx, p.positionals[0]!);
    const vars: [string, string][] = [
      ['DOCKER_HOST', m.driver.url()],
      ['SWARM_SOCKET', m.paths.socket],
      ['SWARMLAB_MACHINE_NAME', m.config.name],
    ];
    ctx.out.write(setVariables(shell, vars) + hint);
    return 0;
  },
};
