// swarmlab up / down of a lab whose machines have netns isolation (root on Linux): three managers
// and two workers, each in its own namespace with an IP of the lab's subnet, a swarm with a leader
// and a running service; down leaves no machine, namespace, interface or process. The reaper
// removes all of them even when a test fails.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeObject } from '../../../core/api/objects.ts';
import { EngineClient } from '../../../main/lab/engine-client.ts';
import { machineProcess } from '../../../vm/local/machine-process.ts';
import { descendants, listProcesses } from '../../../vm/local/processes.ts';
import { Machines } from '../../../vm/machines.ts';
import { run } from '../../../vm/netns/command.ts';
import { links, namespaces, namespacePids } from '../../../vm/netns/network.ts';
import { labNetPlan } from '../../../vm/netns/plan.ts';
import { MachineStore } from '../../../vm/store.ts';
import { isGone, waitFor } from '../../vm/helpers.ts';
import { netnsHome, netnsSkipReason, reapNetns } from '../../vm/netns/helpers.ts';
import { cliRunner } from './run.ts';

const LAB = `name: netlab
machines: { managers: 3, workers: 2, isolation: netns }
services:
  - name: whoami
    image: swarmlab/whoami:1
    replicas: 3
`;

let home: string;
let machines: Machines;
let cli: ReturnType<typeof cliRunner>;

describe.skipIf(netnsSkipReason !== undefined)(`a lab of netns machines${netnsSkipReason ? ` — skipped: ${netnsSkipReason}` : ''}`, () => {
  beforeAll(async () => {
    home = await netnsHome();
    machines = new Machines(new MachineStore({ home }));
    cli = cliRunner(machines);
  });
  afterAll(() => reapNetns(home));

  it('up: five machines in namespaces of their own, a swarm with a leader, its service running', async () => {
    const file = join(home, 'netlab.yaml');
    await writeFile(file, LAB);
    const r = await cli('up', file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const plan = labNetPlan(home);
    const ip = (name: string) => machines.store.load(name).then((c) => c.ip);
    expect(r.out).toContain(`${await ip('manager1')}:22`);

    for (const name of await machines.store.names()) {
      const config = await machines.store.load(name);
      expect(config.ip.startsWith(`${plan.prefix}.`)).toBe(true);
      const p = (await machineProcess(machines.store.paths(name)))!;
      expect((await run('ip', ['netns', 'identify', String(p.pid)])).trim()).toBe(config.netns!.namespace);
    }
    const api = new EngineClient('manager2', machines.store.paths('manager2').socket);
    const nodes = await api.get<NodeObject[]>('/nodes');
    expect(nodes.map((n) => n.Description!.Hostname).sort()).toEqual(['manager1', 'manager2', 'manager3', 'worker1', 'worker2']);
    expect(nodes.every((n) => n.Status.State === 'ready')).toBe(true);
    expect(nodes.filter((n) => n.ManagerStatus?.Leader)).toHaveLength(1);
    // Nodes know each other by their namespaces' addresses.
    expect(nodes.map((n) => n.Status.Addr).sort()).toEqual((await Promise.all((await machines.store.names()).map(ip))).sort());
    await waitFor(
      async () => (await api.get<{ ServiceStatus: { RunningTasks: number } }[]>('/services?status=true'))[0]?.ServiceStatus.RunningTasks === 3,
      30_000,
      'whoami running 3/3',
    );
  });

  it('down: no machine, namespace, interface or process of the lab left', async () => {
    const plan = labNetPlan(home);
    const table = await listProcesses();
    const pids: number[] = [];
    for (const name of await machines.store.names()) {
      const config = await machines.store.load(name);
      const p = await machineProcess(machines.store.paths(name));
      if (p) pids.push(p.pid, ...descendants(p.pid, table).map((d) => d.pid));
      pids.push(...(await namespacePids(config.netns!.namespace)));
    }
    expect(pids.length).toBeGreaterThanOrEqual(5);
    const r = await cli('down');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await machines.store.names()).toEqual([]);
    expect([...(await namespaces()), ...(await links())].filter((n) => n.startsWith(plan.bridge))).toEqual([]);
    await waitFor(async () => (await Promise.all(pids.map(isGone))).every(Boolean), 10_000, 'every process of the lab gone');
  });
});
