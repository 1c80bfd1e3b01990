// Stacks against a real swarmd over the Engine API: swarmlab's deployer creates what `docker stack
// deploy` creates, updates only what changed, prunes when asked, refuses a changed secret, lists
// and removes the stack; and the docker CLI and swarmlab each take over a stack the other deployed.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listStacks, stackServices, stackTasks } from '../../core/stack/deploy.ts';
import { DockerodeStackEngine } from '../../main/stack/engine.ts';
import { deployCompose, removeComposeStack } from '../../main/stack/stack.ts';
import { DOCKER, Lab, waitFor, type SwarmdProcess } from './swarmd-process.ts';

const lab = new Lab();
let node: SwarmdProcess;
let engine: DockerodeStackEngine;
let dir: string;

const compose = (o: { replicas: number; db?: boolean }) =>
  [
    'version: "3.8"',
    'services:',
    '  web:',
    '    image: swarmlab/whoami:1',
    '    networks: [back]',
    '    configs: [{source: conf, target: /etc/web.conf}]',
    '    environment: {GREETING: hello}',
    '    deploy:',
    `      replicas: ${o.replicas}`,
    '      update_config: {parallelism: 2, delay: 1s}',
    ...(o.db === false ? [] : ['  db:', '    image: alpine', '    command: sleep 3600', '    build: .']),
    'networks:',
    '  back: {attachable: true}',
    'configs:',
    '  conf: {file: web.conf}',
    '',
  ].join('\n');

const deploy = (text: string, prune = false, name = 'app') => deployCompose(engine, { name, compose: text, source: 'stack.yml', env: {}, dir, prune });
const running = async (service: string) => (await engine.listTasks({ service: [service], 'desired-state': ['running'] })).filter((t) => t.Status.State === 'running').length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-stack-e2e-'));
  await writeFile(join(dir, 'pw.txt'), 'hunter2');
  await writeFile(join(dir, 'web.conf'), 'port=80\n');
  node = await lab.node({ name: 'stack1', ip: '127.0.0.91' });
  engine = new DockerodeStackEngine('stack1', node.socket);
  await waitFor(async () => (await engine.listNodes().catch(() => [])).length === 1, 20_000, 'swarm active', () => lab.logs());
});
afterAll(async () => {
  await lab.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('stacks on swarmd', () => {
  it('deploys, leaves unchanged services alone, updates changed ones, prunes, lists and removes', async () => {
    const first = await deploy(compose({ replicas: 2 }));
    expect(first.warnings).toEqual(['Ignoring unsupported options: build']);
    expect(first.lines).toEqual(['Creating network app_back', 'Creating network app_default', 'Creating config app_conf', 'Creating service app_db', 'Creating service app_web']);

    const [web] = await engine.listServices({ name: ['app_web'] });
    expect(web!.Spec.Labels).toEqual({ 'com.docker.stack.namespace': 'app', 'com.docker.stack.image': 'swarmlab/whoami:1' });
    const back = await engine.inspectNetwork('app_back');
    // The swarm keeps the network's ID, as Docker does.
    expect(web!.Spec.TaskTemplate.Networks).toEqual([{ Target: back!.Id, Aliases: ['web'] }]);
    const config = (await engine.listConfigs({ name: ['app_conf'] }))[0]!;
    expect(web!.Spec.TaskTemplate.ContainerSpec.Configs).toEqual([{ ConfigID: config.ID, ConfigName: 'app_conf', File: { Name: '/etc/web.conf', UID: '0', GID: '0', Mode: 0o444 } }]);
    expect((await engine.listNetworks({ label: ['com.docker.stack.namespace=app'] })).map((n) => n.Name).sort()).toEqual(['app_back', 'app_default']);
    await waitFor(async () => (await running('app_web')) === 2 && (await running('app_db')) === 1, 30_000, 'the stack runs', () => lab.logs());

    // The same file again: nothing changes, versions stay.
    const version = (await engine.listServices({ name: ['app_web'] }))[0]!.Version.Index;
    const again = await deploy(compose({ replicas: 2 }));
    const db = (await engine.listServices({ name: ['app_db'] }))[0]!;
    expect(again.lines).toEqual([`Service app_db is up to date (id: ${db.ID})`, `Service app_web is up to date (id: ${web!.ID})`]);
    expect((await engine.listServices({ name: ['app_web'] }))[0]!.Version.Index).toBe(version);

    // One change: only that service is updated.
    const scaled = await deploy(compose({ replicas: 3 }));
    expect(scaled.lines).toEqual([`Service app_db is up to date (id: ${db.ID})`, `Updating service app_web (id: ${web!.ID})`]);
    await waitFor(async () => (await running('app_web')) === 3, 30_000, 'three web tasks', () => lab.logs());

    // A config's content cannot change.
    await writeFile(join(dir, 'web.conf'), 'port=81\n');
    await expect(deploy(compose({ replicas: 3 }))).rejects.toThrow(/config app_conf exists with other content: configs are immutable.*Give the config a new name in the compose file/);
    await writeFile(join(dir, 'web.conf'), 'port=80\n');
  await writeFile(join(dir, 'web.conf'), 'port=80\n');

    // Without --prune a service the file dropped stays; with it, it goes.
    expect((await deploy(compose({ replicas: 3, db: false }))).lines).toEqual([`Service app_web is up to date (id: ${web!.ID})`]);
    expect((await deploy(compose({ replicas: 3, db: false }), true)).lines).toEqual(['Removing service app_db', `Service app_web is up to date (id: ${web!.ID})`]);

    expect(await listStacks(engine)).toEqual([{ name: 'app', services: 1 }]);
    expect((await stackServices(engine, 'app')).map((s) => s.Spec.Name)).toEqual(['app_web']);
    const tasks = await stackTasks(engine, 'app');
    expect(tasks.filter((t) => t.task.DesiredState === 'running').map((t) => `${t.service.Spec.Name}.${t.task.Slot}`)).toEqual(['app_web.1', 'app_web.2', 'app_web.3']);

    expect(await removeComposeStack(engine, 'app')).toEqual(['Removing service app_web', 'Removing config app_conf', 'Removing network app_back', 'Removing network app_default']);
    const label = { label: ['com.docker.stack.namespace=app'] };
    expect(await engine.listServices(label)).toEqual([]);
    expect(await engine.listNetworks(label)).toEqual([]);
    expect(await engine.listConfigs(label)).toEqual([]);
    expect(await removeComposeStack(engine, 'app')).toEqual(['Nothing found in stack: app']);
  }, 120_000);

  it('creates a secret, refers to it by ID, and refuses new content for it', async () => {
    const text = 'services:\n  s:\n    image: alpine\n    command: sleep 3600\n    secrets: [{source: pw, mode: 0400}]\nsecrets:\n  pw: {file: pw.txt, labels: {kind: password}}\n';
    expect((await deploy(text, false, 'sec')).lines).toEqual(['Creating network sec_default', 'Creating secret sec_pw', 'Creating service sec_s']);
    const secret = (await engine.listSecrets({ name: ['sec_pw'] }))[0]!;
    expect(secret.Spec.Labels).toEqual({ kind: 'password', 'com.docker.stack.namespace': 'sec' });
    const [s] = await engine.listServices({ name: ['sec_s'] });
    expect(s!.Spec.TaskTemplate.ContainerSpec.Secrets).toEqual([{ SecretID: secret.ID, SecretName: 'sec_pw', File: { Name: 'pw', UID: '0', GID: '0', Mode: 0o400 } }]);
    await writeFile(join(dir, 'pw.txt'), 'changed');
    await expect(deploy(text, false, 'sec')).rejects.toThrow(/^secret sec_pw exists with other content: secrets are immutable.*Give the secret a new name in the compose file \(for example name: sec_pw_v2.*swarmlab stack rm sec\)$/);
    await writeFile(join(dir, 'pw.txt'), 'hunter2');
    expect(await removeComposeStack(engine, 'sec')).toEqual(['Removing service sec_s', 'Removing secret sec_pw', 'Removing network sec_default']);
  }, 120_000);

  it.runIf(existsSync(DOCKER))('takes over a stack the docker CLI deployed, and the docker CLI sees ours', async () => {
    const file = join(dir, 'stack.yml');
    await writeFile(file, compose({ replicas: 1 }));
    const r = await node.docker('stack', 'deploy', '-c', file, 'dk');
    expect(r.code, r.stderr).toBe(0);
    // The docker CLI's objects read as ours: nothing to update.
    const ours = await deploy(compose({ replicas: 1 }), false, 'dk');
    expect(ours.lines.every((l) => / is up to date /.test(l)), ours.lines.join('\n')).toBe(true);
    expect((await node.docker('stack', 'ls')).stdout).toMatch(/^dk\s+2\b/m);
    const rm = await node.docker('stack', 'rm', 'dk');
    expect(rm.code, rm.stderr).toBe(0);
    await waitFor(async () => (await engine.listServices({ label: ['com.docker.stack.namespace=dk'] })).length === 0, 20_000, 'dk removed');
  }, 120_000);
});
