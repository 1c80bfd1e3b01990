// The local driver with real swarmd processes: the whole lifecycle of one machine, a kill that
// takes its real task processes with it, and a start that fails with the log's last lines.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, ping, swarmRole } from '../../../vm/engine-api.ts';
import type { LocalDriver } from '../../../vm/local/driver.ts';
import { descendants, listProcesses, processesWithEnv, processInfo } from '../../../vm/local/processes.ts';
import { Machines, type Machine } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { isGone, reap, tempHome, waitFor } from '../helpers.ts';

const DOCKER = '/usr/local/bin/docker';
let home: string;
let machines: Machines;

beforeAll(async () => {
  home = await tempHome();
  machines = new Machines(new MachineStore({ home, firstSlot: 100 }));
});
afterAll(() => reap(home));

function docker(m: Machine, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DOCKER_HOST: m.driver.url(), DOCKER_CLI_HINTS: 'false' };
    execFile(DOCKER, args, { env, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`docker ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
  });
}

async function swarmInfo(m: Machine): Promise<{ NodeID: string; LocalNodeState: string }> {
  return (await getJson<{ Swarm: { NodeID: string; LocalNodeState: string } }>(m.paths.socket, '/info')).body.Swarm;
}

describe('local driver', () => {
  let m: Machine;

  it('create starts a swarmd with swarm mode off that answers /_ping', async () => {
    const steps: string[] = [];
    m = await machines.create('m1', { driver: 'local', isolation: 'process' }, (s) => steps.push(s));
    expect(steps.join('\n')).toContain('(m1) Starting swarmd on 127.0.0.100:2377');
    expect(await m.driver.status()).toBe('Running');
    expect(await ping(m.paths.socket)).toBe(true);
    expect((await swarmInfo(m)).LocalNodeState).toBe('inactive');
    expect(m.driver.url()).toBe(`unix://${m.paths.socket}`);
    expect(m.driver.address()).toBe('127.0.0.100');
    expect(m.driver.ssh()).toEqual({ host: '127.0.0.100', port: 2222, user: 'docker', keyPath: join(home, 'keys', 'id_ed25519') });
    expect(existsSync(m.paths.log) && existsSync(m.paths.pid)).toBe(true);
  });

  it('start of a running machine does nothing', async () => {
    const pid = (await (m.driver as LocalDriver).process())!.pid;
    expect(await m.driver.start()).toBe('already-running');
    expect((await (m.driver as LocalDriver).process())!.pid).toBe(pid);
  });

  it('pause freezes it (the API stops answering), resume thaws it', async () => {
    await m.driver.pause();
    expect(await m.driver.status()).toBe('Paused');
    expect(await ping(m.paths.socket, 300)).toBe(false);
    await m.driver.resume();
    expect(await m.driver.status()).toBe('Running');
    expect(await ping(m.paths.socket)).toBe(true);
  });

  it('stop ends it gracefully; start again keeps its state dir (same swarm node)', async () => {
    await docker(m, 'swarm', 'init');
    const before = await swarmInfo(m);
    expect(before.LocalNodeState).toBe('active');
    await m.driver.stop();
    expect(await m.driver.status()).toBe('Stopped');
    expect(existsSync(m.paths.socket)).toBe(false);
    expect(await m.driver.start()).toBe('started');
    expect(await m.driver.status()).toBe('Running');
    await waitFor(async () => (await swarmInfo(m)).LocalNodeState === 'active', 20_000, 'swarm active again');
    expect((await swarmInfo(m)).NodeID).toBe(before.NodeID);
  });

  it('stop of a paused machine thaws and stops it', async () => {
    await m.driver.pause();
    await m.driver.stop();
    expect(await m.driver.status()).toBe('Stopped');
    await m.driver.start();
  });

  it('kill ends swarmd and its real task processes at once', async () => {
    const { NodeID } = await swarmInfo(m);
    await waitFor(async () => (await swarmRole(m.paths.socket)) === 'leader', 20_000, 'leader again');
    await docker(m, 'service', 'create', '--detach', '--name', 'sleeper', 'alpine', 'sh', '-c', 'sleep 1000');
    await waitFor(async () => (await processesWithEnv('SWARMLAB_NODE_ID', NodeID)).length > 0, 30_000, 'task process running');
    const swarmd = (await (m.driver as LocalDriver).process())!;
    const tasks = descendants(swarmd.pid, await listProcesses());
    expect(tasks.length).toBeGreaterThan(0);
    await m.driver.kill();
    expect(await m.driver.status()).toBe('Stopped');
    expect(await isGone(swarmd.pid)).toBe(true);
    await waitFor(async () => (await processesWithEnv('SWARMLAB_NODE_ID', NodeID)).length === 0, 5_000, 'no task process left');
    for (const t of tasks) expect((await processInfo(t.pid))?.state ?? 'gone').toMatch(/gone|Z/);
  });

  it('rm removes the machine and its directory', async () => {
    await m.driver.start();
    const pid = (await (m.driver as LocalDriver).process())!.pid;
    await machines.remove('m1');
    expect(existsSync(m.paths.dir)).toBe(false);
    expect(await isGone(pid)).toBe(true);
    await expect(machines.get('m1')).rejects.toThrow('machine "m1" does not exist');
  });

  it('a machine that cannot start says why with its log, and is not kept', async () => {
    const failing = new Machines(new MachineStore({ home, firstSlot: 100 }), {
      local: { command: () => ({ file: process.execPath, args: ['-e', 'console.error("swarmd: cannot bind, for the test"); process.exit(3)'] }) },
    });
    const err = await failing.create('bad', { driver: 'local', isolation: 'process' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/machine "bad" did not start: swarmd exited with code 3; the end of .*swarmd\.log:\n/);
    expect((err as Error).message).toContain('swarmd: cannot bind, for the test');
    expect(await failing.store.exists('bad')).toBe(false);
  });

  it('a machine whose API never answers is killed at the deadline', async () => {
    const silent = new Machines(new MachineStore({ home, firstSlot: 100 }), {
      local: { startTimeoutMs: 500, command: (args) => ({ file: process.execPath, args: ['-e', 'console.log("up, but no API"); setInterval(() => {}, 1000)', '--', ...args] }) },
    });
    const started = Date.now();
    const err = await silent.create('mute', { driver: 'local', isolation: 'process' }).catch((e: Error) => e);
    expect((err as Error).message).toContain('machine "mute" did not start: its Docker API did not answer within 0.5 s');
    expect((err as Error).message).toContain('up, but no API');
    expect(Date.now() - started).toBeLessThan(10_000);
    const strays = (await listProcesses()).filter((p) => p.command.includes('up, but no API') && p.state !== 'Z');
    expect(strays).toEqual([]);
  });

  it('netns isolation is refused up front without root on Linux, leaving nothing', async () => {
    for (const host of [{ platform: 'linux', uid: 1000, hasIp: true }, { platform: 'darwin', uid: 0, hasIp: false }] as const) {
      const other = new Machines(new MachineStore({ home, firstSlot: 100 }), { host });
      await expect(other.create('ns', { driver: 'local', isolation: 'netns' })).rejects.toThrow(
        '--isolation netns needs root on Linux (it creates network namespaces); use --isolation process',
      );
      expect(await other.store.exists('ns')).toBe(false);
    }
  });
});
