// A whole lab machine as a real process (dist/machine.mjs: swarmd and its SSH server in one): through
// its SSH console, `docker node ls` and `swarmctl node ls` see the node the machine is.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swarmdCommand } from '../../../core/swarmd/launch.ts';
import { bundle } from '../../../main/bundle.ts';
import { sshArgs } from '../../../vm/local/ssh-command.ts';
import { ensureKeyPair } from '../../../vm/local/ssh-keys.ts';
import { ping, ROOT, waitFor } from '../../e2e/swarmd-process.ts';
import { connect, exec, type Connected } from './ssh-client.ts';

const IP = '127.0.0.51';
const MACHINE = join(ROOT, 'dist', 'machine.mjs');
let dir: string;
let child: ChildProcess | undefined;
let exited: Promise<number | null>;
const log: string[] = [];
let sshPort = 0;
let labKey: string;
let conn: Connected | undefined;

function signalGroup(sig: NodeJS.Signals): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

beforeAll(async () => {
  if (!existsSync(MACHINE)) await bundle(['machine']);
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-machine-'));
  const lab = await ensureKeyPair(join(dir, 'keys', 'id_ed25519'));
  labKey = lab.privateKey;
  const socket = join(dir, 'm1', 'docker.sock');
  const cmd = swarmdCommand(
    [
      '-d', join(dir, 'm1', 'state'),
      '--hostname', 'm1',
      '--listen-control-api', socket,
      '--listen-remote-api', `${IP}:0`,
      '--ssh-listen', `${IP}:0`,
      '--ssh-dir', join(dir, 'm1', 'ssh'),
      // The lab's public key file itself serves as the authorized keys: nothing to copy per machine.
      '--ssh-authorized-keys', join(dir, 'keys', 'id_ed25519.pub'),
    ],
    MACHINE,
  );
  // Its own process group, so the test reaps the tasks and shells it started too.
  child = spawn(cmd.file, cmd.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
  const tail = () => log.slice(-40).join('\n');
  await waitFor(async () => existsSync(socket) && (await ping(socket)), 30_000, 'machine: Docker API up', tail);
  await waitFor(
    () => {
      const m = log.join('\n').match(/ssh: listening on [\d.]+:(\d+)/);
      if (m) sshPort = Number(m[1]);
      return sshPort > 0;
    },
    30_000,
    'machine: SSH up',
    tail,
  );
  conn = await connect(IP, sshPort, labKey);
});

afterAll(async () => {
  conn?.close();
  signalGroup('SIGKILL');
  if (child) await exited;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a lab machine process', () => {
  it('runs `docker node ls` in its console and sees itself as the leader', async () => {
    if (!existsSync('/usr/local/bin/docker')) return;
    let out = '';
    await waitFor(
      async () => {
        out = (await exec(conn!, 'docker node ls', { rows: 40, cols: 160, term: 'xterm' })).stdout;
        return /m1\s.*Ready\s+Active\s+Leader/.test(out);
      },
      30_000,
      'docker node ls shows m1 as Leader',
      () => out,
    );
  });

  it('runs `swarmctl node ls` in its console and sees itself as the leader', async () => {
    let out = '';
    await waitFor(
      async () => {
        out = (await exec(conn!, 'swarmctl node ls', { rows: 40, cols: 160, term: 'xterm' })).stdout;
        // SwarmKit's CLI marks the leader with a star after its manager status.
        return /m1\s.*READY\s+ACTIVE\s+REACHABLE \*/.test(out);
      },
      30_000,
      'swarmctl node ls shows m1',
      () => out,
    );
  });

  it('takes the OpenSSH client with the printed command', async () => {
    const ep = { host: IP, port: sshPort, user: 'docker', keyPath: join(dir, 'keys', 'id_ed25519') };
    const out = await new Promise<string>((resolve) =>
      execFile('ssh', ['-o', 'BatchMode=yes', ...sshArgs(ep, ['docker node ls -q | wc -l'])], { timeout: 20_000 }, (_err, stdout) => resolve(stdout)),
    );
    expect(out.trim()).toBe('1');
  });

  it('stops on SIGTERM with its SSH server', async () => {
    conn?.close();
    conn = undefined;
    signalGroup('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code).toBe(0);
    await expect(connect(IP, sshPort, labKey)).rejects.toThrow();
  });
});
