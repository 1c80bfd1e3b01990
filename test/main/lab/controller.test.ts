// The lab controller with real machines (local driver): a lab brought up from a lab file, the view
// converging on it; the leader's machine killed and the view following the new leader through a
// live manager; a six-replica service; a console that runs `docker node ls`; a second controller
// that takes the running lab over; the lab destroyed.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabController } from '../../../main/lab/controller.ts';
import type { LabEvent, LabView, TimelineEntry } from '../../../main/lab/protocol.ts';
import { applyDelta } from '../../../main/lab/view-diff.ts';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { reap, tempHome, waitFor } from '../../vm/helpers.ts';

let home: string;
let machines: Machines;
let controller: LabController;
let view: LabView | undefined;
const timeline: TimelineEntry[] = [];
const events: LabEvent[] = [];

const LAB = `name: ctl
machines:
  - { name: ctl-m1, role: manager }
  - { name: ctl-m2, role: manager }
  - { name: ctl-m3, role: manager }
  - { name: ctl-w1, role: worker }
cluster:
  profile: lab
  heartbeat: 500ms
`;

const opts = () => ({ machines, watch: { pollMs: 500, retryMs: 200, throttleMs: 50 }, machinePollMs: 300 });

/** The view as a window sees it: the snapshot, then every delta applied. */
function mirror(e: LabEvent): void {
  events.push(e);
  if (e.type === 'snapshot') {
    view = e.view;
    timeline.push(...e.timeline);
  } else if (e.type === 'delta') view = applyDelta(view!, e.delta);
  else if (e.type === 'timeline') timeline.push(e.entry);
}

const v = () => view!;
const leader = () => v().nodes.find((n) => n.id === v().leaderId);

beforeAll(async () => {
  home = await tempHome();
  machines = new Machines(new MachineStore({ home, firstSlot: 230 }));
  controller = new LabController(opts());
  await controller.start();
  controller.subscribe(mirror);
});

afterAll(async () => {
  await controller?.close();
  await reap(home);
});

describe('LabController with real machines', () => {
  it('brings a lab up from a lab file; the view converges on 4 ready nodes and one leader', async () => {
    expect(v().phase).toBe('none');
    const file = join(home, 'ctl.yaml');
    await writeFile(file, LAB);
    await controller.createLab({ file });
    expect(events.some((e) => e.type === 'progress' && e.operation === 'createLab' && e.done && !e.error)).toBe(true);
    await waitFor(() => v().nodes.length === 4 && v().nodes.every((n) => n.state === 'ready') && v().quorum.reachable === 3, 20_000, 'four ready nodes, three reachable managers');
    expect(v()).toMatchObject({ phase: 'running', name: 'ctl', stale: false, quorum: { managers: 3, reachable: 3, quorum: 2, canLose: 1 } });
    expect(v().nodes.filter((n) => n.leader)).toHaveLength(1);
    expect(v().via).toBe(leader()!.machine);
    expect(v().machines.map((m) => [m.name, m.role, m.state, m.nodeId !== undefined])).toEqual([
      ['ctl-m1', 'manager', 'Running', true],
      ['ctl-m2', 'manager', 'Running', true],
      ['ctl-m3', 'manager', 'Running', true],
      ['ctl-w1', 'worker', 'Running', true],
    ]);
    expect(timeline.map((t) => t.text)).toContain('Lab ctl is up (ctl-m1 leads)');
  });

  it("kills the leader's machine: another manager leads, and the view reads through a live one", async () => {
    const old = leader()!;
    expect(await controller.checkNodeChange({ nodeId: old.id, action: 'kill' })).toBeUndefined();
    await controller.machineAction({ machine: old.machine!, action: 'kill' });
    await waitFor(() => !v().stale && v().leaderId !== undefined && v().leaderId !== old.id && v().via !== old.machine, 20_000, 'a new leader');
    expect(v().machines.find((m) => m.name === old.machine)?.state).toBe('Stopped');
    expect(v().via).toBe(leader()!.machine);
    expect(timeline.some((t) => t.kind === 'leader' && t.text.startsWith(`${leader()!.hostname} elected leader`))).toBe(true);
    expect(timeline.some((t) => t.kind === 'machine' && t.text === `${old.machine} killed (power cut)`)).toBe(true);
    // Now one more manager down would lose quorum, and the warning says so (once the new leader
    // has heard from the other manager: its reachability starts unknown).
    await waitFor(() => v().quorum.reachable === 2, 10_000, 'two reachable managers');
    const other = v().nodes.find((n) => n.reachability !== undefined && n.id !== old.id && !n.leader)!;
    const w = await controller.checkNodeChange({ nodeId: other.id, action: 'stop' });
    expect(w?.message).toBe(`Stopping ${other.hostname} would lose quorum`);
    expect(w?.reason).toContain(`${old.hostname} is unreachable`);
  });

  it('creates a six-replica service and sees six running tasks', async () => {
    const { id } = await controller.createService({ name: 'web', image: 'swarmlab/whoami:1', mode: 'replicated', replicas: 6 });
    const running = () => v().tasks.filter((t) => t.serviceId === id && t.state === 'running' && t.desiredState === 'running');
    await waitFor(() => running().length === 6, 30_000, 'six running tasks');
    expect(v().services.find((s) => s.id === id)).toMatchObject({ name: 'web', desired: 6, running: 6, mode: 'replicated' });
    expect(new Set(running().map((t) => t.slot))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    await expect(controller.createService({ name: 'bad', image: 'nosuch:1', mode: 'replicated' })).rejects.toThrow(/no image "nosuch:1" in the lab's image catalog/);
  });

  it('adds a worker, which joins; draining it moves its tasks away', async () => {
    const { name } = await controller.addMachine({ role: 'worker' });
    expect(name).toBe('ctl-worker1');
    await waitFor(() => v().nodes.some((n) => n.hostname === 'ctl-worker1' && n.state === 'ready'), 20_000, 'ctl-worker1 ready');
    expect(v().machines.find((m) => m.name === 'ctl-worker1')).toMatchObject({ role: 'worker', state: 'Running' });
    const w1 = v().nodes.find((n) => n.hostname === 'ctl-w1')!;
    await controller.setNodeAvailability({ nodeId: w1.id, availability: 'drain' });
    await waitFor(() => v().nodes.find((n) => n.id === w1.id)?.availability === 'drain' && !v().tasks.some((t) => t.nodeId === w1.id && t.desiredState === 'running'), 20_000, 'ctl-w1 drained');
    await waitFor(() => v().services.find((s) => s.name === 'web')?.running === 6, 20_000, 'six running again');
    expect(timeline.some((t) => t.text === 'ctl-w1 drained: its tasks move to other nodes')).toBe(true);
  });

  it('a rolling update shows its progress up to completed, and a rollback goes back', async () => {
    const web = v().services.find((s) => s.name === 'web')!;
    await controller.updateService({ serviceId: web.id, image: 'swarmlab/whoami:2', policy: { parallelism: 3, delay: '0s', monitor: '500ms' } });
    await waitFor(() => v().services.find((s) => s.id === web.id)?.update?.state === 'completed', 30_000, 'update completed');
    expect(v().services.find((s) => s.id === web.id)).toMatchObject({ image: 'swarmlab/whoami:2', update: { state: 'completed', updated: 6, total: 6 } });
    expect(v().tasks.filter((t) => t.serviceId === web.id && t.outdated)).toEqual([]);
    await controller.rollbackService({ serviceId: web.id });
    await waitFor(() => v().services.find((s) => s.id === web.id)?.update?.state === 'rollback_completed', 30_000, 'rollback completed');
    expect(v().services.find((s) => s.id === web.id)?.image).toBe('swarmlab/whoami:1');
    expect(timeline.filter((t) => t.kind === 'update').map((t) => t.text)).toEqual(
      expect.arrayContaining(['rolling update of web to swarmlab/whoami:2 started', 'update of web completed', 'web rolled back to swarmlab/whoami:1']),
    );
    await expect(controller.scaleService({ serviceId: 'nosuch', replicas: 1 })).rejects.toThrow(/service nosuch not found/);
  });

  it("follows a service's logs, each line labelled with its task and node", async () => {
    const { id } = await controller.createService({ name: 'pinger', image: 'alpine', mode: 'replicated', replicas: 2, command: ['ping', 'localhost'] });
    await waitFor(() => v().services.find((s) => s.id === id)?.running === 2, 20_000, 'two pingers');
    const lines: string[] = [];
    const unsubscribe = controller.subscribe((e) => {
      if (e.type === 'logs') lines.push(...e.lines);
    });
    try {
      const { streamId } = await controller.openLogs({ serviceId: 'pinger', tail: 2 });
      await waitFor(() => new Set(lines.map((l) => /^pinger\.(\d)@/.exec(l)?.[1])).size >= 2, 20_000, 'lines of both tasks');
      expect(lines[0]).toMatch(/^pinger\.[12]@(ctl-m\d|ctl-worker1) \| /);
      await controller.closeLogs({ streamId });
      await waitFor(() => events.some((e) => e.type === 'logs-end' && e.streamId === streamId), 5_000, 'the stream ends');
    } finally {
      unsubscribe();
    }
    await controller.removeService({ serviceId: id });
    await waitFor(() => !v().services.some((s) => s.id === id), 10_000, 'pinger removed');
  });

  it('partitions a worker from every other machine and heals it', async () => {
    await controller.partition({ machine: 'ctl-worker1' });
    await waitFor(() => v().machines.find((m) => m.name === 'ctl-worker1')?.faults?.partition === 'all', 5_000, 'the fault in the view');
    await waitFor(() => v().nodes.find((n) => n.hostname === 'ctl-worker1')?.state === 'down', 20_000, 'worker1 down');
    await controller.heal({ machine: 'ctl-worker1' });
    await waitFor(() => v().machines.find((m) => m.name === 'ctl-worker1')?.faults === undefined, 5_000, 'healed in the view');
    await waitFor(() => v().nodes.find((n) => n.hostname === 'ctl-worker1')?.state === 'ready', 20_000, 'ctl-worker1 ready again');
    expect(timeline.some((t) => t.kind === 'fault' && t.text === 'ctl-worker1 cut off from every other machine')).toBe(true);
  });

  it('opens a console and reads docker node ls through console-data events', async () => {
    const machine = v().via!;
    const { consoleId } = await controller.openConsole({ machine, cols: 120, rows: 30 });
    // Every event is kept from the start (events), so the prompt that may come before this line is not missed.
    let acked = 0;
    const output = () => {
      const data = events.flatMap((e) => (e.type === 'console-data' && e.consoleId === consoleId ? [e.data] : [])).join('');
      if (data.length > acked) {
        void controller.consoleAck({ consoleId, bytes: data.length - acked });
        acked = data.length;
      }
      return data;
    };
    // Typed only at the prompt, as a person would: a shell starting up may discard keys typed ahead.
    await waitFor(() => output().includes(`@${machine}:~$ `), 15_000, 'the prompt');
    const from = output().length;
    await controller.consoleInput({ consoleId, data: 'docker node ls\r' });
    // The table is the point here, not each node's state (a worker may still be failing over).
    await waitFor(() => /HOSTNAME +STATUS/.test(output().slice(from)) && /Leader/.test(output().slice(from)) && output().slice(from).includes(`@${machine}:~$ `), 15_000, 'the output of docker node ls').catch((err: Error) => {
      throw new Error(`${err.message}; the console printed:\n${output()}`);
    });
    for (const host of ['ctl-m1', 'ctl-m2', 'ctl-m3', 'ctl-w1', 'ctl-worker1']) expect(output().slice(from)).toContain(host);
    await controller.consoleInput({ consoleId, data: 'exit\r' });
    await waitFor(() => events.some((e) => e.type === 'console-exit' && e.consoleId === consoleId), 10_000, 'the console ends');
  });

  it('a second controller takes the running lab over', async () => {
    const second = new LabController(opts());
    let seen: LabView | undefined;
    second.subscribe((e) => {
      if (e.type === 'snapshot') seen = e.view;
      else if (e.type === 'delta') seen = applyDelta(seen!, e.delta);
    });
    try {
      await second.start();
      await waitFor(() => seen?.leaderId === v().leaderId && seen?.nodes.length === v().nodes.length && seen?.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running').length === 6, 20_000, 'the same swarm');
      expect(seen).toMatchObject({ phase: 'running', name: 'ctl', stale: false, via: v().via });
      expect(seen!.services.map((s) => s.colorIndex)).toEqual(v().services.map((s) => s.colorIndex));
    } finally {
      await second.close();
    }
  });

  it('destroys the lab: its machines are gone and the view is empty', async () => {
    await controller.destroyLab();
    expect(await machines.store.names()).toEqual([]);
    await waitFor(() => v().phase === 'none', 5_000, 'no lab');
    expect(v()).toMatchObject({ phase: 'none', machines: [], nodes: [], services: [], tasks: [], stale: false });
    expect(v().name).toBeUndefined();
    await expect(controller.destroyLab()).rejects.toThrow('there is no lab to destroy');
  });
});
