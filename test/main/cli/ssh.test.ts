// Consoles of machines made by the local driver: `swarmlab ssh NAME COMMAND` with OpenSSH and with
// the built-in client sees the swarm; an interactive ssh2 session's window size reaches its PTY;
// inspect prints an OpenSSH command line that works as printed.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { reap, tempHome, waitFor } from '../../vm/helpers.ts';
import { connect, Console } from '../../vm/local/ssh-client.ts';
import { cliRunner } from './run.ts';

let home: string;
let cli: ReturnType<typeof cliRunner>;

beforeAll(async () => {
  home = await tempHome();
  cli = cliRunner(new Machines(new MachineStore({ home, firstSlot: 160 })), { SHELL: '/bin/bash', PATH: process.env.PATH });
  for (const name of ['ssh1', 'ssh2']) expect((await cli('create', name)).code).toBe(0);
  // A swarm of two, made from inside the consoles as a tutorial would.
  const ip1 = (await cli('ip', 'ssh1')).out.trim();
  const init = await cli('ssh', 'ssh1', 'docker', 'swarm', 'init', '--advertise-addr', ip1);
  expect(init.out).toContain('Swarm initialized');
  const token = (await cli('ssh', 'ssh1', 'docker', 'swarm', 'join-token', '-q', 'worker')).out.trim();
  expect((await cli('ssh', 'ssh2', 'docker', 'swarm', 'join', '--token', token, `${ip1}:2377`)).out).toContain('This node joined a swarm as a worker.');
}, 60_000);
afterAll(() => reap(home));

describe('swarmlab ssh', () => {
  it('runs docker and swarmctl in the machine through OpenSSH, with their exit status', async () => {
    await waitFor(async () => (await cli('ssh', 'ssh1', 'docker', 'node', 'ls', '--format', '{{.Hostname}}')).out.split('\n').filter(Boolean).length === 2, 15_000, 'two nodes');
    const nodes = await cli('ssh', 'ssh1', 'docker', 'node', 'ls', '--format', "'{{.Hostname}} {{.ManagerStatus}}'");
    expect(nodes.code).toBe(0);
    expect(nodes.out.split('\n').filter(Boolean).map((l) => l.trimEnd()).sort()).toEqual(['ssh1 Leader', 'ssh2']);
    const ctl = await cli('ssh', 'ssh1', 'swarmctl', 'node', 'ls');
    expect(ctl.code).toBe(0);
    expect(ctl.out).toMatch(/\n\w+ +ssh2 +ACCEPTED +READY +ACTIVE/);
    // A worker has no control API: the command's error and status come back through ssh.
    const worker = await cli('ssh', 'ssh2', 'docker', 'node', 'ls');
    expect(worker.code).toBe(1);
    expect(worker.err).toContain('This node is not a swarm manager.');
  });

  it('--native: the built-in client does the same', async () => {
    const r = await cli('ssh', '--native', 'ssh1', 'docker', 'info', '--format', "'{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'");
    expect(r).toMatchObject({ code: 0, out: 'active true\n' });
    const failed = await cli('ssh', '--native', 'ssh2', 'exit 7');
    expect(failed).toMatchObject({ code: 7, err: '' });
  });

  it('a stopped or unknown machine is refused with what to do', async () => {
    expect(await cli('ssh', 'nosuch', 'true')).toMatchObject({ code: 1, err: expect.stringContaining('nosuch') });
    expect(await cli('ssh')).toMatchObject({ code: 2, err: expect.stringContaining('requires a machine NAME') });
  });
});

describe('consoles', () => {
  it('an interactive ssh2 session: the prompt names the machine, window size reaches the PTY', async () => {
    const info = JSON.parse((await cli('inspect', 'ssh1')).out) as { Driver: { SSHHost: string; SSHPort: number; SSHKeyPath: string } };
    const c = await connect(info.Driver.SSHHost, info.Driver.SSHPort, await readFile(info.Driver.SSHKeyPath, 'utf8'));
    try {
      const con = await Console.open(c, { rows: 24, cols: 80, term: 'xterm-256color' });
      await con.waitFor(/ssh1/);
      con.type('stty size\n');
      await con.waitFor(/24 80/);
      const from = con.output.length;
      con.stream.setWindow(40, 120, 0, 0);
      con.type('stty size; echo $DOCKER_HOST\n');
      await con.waitFor(/40 120\r?\nunix:\/\/\S+docker\.sock/, 10_000, from);
      con.type('exit\n');
      await con.closed;
    } finally {
      c.close();
    }
  });

  it("inspect's SSHCommand works as printed with OpenSSH", async () => {
    const info = JSON.parse((await cli('inspect', 'ssh2')).out) as { Driver: { SSHCommand: string } };
    expect(info.Driver.SSHCommand).toMatch(/^ssh -i \S+id_ed25519 -p 2222 .* docker@127\.0\.0\.\d+$/);
    const out = await new Promise<string>((resolve, reject) =>
      execFile('bash', ['-c', `${info.Driver.SSHCommand} -o BatchMode=yes -- printenv HOSTNAME`], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
    );
    expect(out.trim()).toBe('ssh2');
  });
});
