// The README's walk-through with the real docker CLI: `docker stack deploy` of the WordPress
// compose file (three services, two networks, two secrets, a config) on a three-node swarm; the
// routing mesh answers on every node, WordPress reaches MySQL by name with the secret's password,
// the visitor reaches WordPress by name; a re-deploy of an edited file updates only what changed;
// `docker stack rm` leaves nothing behind.

import http from 'node:http';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ROOT, waitFor, type SwarmdProcess } from './swarmd-process.ts';

const lab = new Lab();
let m1: SwarmdProcess, w1: SwarmdProcess, w2: SwarmdProcess;
let dir: string;

async function ok(...args: string[]): Promise<string> {
  const r = await m1.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${lab.logs()}`);
  return r.stdout + r.stderr;
}

function page(host: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port: 8000, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

const lines = (s: string) => s.split('\n').filter(Boolean);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-wp-'));
  await cp(join(ROOT, 'resources/stacks/wordpress'), dir, { recursive: true });
  [m1, w1, w2] = await Promise.all([
    lab.node({ name: 'wp-m1', ip: '127.0.0.35', args: ['--inactive'] }),
    lab.node({ name: 'wp-w1', ip: '127.0.0.36', args: ['--inactive'] }),
    lab.node({ name: 'wp-w2', ip: '127.0.0.37', args: ['--inactive'] }),
  ]);
  const init = await ok('swarm', 'init', '--advertise-addr', '127.0.0.35');
  const [, token, addr] = init.match(/--token (SWMTKN-1-\S+) (\S+:\d+)/)!;
  for (const w of [w1, w2]) {
    const r = await w.docker('swarm', 'join', '--token', token!, addr!);
    expect(r.code).toBe(0);
  }
  await waitFor(async () => lines(await ok('node', 'ls', '--format', '{{.Status}}')).filter((s) => s === 'Ready').length === 3, 20_000, 'three ready nodes', () => lab.logs());
}, 60_000);
afterAll(async () => {
  await lab.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('the WordPress stack with the docker CLI', () => {
  it('deploys: three services, two networks, secrets and a config', async () => {
    const out = await ok('stack', 'deploy', '-c', join(dir, 'docker-compose.yml'), 'wp');
    for (const what of ['Creating network wp_front', 'Creating network wp_back', 'Creating secret wp_db_password', 'Creating secret wp_db_root_password', 'Creating config wp_visitor_conf', 'Creating service wp_db', 'Creating service wp_wordpress', 'Creating service wp_visitor']) {
      expect(out).toContain(what);
    }
    expect(lines(await ok('stack', 'ls', '--format', '{{.Name}} {{.Services}}'))).toEqual(['wp 3']);
    await waitFor(
      // Docker shows the per-node limit beside the replicas: "1/1 (max 1 per node)".
      async () => lines(await ok('stack', 'services', 'wp', '--format', '{{.Name}} {{.Replicas}}')).sort().join(',') === 'wp_db 1/1 (max 1 per node),wp_visitor 1/1,wp_wordpress 3/3',
      30_000,
      'every service running',
      () => lab.logs(),
    );
    const secret = JSON.parse(await ok('secret', 'inspect', 'wp_db_password')) as { Spec: { Data?: string; Labels: Record<string, string> } }[];
    expect(secret[0]!.Spec.Data).toBeUndefined();
    expect(secret[0]!.Spec.Labels['com.docker.stack.namespace']).toBe('wp');
  });

  it('WordPress answers on every node through the mesh, from several replicas, with one shared database', async () => {
    const tasksSeen = new Set<string>();
    const visits: number[] = [];
    for (const ip of ['127.0.0.35', '127.0.0.36', '127.0.0.37']) {
      await waitFor(
        async () => {
          const r = await page(ip);
          if (r?.status !== 200) return false;
          expect(r.body).toContain('WordPress on swarmlab');
          visits.push(Number(r.body.match(/Visits: (\d+)/)![1]));
          tasksSeen.add(r.body.match(/wp_wordpress\.\d\.\w+/)![0]);
          return true;
        },
        20_000,
        `WordPress through ${ip}:8000`,
        () => lab.logs(),
      );
    }
    for (let i = 0; i < 6; i++) {
      const r = await page('127.0.0.35');
      expect(r?.status).toBe(200);
      visits.push(Number(r!.body.match(/Visits: (\d+)/)![1]));
      tasksSeen.add(r!.body.match(/wp_wordpress\.\d\.\w+/)![0]);
    }
    expect(tasksSeen.size).toBeGreaterThanOrEqual(2);
    // One counter in one database, whichever replica answered.
    expect(visits.slice(1).every((v, i) => v > visits[i]!)).toBe(true);
    await waitFor(async () => /visitor: calls http:\/\/wordpress\/ every 2 s[\s\S]*visited wordpress/.test(await ok('service', 'logs', '--raw', 'wp_visitor')), 20_000, 'the visitor reaches WordPress by name', () => lab.logs());
  });

  it('a re-deploy of an edited file updates only what changed', async () => {
    const before = JSON.parse(await ok('service', 'inspect', 'wp_db', 'wp_visitor')) as { Version: { Index: number } }[];
    const file = join(dir, 'docker-compose.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('replicas: 3', 'replicas: 2'));
    await ok('stack', 'deploy', '-c', file, 'wp');
    await waitFor(async () => (await ok('service', 'ls', '--filter', 'name=wp_wordpress', '--format', '{{.Replicas}}')).trim() === '2/2', 30_000, 'wordpress at 2/2', () => lab.logs());
    const after = JSON.parse(await ok('service', 'inspect', 'wp_db', 'wp_visitor')) as { Version: { Index: number } }[];
    // The docker CLI sends every service again; those whose spec did not change keep their tasks.
    for (const service of ['wp_db', 'wp_visitor']) {
      const tasks = lines(await ok('service', 'ps', service, '--format', '{{.Name}} {{.DesiredState}}'));
      expect(tasks).toEqual([`${service}.1 Running`]);
    }
    expect(after.length).toBe(before.length);
    const ps = await ok('stack', 'ps', 'wp', '--filter', 'desired-state=running', '--format', '{{.Name}}');
    expect(lines(ps).filter((n) => n.startsWith('wp_wordpress.')).length).toBe(2);
  });

  it('docker stack rm removes services, networks, secrets and configs', async () => {
    const out = await ok('stack', 'rm', 'wp');
    expect(out).toContain('Removing service wp_wordpress');
    await waitFor(async () => (await ok('network', 'ls', '--filter', 'label=com.docker.stack.namespace=wp', '-q')).trim() === '', 30_000, 'stack networks removed', () => lab.logs());
    expect((await ok('service', 'ls', '-q')).trim()).toBe('');
    expect((await ok('secret', 'ls', '-q')).trim()).toBe('');
    expect((await ok('config', 'ls', '-q')).trim()).toBe('');
    expect(lines(await ok('network', 'ls', '--format', '{{.Name}}'))).toEqual(['ingress']);
    expect((await ok('stack', 'ls')).trim()).toBe('NAME      SERVICES');
  });
});
