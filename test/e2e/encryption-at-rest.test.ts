// Encryption at rest with a real swarmd: after swarm init and some writes (a secret, a service
// with a distinctive label), no file under the manager's state directory holds those values, in
// the clear or in base64; the node restarts with its state; the key file is private.

import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, SwarmdProcess, waitFor } from './swarmd-process.ts';

const lab = new Lab();
let m1: SwarmdProcess;
let scratch: string;

const LABEL = 'lbl-Zq7vX2-encryption-at-rest-marker';
const SECRET = 'sec-Kp4wN9-hunter2-at-rest';
const needles = [LABEL, SECRET].flatMap((s) => [s, Buffer.from(s).toString('base64')]);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'swarmlab-enc-'));
  m1 = await lab.node({ name: 'enc1', ip: '127.0.0.81', args: ['--inactive'] });
});
afterAll(async () => {
  await lab.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function ok(n: SwarmdProcess, ...args: string[]): Promise<string> {
  const r = await n.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${lab.logs()}`);
  return r.stdout;
}

async function regularFiles(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await regularFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files under the node's state directory that hold any of the values, and which. */
async function leaks(): Promise<string[]> {
  const found: string[] = [];
  for (const f of await regularFiles(m1.dir)) {
    const buf = await readFile(f);
    for (const n of needles) if (buf.includes(Buffer.from(n))) found.push(`${f}: ${n}`);
  }
  return found;
}

describe('a manager\'s state is encrypted at rest', () => {
  it('keeps no secret data nor service label in the clear under its state directory', async () => {
    await ok(m1, 'swarm', 'init', '--advertise-addr', '127.0.0.81');
    const secretFile = join(scratch, 'secret.txt');
    await writeFile(secretFile, SECRET);
    await ok(m1, 'secret', 'create', 'db_pass', secretFile);
    await ok(m1, 'service', 'create', '--detach', '--name', 'web', '--label', `marker=${LABEL}`, 'alpine', 'ping', 'localhost');
    for (let i = 0; i < 5; i++) await ok(m1, 'service', 'update', '--detach', '--label-add', `n${i}=${LABEL}`, 'web');

    const files = await regularFiles(m1.dir);
    expect(files.some((f) => f.includes(`${join('raft', 'wal')}`))).toBe(true);
    expect(await leaks()).toEqual([]);
    const dek = join(m1.dir, 'certificates', 'swarm-raft.dek');
    expect((await stat(dek)).mode & 0o777).toBe(0o600);
    expect(await readFile(dek, 'utf8')).toMatch(/^-----BEGIN SWARMLAB RAFT DEK-----/);
  });

  it('restarts with its state, read back through the key', async () => {
    await m1.stop();
    m1 = await lab.restart(m1);
    await waitFor(async () => (await m1.docker('service', 'inspect', 'web')).code === 0, 30_000, 'service back after restart', () => lab.logs());
    const [service] = JSON.parse(await ok(m1, 'service', 'inspect', 'web')) as { Spec: { Labels: Record<string, string> } }[];
    expect(service?.Spec.Labels).toMatchObject({ marker: LABEL, n4: LABEL });
    expect(await ok(m1, 'secret', 'ls', '--format', '{{.Name}}')).toBe('db_pass\n');
    await ok(m1, 'service', 'update', '--detach', '--label-add', `after=${LABEL}`, 'web');
    expect(await leaks()).toEqual([]);
  });

  it('without its key file, refuses to start the manager and says which file and what to do', async () => {
    await m1.stop();
    const dek = join(m1.dir, 'certificates', 'swarm-raft.dek');
    const saved = await readFile(dek);
    await rm(dek);
    // swarmd exits at once, with the error: its API never comes up.
    const broken = new SwarmdProcess(m1.name, m1.dir, m1.ip, m1.args);
    lab.nodes.push(broken);
    void broken.start().catch(() => undefined);
    expect(await broken.exited).toBe(1);
    const log = broken.log.join('\n');
    expect(log).toContain(`Cannot decrypt ${join(m1.dir, 'raft', 'wal')}`);
    expect(log).toContain(`the key in ${dek} (made just now: there was no such file)`);
    expect(log).toMatch(/Put back the key file this manager's Raft state was encrypted with/);
    await writeFile(dek, saved, { mode: 0o600 });
    m1 = await lab.restart(m1);
    await waitFor(async () => (await m1.docker('service', 'inspect', 'web')).code === 0, 30_000, 'service back with the key restored', () => lab.logs());
  });
});
