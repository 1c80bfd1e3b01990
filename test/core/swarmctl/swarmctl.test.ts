import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.ts';
import { ImageCatalog } from '../../../core/executor/catalog.ts';
import { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { systemRandom } from '../../../core/random.ts';
import { defaultCatalogPath } from '../../../core/swarmd/catalog-path.ts';
import { Swarmd } from '../../../core/swarmd/daemon.ts';
import { startDockerApi, type DockerApi } from '../../../core/swarmd/docker-api.ts';
import { SwarmdEngine } from '../../../core/swarmd/engine.ts';

// swarmctl as a real child process against one in-process swarmd (init) serving the Docker API on
// a unix socket, running the built-in images with the process executor.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(ROOT, 'bin', 'swarmctl.js');

let dir: string;
let socket: string;
let daemon: Swarmd;
let api: DockerApi;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmctl-'));
  socket = join(dir, 'swarmd.sock');
  const catalog = await ImageCatalog.load(defaultCatalogPath());
  daemon = new Swarmd({
    stateDir: join(dir, 'state'),
    hostname: 'node-1',
    listenAddr: '127.0.0.1:0',
    profile: 'lab',
    clock: systemClock,
    random: systemRandom,
    makeExecutor: (n) => new ProcessExecutor({ catalog, node: { id: n.nodeId, hostname: n.hostname } }),
    log: (level, c, line) => {
      if (level === 'error' || process.env.SWARMD_TEST_LOG) console.log(`[node-1] ${level} ${c}: ${line}`);
    },
  });
  api = await startDockerApi(new SwarmdEngine(daemon), socket, undefined, daemon.dir.dir, () => {});
  await daemon.init({});
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await api?.close();
  await daemon?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function swarmctl(args: string[], env: Record<string, string | undefined> = { SWARM_SOCKET: socket }, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`swarmctl ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await swarmctl(args);
  if (r.code !== 0) throw new Error(`swarmctl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** Runs `args` until `pred` holds for its output, or fails with the last output seen. */
async function until(args: string[], pred: (out: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = await ok(...args);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`swarmctl ${args.join(' ')}: condition not met within ${ms} ms; last output:\n${last}`);
}

/** The data rows of a table (after the header and its underline), split on runs of 2+ spaces. */
const rows = (table: string) =>
  table
    .trimEnd()
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/ {2,}/));

const replicasOf = (ls: string, name: string) => rows(ls).find((r) => r[1] === name)?.[3];

describe('swarmctl against a swarmd node', () => {
  it('lists the node: ready, active, the leader', async () => {
    const out = await ok('node', 'ls');
    expect(out.split('\n')[0]).toMatch(/^ID +Name +Membership +Status +Availability +Manager Status$/);
    expect(rows(out)).toEqual([[daemon.state!.nodeId, 'node-1', 'ACCEPTED', 'READY', 'ACTIVE', 'REACHABLE *']]);
    const inspect = await ok('node', 'inspect', 'node-1');
    expect(inspect).toMatch(/^Hostname +: node-1$/m);
    expect(inspect).toMatch(/^ {2}Leader +: yes$/m);
  });

  it('creates a service, lists it at 3/3, scales it to 5 and shows its tasks', async () => {
    const id = (await ok('service', 'create', '--name', 'web', '--image', 'swarmlab/whoami:1', '--replicas', '3')).trim();
    expect(id).toMatch(/^[0-9a-z]{25}$/);
    await until(['service', 'ls'], (out) => replicasOf(out, 'web') === '3/3');
    expect(rows(await ok('service', 'ls'))).toEqual([[id, 'web', 'swarmlab/whoami:1', '3/3']]);

    expect(await ok('service', 'scale', 'web=5')).toBe('web scaled to 5\n');
    await until(['service', 'ls'], (out) => replicasOf(out, 'web') === '5/5');

    const tasks = rows(await ok('task', 'ls'));
    expect(tasks).toHaveLength(5);
    expect(tasks.map((t) => t[1]).sort()).toEqual(['web.1', 'web.2', 'web.3', 'web.4', 'web.5']);
    for (const t of tasks) {
      expect(t[2]).toBe('RUNNING');
      expect(t[3]).toMatch(/^RUNNING (now|\d+ seconds? ago|1 minute ago)$/);
      expect(t[4]).toBe('node-1');
    }

    const inspect = await ok('service', 'inspect', 'web');
    expect(inspect).toMatch(new RegExp(`^ID +: ${id}$`, 'm'));
    expect(inspect).toMatch(/^Replicas +: 5\/5$/m);
    expect(inspect).toMatch(/^Template +\n Container +\n {2}Image +: swarmlab\/whoami:1$/m);
    expect(inspect).toMatch(/^Task ID +Service +Slot +Image +Desired State +Last State +Node$/m);
    expect(inspect.match(/^\S+ +web +\d +swarmlab\/whoami:1 +RUNNING +RUNNING .* +node-1$/gm)).toHaveLength(5);
  });

  it('rolls out a new image two tasks at a time', async () => {
    expect((await ok('service', 'update', 'web', '--image', 'swarmlab/whoami:2', '--update-parallelism', '2')).trim()).toMatch(/^[0-9a-z]{25}$/);
    const done = await until(['service', 'inspect', 'web'], (out) => /^ State +: COMPLETED$/m.test(out) && (out.match(/whoami:2 +RUNNING +RUNNING/g) ?? []).length === 5, 60_000);
    expect(done).toMatch(/^ {2}Image +: swarmlab\/whoami:2$/m);
    expect(replicasOf(await ok('service', 'ls'), 'web')).toBe('5/5');
    // The replaced tasks are history: shown with -a only.
    const all = rows(await ok('task', 'ls', '-a'));
    expect(all.filter((t) => t[2] === 'SHUTDOWN').length).toBeGreaterThan(0);
    expect(await swarmctl(['service', 'update', 'web', '--image', 'swarmlab/whoami:2'])).toMatchObject({ code: 1, stderr: 'Error: no changes detected\n' });
  });

  it('drains the node (its tasks stop) and activates it again', async () => {
    expect(await ok('node', 'drain', 'node-1')).toBe('');
    expect(rows(await ok('node', 'ls'))[0]![4]).toBe('DRAIN');
    await until(['service', 'ls'], (out) => replicasOf(out, 'web') === '0/5');
    const again = await swarmctl(['node', 'drain', 'node-1']);
    expect(again).toMatchObject({ code: 1, stderr: 'Error: Node node-1 was already drained\n' });

    await ok('node', 'activate', 'node-1');
    expect(rows(await ok('node', 'ls'))[0]![4]).toBe('ACTIVE');
    await until(['service', 'ls'], (out) => replicasOf(out, 'web') === '5/5');
  });

  it("shows the cluster's settings and join tokens, and rotates the worker token", async () => {
    const out = await ok('cluster', 'inspect');
    const worker = /^ {4}Worker: (SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25})$/m.exec(out)?.[1];
    const manager = /^ {4}Manager: (SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25})$/m.exec(out)?.[1];
    expect(worker).toBeDefined();
    expect(manager).toBeDefined();
    expect(out).toMatch(/^ {2}Task history entries: 5$/m);

    await ok('cluster', 'update', 'default', '--rotate-join-token', 'worker', '--taskhistory', '3');
    const after = await ok('cluster', 'inspect', 'default');
    expect(after).toMatch(/^ {2}Task history entries: 3$/m);
    expect(after).not.toContain(worker!);
    expect(after).toContain(`    Manager: ${manager}`);
  });

  it("prints a service's logs, each line named by task and node", async () => {
    await ok('service', 'create', '--name', 'talker', '--image', 'swarmlab/crash', '--env', 'CRASH_AFTER=600');
    const out = await until(['service', 'logs', 'talker'], (o) => o.includes('crash: running'));
    expect(out).toMatch(/^talker\.1@node-1❯ crash: running; will exit with code 1 in 600s/m);
    await ok('service', 'rm', 'talker');
  });

  it('removes the service', async () => {
    expect(await ok('service', 'rm', 'web')).toBe('web\n');
    await until(['service', 'ls'], (out) => rows(out).length === 0);
    await until(['task', 'ls'], (out) => rows(out).length === 0);
  });

  it('says what went wrong: unknown service or command, bad flags, no socket', async () => {
    expect(await swarmctl(['service', 'inspect', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'Error: service nope not found\n' });
    expect(await swarmctl(['service', 'rm', 'nope'])).toMatchObject({ code: 1, stderr: 'Error: service nope not found\n' });

    const unknown = await swarmctl(['servce', 'ls']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Error: unknown command "servce" for "swarmctl"/);

    const flag = await swarmctl(['service', 'create', '--name', 'x', '--image', 'y', '--replica', '2']);
    expect(flag).toMatchObject({ code: 2, stderr: "Error: unknown flag: --replica\nRun 'swarmctl service create --help' for usage.\n" });

    const missing = await swarmctl(['service', 'create', '--name', 'x']);
    expect(missing).toMatchObject({ code: 2, stderr: "Error: --name and --image are mandatory\nRun 'swarmctl service create --help' for usage.\n" });

    const noSocket = await swarmctl(['node', 'ls'], {});
    expect(noSocket.code).toBe(1);
    expect(noSocket.stderr).toContain('SWARM_SOCKET=/path/to/state/swarmd.sock');

    const help = await swarmctl([], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Available Commands:');
    expect(help.stdout).toContain('SWARM_SOCKET=');

    const gone = await swarmctl(['node', 'ls'], { SWARM_SOCKET: join(dir, 'nothing.sock') });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^Error: cannot connect to swarmd: there is no socket at .*nothing\.sock/);
  });
});
