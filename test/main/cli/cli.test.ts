// The swarmlab CLI's commands and their output, with one real machine.

import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineProcess } from '../../../vm/local/machine-process.ts';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { isGone, reap, tempHome } from '../../vm/helpers.ts';
import { cliRunner } from './run.ts';

let home: string;
let machines: Machines;
let cli: ReturnType<typeof cliRunner>;

beforeAll(async () => {
  home = await tempHome();
  machines = new Machines(new MachineStore({ home, firstSlot: 120 }));
  cli = cliRunner(machines);
});
afterAll(() => reap(home));

describe('help and usage errors', () => {
  it('swarmlab --help lists the commands; each command has its help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: {2}swarmlab COMMAND/);
    for (const c of ['create', 'ls', 'start', 'stop', 'kill', 'restart', 'rm', 'ip', 'url', 'env', 'ssh', 'inspect']) expect(r.out).toMatch(new RegExp(`\\n  ${c} +\\S`));
    const h = await cli('create', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage:  swarmlab create [OPTIONS] NAME');
    expect(h.out).toContain('--isolation string');
    expect((await cli('help', 'env')).out).toContain('Usage:  swarmlab env [OPTIONS] NAME');
    const bare = await cli();
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('Commands:');
  });

  it('bad commands, flags and arguments exit 2 and point at the help', async () => {
    expect(await cli('frobnicate')).toEqual({ code: 2, out: '', err: `swarmlab: unknown command "frobnicate"\nSee 'swarmlab --help'.\n` });
    const flag = await cli('ls', '--bogus');
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("swarmlab: Unknown option '--bogus'");
    expect(flag.err).toContain("See 'swarmlab ls --help'.");
    expect((await cli('create')).err).toContain('"swarmlab create" requires exactly one NAME');
    expect((await cli('create', 'a', 'b')).code).toBe(2);
    expect((await cli('create', '--driver', 'virtualbox', 'x')).err).toContain('unknown driver "virtualbox": expected local');
    expect((await cli('create', '--isolation', 'vm', 'x')).err).toContain('invalid --isolation "vm": expected process or netns');
    expect((await cli('env', '--shell', 'tcl', 'x')).err).toContain('unknown shell "tcl"');
    expect((await cli('stop')).code).toBe(2);
  });

  it('unknown machines and bad names exit 1 with a clear message', async () => {
    for (const cmd of ['start', 'stop', 'kill', 'restart', 'rm', 'ip', 'url', 'env', 'inspect']) {
      const r = await cli(cmd, 'ghost');
      expect(r.code, cmd).toBe(1);
      expect(r.err, cmd).toBe('swarmlab: machine "ghost" does not exist (swarmlab ls lists them)\n');
    }
    expect((await cli('create', 'bad_name')).err).toContain('invalid machine name "bad_name"');
  });
});

describe('one machine through the CLI', () => {
  it('create prints its progress and starts the machine', async () => {
    const r = await cli('create', 'cli1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Creating machine "cli1" (driver local, isolation process)...');
    expect(r.out).toContain('(cli1) Starting swarmd on 127.0.0.120:2377...');
    expect(r.out).toContain('Docker is up and running!');
    expect(r.out).toContain('run: swarmlab env cli1');
    expect((await cli('create', 'cli1')).err).toBe('swarmlab: machine "cli1" already exists\n');
  });

  it('ls shows docker-machine columns', async () => {
    const socket = machines.store.paths('cli1').socket;
    const r = await cli('ls');
    expect(r.code).toBe(0);
    const [header, row, ...more] = r.out.trimEnd().split('\n');
    expect(more).toEqual([]);
    expect(header).toMatch(/^NAME {3,}DRIVER {3}STATE {5}URL {3,}SWARM {3}ERRORS$/);
    expect(row!.split(/ {3,}/)).toEqual(['cli1', 'local', 'Running', `unix://${socket}`]);
    // Columns line up under their headers.
    expect(row!.indexOf('Running')).toBe(header!.indexOf('STATE'));
    expect(row!.indexOf('unix://')).toBe(header!.indexOf('URL'));
    expect((await cli('ls', '-q')).out).toBe('cli1\n');
  });

  it('ip, url and inspect', async () => {
    const p = machines.store.paths('cli1');
    expect(await cli('ip', 'cli1')).toEqual({ code: 0, out: '127.0.0.120\n', err: '' });
    expect((await cli('url', 'cli1')).out).toBe(`unix://${p.socket}\n`);
    const i = await cli('inspect', 'cli1');
    expect(i.out).toMatch(/^\{\n {4}"Name": "cli1",/);
    expect(JSON.parse(i.out)).toMatchObject({
      Name: 'cli1',
      DriverName: 'local',
      State: 'Running',
      URL: `unix://${p.socket}`,
      Driver: { Isolation: 'process', IPAddress: '127.0.0.120', SwarmPort: 2377, SSHPort: 2222, StateDir: p.state, Socket: p.socket },
    });
  });

  it('env in each shell', async () => {
    const s = machines.store.paths('cli1').socket;
    expect((await cli('env', 'cli1')).out).toBe(
      `export DOCKER_HOST="unix://${s}"\nexport SWARM_SOCKET="${s}"\nexport SWARMLAB_MACHINE_NAME="cli1"\n# Run this command to configure your shell: \n# eval $(swarmlab env cli1)\n`,
    );
    expect((await cli('env', '--shell', 'fish', 'cli1')).out).toBe(
      `set -gx DOCKER_HOST "unix://${s}";\nset -gx SWARM_SOCKET "${s}";\nset -gx SWARMLAB_MACHINE_NAME "cli1";\n# Run this command to configure your shell: \n# eval (swarmlab env --shell fish cli1)\n`,
    );
    expect((await cli('env', '--shell', 'powershell', 'cli1')).out).toBe(
      `$Env:DOCKER_HOST = "unix://${s}"\n$Env:SWARM_SOCKET = "${s}"\n$Env:SWARMLAB_MACHINE_NAME = "cli1"\n# Run this command to configure your shell: \n# & swarmlab env --shell powershell cli1 | Invoke-Expression\n`,
    );
    expect((await cli('env', '--shell', 'cmd', 'cli1')).out).toBe(
      `SET DOCKER_HOST=unix://${s}\nSET SWARM_SOCKET=${s}\nSET SWARMLAB_MACHINE_NAME=cli1\nREM Run this command to configure your shell: \nREM \t@FOR /f "tokens=*" %i IN ('swarmlab env --shell cmd cli1') DO @%i\n`,
    );
    expect((await cli('env', '--unset')).out).toBe('unset DOCKER_HOST\nunset SWARM_SOCKET\nunset SWARMLAB_MACHINE_NAME\n# Run this command to configure your shell: \n# eval $(swarmlab env --unset)\n');
    expect((await cli('env', '-u', '--shell', 'fish')).out).toContain('set -e DOCKER_HOST;\n');
    expect((await cli('env', '-u', '--shell', 'powershell')).out).toContain('Remove-Item Env:\\\\DOCKER_HOST\n');
    expect((await cli('env', '-u', '--shell', 'cmd')).out).toContain('SET DOCKER_HOST=\n');
    // The shell is found from $SHELL, or is PowerShell on Windows.
    expect((await cliRunner(machines, { SHELL: '/usr/bin/fish' })('env', 'cli1')).out).toContain('set -gx DOCKER_HOST');
    expect((await cliRunner(machines, {}, 'win32')('env', 'cli1')).out).toContain('$Env:DOCKER_HOST');
  });

  it('stop, start, restart, kill print what they did; a stopped machine has no URL', async () => {
    const stop = await cli('stop', 'cli1');
    expect(stop.code).toBe(0);
    expect(stop.out).toMatch(/^Stopping "cli1"\.\.\.\n.*\nMachine "cli1" was stopped\.\n$/);
    expect((await cli('stop', 'cli1')).out).toBe('Stopping "cli1"...\nMachine "cli1" is already stopped.\n');
    expect((await cli('ls')).out.split('\n')[1]!.split(/ {3,}/)).toEqual(['cli1', 'local', 'Stopped']);
    expect(await cli('url', 'cli1')).toEqual({ code: 1, out: '', err: 'swarmlab: machine "cli1" is not running (Stopped): swarmlab start cli1\n' });
    expect((await cli('env', 'cli1')).code).toBe(1);
    expect((await cli('ip', 'cli1')).out).toBe('127.0.0.120\n');

    const start = await cli('start', 'cli1');
    expect(start.code).toBe(0);
    expect(start.out).toMatch(/^Starting "cli1"\.\.\.\n[^]*Machine "cli1" was started\.\n$/);
    expect((await cli('start', 'cli1')).out).toBe('Starting "cli1"...\nMachine "cli1" is already running.\n');
    const restart = await cli('restart', 'cli1');
    expect(restart.out).toMatch(/^Restarting "cli1"\.\.\.\n[^]*Machine "cli1" was restarted\.\n$/);
    expect(await cli('kill', 'cli1')).toEqual({ code: 0, out: 'Killing "cli1"...\nMachine "cli1" was killed.\n', err: '' });
    expect((await cli('ls')).out).toContain('Stopped');
  });

  it('a command over several machines goes on past an unknown one and exits 1', async () => {
    const r = await cli('start', 'ghost', 'cli1');
    expect(r.code).toBe(1);
    expect(r.err).toBe('swarmlab: machine "ghost" does not exist (swarmlab ls lists them)\n');
    expect(r.out).toContain('Machine "cli1" was started.');
  });

  it('a corrupt config shows in ls and blocks rm until -f, which still ends its process', async () => {
    await cli('create', 'broken');
    const pid = (await machineProcess(machines.store.paths('broken')))!.pid;
    const file = machines.store.paths('broken').config;
    await writeFile(file, '{ nope');
    const ls = await cli('ls');
    expect(ls.code).toBe(0);
    const row = ls.out.split('\n').find((l) => l.startsWith('broken'))!;
    expect(row).toMatch(/^broken {3,}Error {3,}.*is corrupt/);
    expect((await cli('start', 'broken')).err).toContain(`swarmlab: ${file} is corrupt:`);
    expect((await cli('rm', 'broken')).code).toBe(1);
    expect(await cli('rm', '-f', 'broken')).toEqual({ code: 0, out: 'About to remove broken\nSuccessfully removed broken\n', err: '' });
    expect(await isGone(pid)).toBe(true);
  });

  it('rm ends a running machine and deletes it', async () => {
    expect(await cli('rm', 'cli1')).toEqual({ code: 0, out: 'About to remove cli1\nSuccessfully removed cli1\n', err: '' });
    expect((await cli('ls')).out).toBe('NAME   DRIVER   STATE   URL   SWARM   ERRORS\n');
  });
});
