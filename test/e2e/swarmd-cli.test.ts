// swarmd as a command: its help, bad flags, and a damaged state directory — each a clear message
// and an exit code, with nothing on disk changed.

import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { swarmdCommand } from '../../core/swarmd/launch.ts';
import { SWARMD } from './swarmd-process.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function swarmd(args: string[]) {
  const cmd = swarmdCommand(args, SWARMD);
  return spawnSync(cmd.file, cmd.args, { encoding: 'utf8', timeout: 20_000 });
}

describe('the swarmd command', () => {
  it('documents every flag in --help', () => {
    const r = swarmd(['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--state-dir', '--hostname', '--listen-control-api', '--listen-remote-api', '--advertise-remote-api', '--join-addr', '--join-token', '--manager', '--inactive', '--listen-docker-api', '--profile']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('refuses bad flags with a message that says what to do', () => {
    const unknown = swarmd(['--frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/swarmd: Unknown option '--frobnicate'[\s\S]*See 'swarmd --help'/);
    const half = swarmd(['--join-addr', '127.0.0.1:4242']);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--join-addr needs --join-token');
    const profile = swarmd(['--profile', 'fast']);
    expect(profile.stderr).toContain('invalid --profile "fast": expected lab or swarm');
    const addr = swarmd(['--listen-remote-api', 'localhost']);
    expect(addr.stderr).toContain('invalid --listen-remote-api "localhost": expected HOST:PORT');
  });

  it('stops with a clear message on a damaged state file, and leaves it as it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swarmd-corrupt-'));
    dirs.push(dir);
    const garbage = '{"version": 1, "nodeId": "abc", "role": "captain"';
    await writeFile(join(dir, 'node.json'), garbage);
    const r = swarmd(['-d', dir, '--listen-control-api', join(dir, 'd.sock'), '--listen-remote-api', '127.0.0.1:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the node state in ${join(dir, 'node.json')} cannot be used: it is not valid JSON`);
    expect(r.stderr).toContain(`remove ${dir} to start this node afresh`);
    expect(await readFile(join(dir, 'node.json'), 'utf8')).toBe(garbage);

    await writeFile(join(dir, 'node.json'), JSON.stringify({ version: 1, nodeId: 'abc', role: 'captain' }));
    const r2 = swarmd(['-d', dir, '--listen-control-api', join(dir, 'd.sock'), '--listen-remote-api', '127.0.0.1:0']);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/cannot be used: .*role/);
  });
});
