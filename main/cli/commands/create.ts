// swarmlab create: a new machine, started, with swarm mode off until `docker swarm init` or `join`.

import { DRIVERS, ISOLATIONS, type DriverName, type Isolation } from '../../../vm/config.ts';
import type { Command } from '../command.ts';
import { expectArgs, UsageError } from '../usage.ts';

export const create: Command = {
  name: 'create',
  summary: 'Create a machine and start it',
  args: '[OPTIONS] NAME',
  description: 'The machine is a swarm node with swarm mode off, like a fresh Docker host: run\n`docker swarm init` or `docker swarm join` on it (eval $(swarmlab env NAME) first).',
  options: { driver: { type: 'string', short: 'd' }, isolation: { type: 'string' } },
  optionHelp: [
    `  -d, --driver string      machine driver: ${DRIVERS.join(', ')} (default "local")`,
    `      --isolation string   how the local driver keeps machines apart: ${ISOLATIONS.join(', ')} (default "process");`,
    '                           netns gives each machine a network namespace and an IP on a bridge (root on Linux)',
  ],
  async run(ctx, p) {
    expectArgs('create', p.positionals, 1, 1);
    const name = p.positionals[0]!;
    const driver = (p.values.driver as string | undefined) ?? 'local';
    const isolation = (p.values.isolation as string | undefined) ?? 'process';
    if (!(DRIVERS as readonly string[]).includes(driver)) throw new UsageError(`unknown driver "${driver}": expected ${DRIVERS.join(', ')}`, 'create');
    if (!(ISOLATIONS as readonly string[]).includes(isolation)) throw new UsageError(`invalid --isolation "${isolation}": expected ${ISOLATIONS.join(' or ')}`, 'create');
    ctx.out.write(`Creating machine "${name}" (driver ${driver}, isolation ${isolation})...\n`);
    await ctx.machines.create(name, { driver: driver as DriverName, isolation: isolation as Isolation }, (line) => ctx.out.write(`${line}\n`));
    ctx.out.write('Docker is up and running!\n');
    ctx.out.write(`To see how to connect your Docker client to the Docker Engine running on this machine, run: swarmlab env ${name}\n`);
    return 0;
  },
};
