// swarmlab stack, in-process, against a real swarmd standing in for a lab machine (its socket where
// the machine store keeps a machine's): deploy with warnings, ls, services, ps, rm; usage errors.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { Lab, waitFor } from '../../e2e/swarmd-process.ts';
import { cliRunner, type CliResult } from './run.ts';

const lab = new Lab();
let home: string;
let swarmlab: (...argv: string[]) => Promise<CliResult>;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'swarmlab-stack-cli-'));
  const dir = join(home, 'machines', 'm1');
  await mkdir(dir, { recursive: true });
  const node = await lab.node({ name: 'm1', ip: '127.0.0.92', dir });
  const machines = new Machines(new MachineStore({ home }));
  swarmlab = cliRunner(machines, { TAG: '1' });
  await waitFor(async () => (await node.docker('node', 'ls')).code === 0, 20_000, 'swarm active', () => lab.logs());
  await writeFile(join(home, 'stack.yml'), 'services:\n  web:\n    image: swarmlab/whoami:${TAG}\n    links: [db]\n    deploy: {replicas: 2}\n');
  await writeFile(join(home, 'bad.yml'), 'services:\n  web:\n    image: swarmlab/whoami:1\n    deploy: {replicas: two}\n');
});
afterAll(async () => {
  await lab.cleanup();
  await rm(home, { recursive: true, force: true });
});

describe('swarmlab stack', () => {
  it('deploys, lists and removes a stack', async () => {
    const d = await swarmlab('stack', 'deploy', '-c', join(home, 'stack.yml'), 'app');
    expect(d).toEqual({ code: 0, out: 'Creating network app_default\nCreating service app_web\n', err: 'Ignoring unsupported options: links\n\n' });
    expect(await swarmlab('stack', 'ls')).toEqual({ code: 0, out: 'NAME   SERVICES\napp    1\n', err: '' });
    const services = await swarmlab('stack', 'services', 'app');
    expect(services.out).toMatch(/^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS\n\w{12}\s+app_web\s+replicated\s+\d\/2\s+swarmlab\/whoami:1\n$/);
    // The orchestrator makes the tasks just after the service: ps shows them once it has.
    let rows: string[] = [];
    await waitFor(
      async () => {
        rows = (await swarmlab('stack', 'ps', 'app')).out.split('\n').filter((l) => / app_web\.\d /.test(l));
        return rows.length === 2;
      },
      15_000,
      'stack ps lists the two tasks',
    );
    expect(rows).toHaveLength(2);
    expect(await swarmlab('stack', 'rm', 'app')).toEqual({ code: 0, out: 'Removing service app_web\nRemoving network app_default\n', err: '' });
    expect(await swarmlab('stack', 'rm', 'app')).toEqual({ code: 0, out: '', err: 'Nothing found in stack: app\n' });
  }, 60_000);

  it('prints a bad file\'s problems with their place, and refuses bad usage', async () => {
    const bad = await swarmlab('stack', 'deploy', '-c', join(home, 'bad.yml'), 'app');
    expect(bad).toEqual({ code: 1, out: '', err: `swarmlab: ${join(home, 'bad.yml')}:4:24: services.web.deploy.replicas: expected a whole number, got "two"\n` });
    expect((await swarmlab('stack', 'deploy', 'app')).err).toBe('swarmlab: "swarmlab stack deploy" requires a compose file: -c FILE\nSee \'swarmlab stack --help\'.\n');
    expect((await swarmlab('stack', 'remove', 'app')).code).toBe(2);
    expect((await swarmlab('stack', 'deploy', '-c', join(home, 'stack.yml'), 'bad name')).err).toMatch(/invalid stack name "bad name"/);
  }, 60_000);
});
