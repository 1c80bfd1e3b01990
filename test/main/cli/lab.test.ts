// A small lab by hand, as the Docker swarm tutorial does it with docker-machine: three machines,
// `docker swarm init` on the first through its socket, the others joined with the printed tokens,
// and `swarmlab ls` showing who leads.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { reap, tempHome, waitFor } from '../../vm/helpers.ts';
import { cliRunner } from './run.ts';

const DOCKER = '/usr/local/bin/docker';
let home: string;
let cli: ReturnType<typeof cliRunner>;

beforeAll(async () => {
  home = await tempHome();
  cli = cliRunner(new Machines(new MachineStore({ home, firstSlot: 140 })));
});
afterAll(() => reap(home));

/** The docker CLI with the environment `swarmlab env NAME` prints. */
async function docker(name: string, ...args: string[]): Promise<string> {
  const env = await cli('env', name);
  expect(env.code).toBe(0);
  const vars = Object.fromEntries([...env.out.matchAll(/^export (\w+)="(.*)"$/gm)].map((m) => [m[1], m[2]]));
  return new Promise((resolve, reject) => {
    execFile(DOCKER, args, { env: { ...process.env, ...vars, DOCKER_CLI_HINTS: 'false' }, timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker ${args.join(' ')} on ${name}: ${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

async function roles(): Promise<Record<string, string>> {
  const lines = (await cli('ls')).out.trimEnd().split('\n').slice(1);
  return Object.fromEntries(lines.map((l) => l.split(/ {3,}/)).map((cols) => [cols[0]!, cols[4] ?? '']));
}

it('three machines, swarm init and join through their sockets, ls shows the roles', async () => {
  for (const name of ['manager1', 'manager2', 'worker1']) {
    const r = await cli('create', name);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }
  expect(await roles()).toEqual({ manager1: '', manager2: '', worker1: '' });

  const ip1 = (await cli('ip', 'manager1')).out.trim();
  expect(await docker('manager1', 'swarm', 'init', '--advertise-addr', ip1)).toContain('Swarm initialized');
  const managerToken = await docker('manager1', 'swarm', 'join-token', '-q', 'manager');
  const workerToken = await docker('manager1', 'swarm', 'join-token', '-q', 'worker');
  expect(await docker('manager2', 'swarm', 'join', '--token', managerToken, `${ip1}:2377`)).toContain('This node joined a swarm as a manager.');
  expect(await docker('worker1', 'swarm', 'join', '--token', workerToken, `${ip1}:2377`)).toContain('This node joined a swarm as a worker.');

  await waitFor(async () => JSON.stringify(await roles()) === JSON.stringify({ manager1: 'leader', manager2: 'manager', worker1: 'worker' }), 20_000, 'roles in swarmlab ls');
  const nodes = await docker('manager1', 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}');
  expect(nodes.split('\n').map((l) => l.trimEnd()).sort()).toEqual(['manager1 Leader', 'manager2 Reachable', 'worker1']);

  // A killed machine is listed as Stopped, without a URL or a role; the others run on.
  expect((await cli('kill', 'manager1')).code).toBe(0);
  const ls = (await cli('ls')).out;
  expect(ls).toMatch(/\nmanager1 +local +Stopped\n/);
  expect(ls).toMatch(/\nworker1 +local +Running +unix:\/\/\S+ +worker\n/);
});
