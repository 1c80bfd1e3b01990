// dockerode, the lab's own Docker client, against a real swarmd: over its Docker API on TCP with
// TLS (client certificates, as docker-machine sets them up) and on the unix socket.

import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, run, DOCKER, waitFor, type SwarmdProcess } from './swarmd-process.ts';

const lab = new Lab();
let node: SwarmdProcess;
let port: number;
let tlsDocker: Docker;

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  port = await freePort('127.0.0.41');
  node = await lab.node({ name: 'dockerode1', ip: '127.0.0.41', args: ['--listen-docker-api', `tcp://127.0.0.41:${port}`] });
  const certs = join(node.dir, 'docker-tls');
  tlsDocker = new Docker({
    host: '127.0.0.41',
    port,
    protocol: 'https',
    ca: readFileSync(join(certs, 'ca.pem')),
    cert: readFileSync(join(certs, 'cert.pem')),
    key: readFileSync(join(certs, 'key.pem')),
  });
  await waitFor(async () => (await tlsDocker.info().catch(() => undefined))?.Swarm?.LocalNodeState === 'active', 20_000, 'swarm active', () => lab.logs());
});
afterAll(() => lab.cleanup());

describe('dockerode against swarmd', () => {
  it('creates, lists, inspects, updates and removes a service over TLS', async () => {
    const created = (await tlsDocker.createService({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
      Mode: { Replicated: { Replicas: 2 } },
    })) as { id?: string; ID?: string };
    const id = created.id ?? created.ID;
    expect(id).toMatch(/^\w{25}$/);
    const services = (await tlsDocker.listServices({ status: true } as never)) as unknown as { Spec?: { Name?: string } }[];
    expect(services.map((s) => s.Spec?.Name)).toEqual(['web']);
    await waitFor(async () => (await tlsDocker.listTasks({ filters: { service: ['web'], 'desired-state': ['running'] } })).filter((t) => t.Status?.State === 'running').length === 2, 20_000, 'two running');

    const svc = tlsDocker.getService(id!);
    const info = await svc.inspect();
    expect(info.Spec.TaskTemplate.ContainerSpec.Image).toBe('swarmlab/whoami:1');
    await svc.update({ version: info.Version.Index, ...info.Spec, Mode: { Replicated: { Replicas: 3 } } });
    await waitFor(async () => (await tlsDocker.listTasks({ filters: { service: ['web'], 'desired-state': ['running'] } })).filter((t) => t.Status?.State === 'running').length === 3, 20_000, 'three running');

    // An update based on an old version is refused, and nothing changes.
    const stale = await svc.update({ version: info.Version.Index, ...info.Spec, Mode: { Replicated: { Replicas: 9 } } }).catch((e: { statusCode?: number; message: string }) => e);
    expect((stale as { statusCode?: number }).statusCode).toBeGreaterThanOrEqual(400);
    expect((stale as Error).message).toMatch(/update out of sequence/);
    expect(((await svc.inspect()).Spec.Mode as { Replicated: { Replicas: number } }).Replicated.Replicas).toBe(3);

    const nodes = await tlsDocker.listNodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.ManagerStatus?.Leader).toBe(true);

    await svc.remove();
    expect(await tlsDocker.listServices()).toEqual([]);
  });

  it('refuses a client without the certificate, and the docker CLI gets in with DOCKER_CERT_PATH', async () => {
    const noCert = new Docker({ host: '127.0.0.41', port, protocol: 'https', ca: readFileSync(join(node.dir, 'docker-tls', 'ca.pem')) });
    await expect(noCert.info()).rejects.toThrow();
    const plain = new Docker({ host: '127.0.0.41', port, protocol: 'http' });
    await expect(plain.info()).rejects.toThrow();

    const env = { ...process.env, DOCKER_HOST: `tcp://127.0.0.41:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(node.dir, 'docker-tls') };
    const r = await run(DOCKER, ['node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}'], env);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('dockerode1 Leader');
  });

  it('answers bad requests with Docker\'s errors and keeps serving', async () => {
    const unix = new Docker({ socketPath: node.socket });
    const bad = await unix.createService({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'alpine' } }, Mode: { Replicated: { Replicas: -1 } } } as never).catch((e: Error & { statusCode?: number }) => e);
    expect((bad as { statusCode?: number }).statusCode).toBe(400);
    expect((bad as Error).message).toMatch(/replicas/i);
    const missing = await unix.getService('nope').inspect().catch((e: Error & { statusCode?: number }) => e);
    expect((missing as { statusCode?: number }).statusCode).toBe(404);
    expect((missing as Error).message).toContain('service nope not found');
    expect((await unix.ping()).toString()).toBe('OK');
  });
});
