// swarmlab up / down with real machines: the default lab from its template, checked through the
// Engine API; a bad lab file that creates nothing; ups that fail midway and leave nothing behind
// (and nothing that was not theirs removed); a second copy under another name. Every process is
// reaped by the temporary home's reaper, failed test or not.

import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeObject } from '../../../core/api/objects.ts';
import { EngineClient } from '../../../main/lab/engine-client.ts';
import { loadLab } from '../../../main/lab/templates.ts';
import { upLab } from '../../../main/lab/up.ts';
import { machineProcess } from '../../../vm/local/machine-process.ts';
import { descendants, listProcesses } from '../../../vm/local/processes.ts';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { isGone, reap, tempHome, waitFor } from '../../vm/helpers.ts';
import { cliRunner } from './run.ts';

let home: string;
let machines: Machines;
let cli: ReturnType<typeof cliRunner>;

beforeAll(async () => {
  home = await tempHome();
  // 200..254: room for six machines at once (two copies of a three-machine lab).
  machines = new Machines(new MachineStore({ home, firstSlot: 200 }));
  cli = cliRunner(machines);
});
afterAll(() => reap(home));

const api = (name: string) => new EngineClient(name, machines.store.paths(name).socket);
const dirs = async (sub: string) => readdir(join(home, sub)).catch(() => [] as string[]);

/** Every process of the home's machines: their swarmd and all below it. */
async function labProcesses(): Promise<number[]> {
  const table = await listProcesses();
  const pids: number[] = [];
  for (const name of await machines.store.names()) {
    const p = await machineProcess(machines.store.paths(name));
    if (p) pids.push(p.pid, ...descendants(p.pid, table).map((d) => d.pid));
  }
  return pids;
}

/** Processes whose command line is in this home (a swarmd left behind by a machine already deleted). */
async function strays(): Promise<string[]> {
  return (await listProcesses()).filter((p) => p.state !== 'Z' && p.command.includes(home)).map((p) => `${p.pid} ${p.command}`);
}

async function lab(name: string, text: string): Promise<string> {
  const file = join(home, name);
  await writeFile(file, text);
  return file;
}

describe('the default lab', () => {
  it('up makes 5 machines: 3 managers with one leader, 2 labelled workers, all ready, and its service running', async () => {
    const r = await cli('up');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const line of ['Creating 5 machines...', '(manager1) Initializing the swarm (127.0.0.', 'Joining 2 managers and 2 workers...', '(manager2) joined as manager', '(worker2) joined as worker', 'Waiting for 5 nodes to be ready...', 'Lab "default" is up (labs/default.yaml)', 'eval $(swarmlab env manager1)', 'swarmlab ssh manager1']) {
      expect(r.out).toContain(line);
    }
    expect(r.out).toMatch(/\nmanager1 +leader +127\.0\.0\.\d+ +unix:\/\/\S+manager1\/docker\.sock +127\.0\.0\.\d+:2222\n/);
    expect(r.out).toMatch(/\nwhoami +swarmlab\/whoami:1 +3\/3\n/);

    const nodes = await api('manager1').get<NodeObject[]>('/nodes');
    const byName = Object.fromEntries(nodes.map((n) => [n.Description!.Hostname, n]));
    expect(Object.keys(byName).sort()).toEqual(['manager1', 'manager2', 'manager3', 'worker1', 'worker2']);
    expect(nodes.every((n) => n.Status.State === 'ready')).toBe(true);
    expect(nodes.filter((n) => n.Spec.Role === 'manager' && n.ManagerStatus?.Reachability === 'reachable')).toHaveLength(3);
    expect(nodes.filter((n) => n.ManagerStatus?.Leader).map((n) => n.Description!.Hostname)).toEqual(['manager1']);
    expect(byName.worker1!.Spec.Labels).toEqual({ zone: 'a' });
    expect(byName.worker2!.Spec.Labels).toEqual({ zone: 'b' });
    const swarm = await api('manager2').get<{ Spec: { Dispatcher: { HeartbeatPeriod: number }; Labels: Record<string, string> } }>('/swarm');
    expect(swarm.Spec.Dispatcher.HeartbeatPeriod).toBe(500_000_000);
    expect(swarm.Spec.Labels['com.swarmlab.profile']).toBe('lab');
    const services = await api('manager3').get<{ Spec: { Name: string }; ServiceStatus: { RunningTasks: number } }[]>('/services?status=true');
    expect(services.map((s) => [s.Spec.Name, s.ServiceStatus.RunningTasks])).toEqual([['whoami', 3]]);

    const ls = (await cli('ls')).out;
    expect(ls).toMatch(/\nmanager1 +local +Running +\S+ +leader\n/);
    expect(ls).toMatch(/\nworker2 +local +Running +\S+ +worker\n/);
    expect(await dirs('labs')).toEqual(['default.json']);
  });

  it('up again is refused while the lab is up, and creates nothing', async () => {
    const r = await cli('up');
    expect(r.code).toBe(1);
    expect(r.err).toBe('swarmlab: cannot bring up lab "default": machines manager1, manager2, manager3, worker1, worker2 already exist: remove them first (swarmlab down, or swarmlab rm NAME), or run the lab under another name (swarmlab up --name NAME ...)\n');
    expect(await machines.store.names()).toHaveLength(5);
  });

  it('down removes exactly the lab: no machine, no record, no process left', async () => {
    const pids = await labProcesses();
    expect(pids.length).toBeGreaterThanOrEqual(5);
    const r = await cli('down');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Lab "default" removed: 5 machines.');
    expect(await dirs('machines')).toEqual([]);
    expect(await dirs('labs')).toEqual([]);
    await waitFor(async () => (await Promise.all(pids.map(isGone))).every(Boolean), 10_000, 'every process of the lab gone');
    expect(await strays()).toEqual([]);
    const again = await cli('down');
    expect(again).toEqual({ code: 1, out: '', err: 'swarmlab: there is no lab to take down (swarmlab up makes one; swarmlab rm removes single machines)\n' });
  });
});

describe('failures', () => {
  it('a bad lab file is refused before anything is made', async () => {
    const file = await lab('bad.yaml', 'name: bad\nmachines:\n  - { name: m1, role: manager }\n  - { name: m2, role: boss }\n');
    const r = await cli('up', file);
    expect(r).toEqual({ code: 1, out: '', err: `swarmlab: ${file}:4:23: machines[1].role: expected manager or worker, got "boss"\n` });
    expect(await dirs('machines')).toEqual([]);
    expect(await dirs('labs')).toEqual([]);
  });

  it('a machine that cannot be made: the others are removed, and the error says which and why', async () => {
    const long = `w${'x'.repeat(90)}`;
    const file = await lab('long.yaml', `name: long\nmachines:\n  - { name: m1, role: manager }\n  - { name: w1, role: worker }\n  - { name: ${long}, role: worker }\n`);
    const r = await cli('up', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`swarmlab: cannot bring up lab "long": machine name "${long}" is too long for this SWARMLAB_HOME`);
    expect(r.err).toContain('(the 2 machines it had created were removed)');
    expect(r.out).toContain('Removing the 2 machines this up created...');
    expect(await dirs('machines')).toEqual([]);
    expect(await dirs('labs')).toEqual([]);
    await waitFor(async () => (await strays()).length === 0, 10_000, 'no process of the failed lab left');
  });

  it('a first manager that dies while the others join: everything made is removed, and nothing else', async () => {
    // A machine of someone else's, in the same store: it must survive the cleanup.
    await machines.create('bystander', { driver: 'local', isolation: 'process' });
    const file = await lab('dies.yaml', 'name: dies\nmachines:\n  - { name: d1, role: manager }\n  - { name: d2, role: manager }\n  - { name: d3, role: worker }\n');
    let killed = false;
    const up = upLab({
      machines,
      lab: await loadLab(file),
      readyTimeoutMs: 10_000,
      progress: (e) => {
        if (e.phase === 'join' && !killed) {
          killed = true;
          void machines.get('d1').then((m) => m.driver.kill());
        }
      },
    });
    const err = await up.then(() => undefined, (e: Error) => e);
    // Usually a join finds no manager; a join that got in first leaves the wait for readiness to fail.
    expect(err?.message).toMatch(/^cannot bring up lab "dies": (\((d2|d3)\) POST \/swarm\/join: |the swarm was not ready within 10 s: )[^]+\n\(the 3 machines it had created were removed\)$/);
    expect(await dirs('machines')).toEqual(['bystander']);
    expect(await dirs('labs')).toEqual([]);
    expect(await (await machines.get('bystander')).driver.status()).toBe('Running');
    await machines.remove('bystander');
    await waitFor(async () => (await strays()).length === 0, 10_000, 'no process of the failed lab left');
  });

  it('a machine of the lab\'s taken by another creation meanwhile is not removed with the lab\'s', async () => {
    const file = await lab('race.yaml', 'name: race\nmachines:\n  - { name: r1, role: manager }\n  - { name: r2, role: worker }\n');
    let theirs: Promise<unknown> | undefined;
    const up = upLab({
      machines,
      lab: await loadLab(file),
      progress: (e) => {
        // Queued before the lab's own creations, so it claims r2 first.
        if (e.message.startsWith('Creating')) theirs = machines.create('r2', { driver: 'local', isolation: 'process' });
      },
    });
    await expect(up).rejects.toThrow('cannot bring up lab "race": machine "r2" already exists\n(the 1 machine it had created was removed)');
    await theirs;
    expect(await dirs('machines')).toEqual(['r2']);
    expect(await dirs('labs')).toEqual([]);
    await machines.remove('r2');
  });
});

describe('services', () => {
  it('a global service is waited for; one that cannot run leaves the lab up, says why, and exits 1', async () => {
    const file = await lab('svc.yaml', `name: svc
machines: { managers: 1, workers: 1 }
cluster: { profile: swarm }
services:
  - { name: pinger, image: alpine, command: ping localhost, mode: global }
  - { name: nowhere, image: nginx, constraints: ["node.labels.zone == mars"] }
`);
    const r = await cli('up', '--timeout', '3s', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\npinger +alpine +2\/2\n/);
    expect(r.out).toMatch(/\nnowhere +nginx +0\/1\n/);
    expect(r.err).toContain('swarmlab: the lab is up, but not all of its services run:\n  service nowhere: 0/1 running after 3 s (');
    expect(r.err).toContain('swarmlab down svc removes the lab');
    // The file's profile reached the cluster.
    const swarm = await api('manager1').get<{ Spec: { Labels: Record<string, string> } }>('/swarm');
    expect(swarm.Spec.Labels['com.swarmlab.profile']).toBe('swarm');
    expect(await machines.store.names()).toEqual(['manager1', 'worker1']);
    expect((await cli('down', 'svc')).code).toBe(0);
    expect(await dirs('machines')).toEqual([]);
  });

  it('a bad --timeout is a usage error', async () => {
    expect(await cli('up', '--timeout', 'soon')).toEqual({ code: 2, out: '', err: `swarmlab: invalid --timeout "soon": expected a duration such as 30s or 2m\nSee 'swarmlab up --help'.\n` });
    expect(await dirs('machines')).toEqual([]);
  });
});

describe('two copies of a template', () => {
  it('up --name runs a second copy with prefixed machines; down without a name then asks which', async () => {
    const one = await cli('up', 'single');
    expect(one.err).toBe('');
    const two = await cli('up', '--name', 'copy', 'single');
    expect(two.err).toBe('');
    expect(two.code).toBe(0);
    expect(two.out).toContain('Lab "copy" is up (labs/single.yaml)');
    expect(await machines.store.names()).toEqual(['copy-manager1', 'copy-worker1', 'copy-worker2', 'manager1', 'worker1', 'worker2']);
    // Two separate swarms.
    const a = await api('manager1').get<NodeObject[]>('/nodes');
    const b = await api('copy-manager1').get<NodeObject[]>('/nodes');
    expect(a.map((n) => n.Description!.Hostname).sort()).toEqual(['manager1', 'worker1', 'worker2']);
    expect(b.map((n) => n.Description!.Hostname).sort()).toEqual(['copy-manager1', 'copy-worker1', 'copy-worker2']);

    expect(await cli('down')).toEqual({ code: 1, out: '', err: 'swarmlab: 2 labs are up (copy, single): name the one to take down, e.g. swarmlab down copy\n' });
    expect((await cli('down', 'nope')).err).toBe('swarmlab: no lab named "nope" (the labs are copy, single)\n');
    expect((await cli('down', 'copy')).code).toBe(0);
    expect(await machines.store.names()).toEqual(['manager1', 'worker1', 'worker2']);
    expect((await cli('down')).out).toContain('Lab "single" removed: 3 machines.');
    expect(await dirs('machines')).toEqual([]);
  });
});
