// swarmlab ls: docker-machine ls's table. The SWARM column asks each running node's API for its
// part in its swarm; a node that does not answer shows why under ERRORS instead. A FAULTS column
// shows while some machine has network faults (swarmlab fault).

import { swarmRole } from '../../../vm/engine-api.ts';
import type { MachineState } from '../../../vm/driver.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { table } from '../table.ts';
import { expectArgs } from '../usage.ts';
import { describeFaults } from './fault.ts';

export interface MachineRow {
  name: string;
  driver: string;
  state: MachineState;
  url: string;
  swarm: string;
  /** The network faults in force, in a few words ('' without). */
  faults: string;
  error: string;
}

export async function machineRows(ctx: CliContext, timeoutMs = 2_000): Promise<MachineRow[]> {
  const listed = await ctx.machines.store.list();
  const names = new Map(listed.flatMap((l) => (l.config ? [[l.config.ip, l.name] as const] : [])));
  return Promise.all(
    listed.map(async ({ name, config, error }): Promise<MachineRow> => {
      if (!config) return { name, driver: '', state: 'Error', url: '', swarm: '', faults: '', error: error ?? '' };
      const driver = ctx.machines.driverFor(config);
      const row: MachineRow = { name, driver: config.driver, state: 'Error', url: '', swarm: '', faults: '', error: '' };
      // A stopped machine's faults hold too: they apply when it runs again.
      row.faults = describeFaults(await driver.faults?.().catch(() => undefined), (ip) => names.get(ip));
      try {
        row.state = await driver.status();
        if (row.state !== 'Running') return row;
        row.url = driver.url();
        row.swarm = await swarmRole(ctx.machines.store.paths(name).socket, timeoutMs);
      } catch (err) {
        row.error = (err as Error).message;
      }
      return row;
    }),
  );
}

export const ls: Command = {
  name: 'ls',
  summary: 'List machines',
  args: '[OPTIONS]',
  options: { quiet: { type: 'boolean', short: 'q' } },
  optionHelp: ['  -q, --quiet              only show machine names'],
  async run(ctx, p) {
    expectArgs('ls', p.positionals, 0, 0);
    if (p.values.quiet) {
      for (const name of await ctx.machines.store.names()) ctx.out.write(`${name}\n`);
      return 0;
    }
    const rows = await machineRows(ctx);
    if (rows.some((r) => r.faults)) {
      ctx.out.write(table(['NAME', 'DRIVER', 'STATE', 'URL', 'SWARM', 'FAULTS', 'ERRORS'], rows.map((r) => [r.name, r.driver, r.state, r.url, r.swarm, r.faults, r.error])));
    } else {
      ctx.out.write(table(['NAME', 'DRIVER', 'STATE', 'URL', 'SWARM', 'ERRORS'], rows.map((r) => [r.name, r.driver, r.state, r.url, r.swarm, r.error])));
    }
    return 0;
  },
};
