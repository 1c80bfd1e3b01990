// swarmlab down: removes a lab's machines (exactly those `swarmlab up` made for it), side by side.

import { downLab } from '../../lab/down.ts';
import type { Command } from '../command.ts';
import { expectArgs } from '../usage.ts';

export const down: Command = {
  name: 'down',
  summary: "Remove a lab: its machines, their nodes and their files",
  args: '[NAME]',
  description: 'Without NAME, the only lab there is (several: name one).',
  options: {},
  async run(ctx, p) {
    expectArgs('down', p.positionals, 0, 1);
    const r = await downLab({ machines: ctx.machines, ...(p.positionals[0] ? { name: p.positionals[0] } : {}), progress: (line) => ctx.out.write(`${line}\n`) });
    const gone = r.missing.length > 0 ? ` (${r.missing.join(', ')} had already been removed)` : '';
    ctx.out.write(`Lab "${r.name}" removed: ${r.removed.length} machine${r.removed.length === 1 ? '' : 's'}${gone}.\n`);
    return 0;
  },
};
