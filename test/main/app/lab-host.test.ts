// The app's hold on the lab controller, where no lab is up: it says it is bringing one up, and a lab
// that cannot be made is reported on the terminal while the app goes on (with an empty lab).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLabHost } from '../../../main/app/lab-host.ts';
import type { LabEvent } from '../../../main/lab/protocol.ts';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'swarmlab-host-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('lab host', () => {
  it('with no lab up, starts bringing up the one asked for, and reports on the terminal why it could not', async () => {
    const lines: string[] = [];
    const host = await openLabHost({ machines: new Machines(new MachineStore({ home })), template: 'no-such-lab', log: (l) => lines.push(l) });
    try {
      expect(lines[0]).toBe('swarmlab: no lab is up: bringing up "no-such-lab" (the app shows its progress)');
      await vi.waitFor(() => expect(lines[1]).toMatch(/^swarmlab: the lab could not be brought up: no lab template or file named "no-such-lab"/), { timeout: 10_000 });
      const events: LabEvent[] = [];
      host.api.subscribe((e) => events.push(e))();
      expect(events[0]).toMatchObject({ type: 'snapshot', view: { phase: 'none' } });
    } finally {
      await host.close();
    }
  });
});
