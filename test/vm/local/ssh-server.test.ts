// The machine's SSH server in this process, against a fake socket path: PTY consoles, resize, exec exit
// codes, key checks, and the OpenSSH client with the printed command line.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshArgs, sshCommandLine } from '../../../vm/local/ssh-command.ts';
import { authorizeKey, ensureKeyPair, generateEd25519KeyPair } from '../../../vm/local/ssh-keys.ts';
import { startSshServer, type SshServer } from '../../../vm/local/ssh-server.ts';
import { connect, Console, exec, type Connected } from './ssh-client.ts';

const HOST = '127.0.0.1';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
let dir: string;
let server: SshServer;
let labKey: string;
let socket: string;
const opened: Connected[] = [];

async function login(key = labKey, user = 'docker'): Promise<Connected> {
  const c = await connect(HOST, server.port, key, user);
  opened.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-ssh-'));
  socket = join(dir, 'm1', 'docker.sock');
  const lab = await ensureKeyPair(join(dir, 'keys', 'id_ed25519'));
  labKey = lab.privateKey;
  await authorizeKey(join(dir, 'm1', 'ssh', 'authorized_keys'), lab.publicKey);
  server = await startSshServer({ host: HOST, port: 0, dir: join(dir, 'm1', 'ssh'), machineName: 'm1', socketPath: socket, home: join(dir, 'm1') });
});

afterAll(async () => {
  for (const c of opened) c.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('lab keys', () => {
  it('makes the pair once, the private half readable by its owner only', async () => {
    const path = join(dir, 'keys', 'id_ed25519');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await ensureKeyPair(path);
    expect(again.privateKey).toBe(labKey);
    expect((await readFile(`${path}.pub`, 'utf8')).startsWith('ssh-ed25519 ')).toBe(true);
  });

  it('authorizes a key once', async () => {
    const file = join(dir, 'm1', 'ssh', 'authorized_keys');
    const pub = (await readFile(join(dir, 'keys', 'id_ed25519.pub'), 'utf8')).trim();
    await authorizeKey(file, pub);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('keeps the host key across restarts', async () => {
    const again = await startSshServer({ host: HOST, port: 0, dir: join(dir, 'm1', 'ssh'), machineName: 'm1', socketPath: socket, home: join(dir, 'm1') });
    try {
      expect(again.hostPublicKey).toBe(server.hostPublicKey);
      expect(again.port).not.toBe(server.port);
    } finally {
      await again.close();
    }
  });
});

describe('console in a PTY', () => {
  it('has the machine socket in DOCKER_HOST, a /dev/pts terminal and a prompt with the machine name', async () => {
    const con = await Console.open(await login());
    await con.waitFor(/docker@m1:~\$ /);
    con.type('echo "DH=$DOCKER_HOST SS=$SWARM_SOCKET HN=$HOSTNAME"; tty; exit\n');
    await con.closed;
    expect(con.output).toContain(`DH=unix://${socket} SS=${socket} HN=m1`);
    expect(con.output).toMatch(/\/dev\/pts\/\d+/);
  });

  it('passes a window resize on to the PTY', async () => {
    const con = await Console.open(await login(), { rows: 24, cols: 80, term: 'xterm' });
    await con.waitFor(/\$ $/);
    con.type('stty size\n');
    await con.waitFor(/^24 80\r?$/m);
    const mark = con.output.length;
    con.stream.setWindow(50, 132, 0, 0);
    con.type('stty size\n');
    await con.waitFor(/^50 132\r?$/m, 15_000, mark);
    con.type('exit\n');
    await con.closed;
  });

  it('interrupts the foreground job with Ctrl-C and keeps the shell', async () => {
    const con = await Console.open(await login());
    await con.waitFor(/\$ $/);
    const started = Date.now();
    con.type('sleep 30\n');
    await con.waitFor(/sleep 30\r?\n/);
    con.type('\x03');
    con.type('echo "still $((40 + 2))"\n');
    await con.waitFor(/still 42/);
    expect(Date.now() - started).toBeLessThan(20_000);
    con.type('exit 5\n');
    await con.closed;
  });

  it('has swarmctl and docker on PATH and honours the client TERM', async () => {
    const c = await login();
    const r = await exec(c, 'command -v swarmctl; command -v docker; echo "T=$TERM"', { rows: 24, cols: 80, term: 'vt100' });
    expect(r.stdout).toMatch(/\/swarmctl\r?\n/);
    if (existsSync('/usr/local/bin/docker')) expect(r.stdout).toMatch(/\/docker\r?\n/);
    expect(r.stdout).toContain('T=vt100');
    expect(r.code).toBe(0);
  });
});

describe('console lifetime', () => {
  it('stops a job with Ctrl-Z and brings it back with fg, as job control does', async () => {
    const con = await Console.open(await login());
    await con.waitFor(/\$ $/);
    con.type('sleep 31\n');
    await con.waitFor(/sleep 31\r?\n/);
    con.type('\x1a');
    await con.waitFor(/Stopped\s+sleep 31/);
    const mark = con.output.length;
    con.type('fg\n');
    await con.waitFor(/sleep 31\r?\n/, 15_000, mark);
    con.type('\x03');
    con.type('echo "back $((6 * 7))"\n');
    await con.waitFor(/back 42/, 15_000, mark);
    con.type('exit\n');
    await con.closed;
  });

  it('hangs up the shell of a client that vanishes', async () => {
    const c = await login();
    const con = await Console.open(c);
    await con.waitFor(/\$ $/);
    con.type('echo "PID=$$"\n');
    const pid = Number((await con.waitFor(/PID=(\d+)/))[1]);
    expect(alive(pid)).toBe(true);
    c.client.destroy();
    await waitUntil(() => !alive(pid), 10_000, `shell ${pid} ended`);
  });

  it('ends every console when the server closes', async () => {
    const other = await startSshServer({ host: HOST, port: 0, dir: join(dir, 'm1', 'ssh'), machineName: 'm1', socketPath: socket, home: join(dir, 'm1') });
    try {
      const c = await connect(HOST, other.port, labKey);
      opened.push(c);
      const con = await Console.open(c);
      await con.waitFor(/\$ $/);
      con.type('echo "PID=$$"\n');
      const pid = Number((await con.waitFor(/PID=(\d+)/))[1]);
      await other.close();
      await waitUntil(() => !alive(pid), 10_000, `shell ${pid} ended`);
    } finally {
      await other.close().catch(() => {});
    }
  });

  it('delivers a flood of output whole, however slowly it is read', async () => {
    const con = await Console.open(await login());
    await con.waitFor(/\$ $/);
    const mark = con.output.length;
    con.type("head -c 3000000 /dev/zero | tr '\\0' a; echo; echo END$((1 + 1))\n");
    await con.waitFor(/END2\r?\n/, 30_000, mark);
    // Only the long run: the echoed command line has a's of its own.
    expect(Math.max(...(con.output.slice(mark).match(/a{1000,}/g) ?? ['']).map((r) => r.length))).toBe(3_000_000);
    con.type('exit\n');
    await con.closed;
  });
});

describe('exec', () => {
  it('returns the exit status, over pipes and in a PTY', async () => {
    const c = await login();
    expect((await exec(c, "sh -c 'exit 3'")).code).toBe(3);
    expect((await exec(c, "sh -c 'exit 4'", { rows: 24, cols: 80, term: 'xterm' })).code).toBe(4);
  });

  it('keeps the end of a PTY command\'s output, however much comes right before it exits', async () => {
    const c = await login();
    for (let i = 0; i < 3; i++) {
      const r = await exec(c, "head -c 2000000 /dev/zero | tr '\\0' a; echo; echo done; exit 6", { rows: 24, cols: 80, term: 'xterm' });
      expect(r.stdout.replace(/[^a]/g, '')).toHaveLength(2_000_000);
      expect(r.stdout).toMatch(/\r\ndone\r\n$/);
      expect(r.code).toBe(6);
    }
  });

  it('interrupts a PTY command with Ctrl-C', async () => {
    const c = await login();
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      c.client.exec('echo ready; sleep 30', { pty: { rows: 24, cols: 80, term: 'xterm' } }, (err, stream) => {
        if (err) return reject(err);
        let code: number | null = null;
        stream.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) stream.write('\x03');
        });
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => resolve(code));
      });
    });
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('keeps stdout and stderr apart without a PTY', async () => {
    const r = await exec(await login(), 'echo out; echo err >&2; test -t 0 || echo notty');
    expect(r.stdout).toBe('out\nnotty\n');
    expect(r.stderr).toBe('err\n');
    expect(r.code).toBe(0);
  });

  it('reports a command killed by a signal', async () => {
    const r = await exec(await login(), 'kill -TERM $$');
    // ssh2's client puts back the SIG prefix that the protocol leaves out.
    expect(r.signal).toBe('SIGTERM');
  });
});

describe('authentication', () => {
  it('refuses a key that is not authorized', async () => {
    const stranger = generateEd25519KeyPair('stranger').privateKey;
    await expect(connect(HOST, server.port, stranger)).rejects.toThrow(/authentication/i);
  });

  it('takes LANG and TERM from the client but not other variables', async () => {
    const c = await login();
    const r = await new Promise<string>((resolve, reject) => {
      c.client.exec('echo "$LANG $LC_ALL ${SNEAKY:-unset}"', { env: { LANG: 'fr_FR.UTF-8', LC_ALL: 'C', SNEAKY: 'x' } }, (err, stream) => {
        if (err) return reject(err);
        let out = '';
        stream.on('data', (d: Buffer) => (out += d.toString()));
        stream.on('close', () => resolve(out));
      });
    });
    expect(r).toBe('fr_FR.UTF-8 C unset\n');
  });

  it('takes any user name with the lab key, and shows it in the prompt', async () => {
    const r = await exec(await login(labKey, 'student'), 'echo "$USER"');
    expect(r.stdout).toBe('student\n');
    const con = await Console.open(await login(labKey, 'student'));
    await con.waitFor(/student@m1:~\$ /);
    con.type('exit\n');
    await con.closed;
  });
});

describe('OpenSSH client', () => {
  it('connects with the printed command line', async () => {
    const key = join(dir, 'keys', 'id_ed25519');
    const ep = { host: HOST, port: server.port, user: 'docker', keyPath: key };
    expect(sshCommandLine(ep)).toBe(
      `ssh -i ${key} -p ${server.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=quiet -o IdentitiesOnly=yes docker@${HOST}`,
    );
    const out = await new Promise<{ stdout: string; code: number }>((resolve) => {
      execFile('ssh', ['-o', 'BatchMode=yes', ...sshArgs(ep, ['echo ok; exit 7'])], { timeout: 20_000 }, (err, stdout) =>
        resolve({ stdout, code: err ? Number((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    expect(out.stdout).toBe('ok\n');
    expect(out.code).toBe(7);
  });
});
