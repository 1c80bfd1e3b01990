// The real docker CLI (28.2, API 1.50) through a swarm's life on swarmlab's Docker API: from an
// inactive node through `swarm init`, a service created, scaled, moved off a drained node, updated,
// rolled back, its logs read, removed, and `swarm leave`. Each step checks what the CLI printed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_A_MANAGER_NO_SWARM } from '../../../core/dockerapi/messages.ts';
import type { TaskObject } from '../../../core/api/objects.ts';
import { startTestEngine, type TestServer } from './fixture.ts';
import { until } from './until.ts';

const REGISTRY_WARNING = (image: string) =>
  `image ${image} could not be accessed on a registry to record\nits digest. Each node will access ${image} independently,`;

describe('the docker CLI against swarmlab', { timeout: 60_000 }, () => {
  let t: TestServer;
  const docker = (...args: string[]) => t.cli.ok(args);
  const tasks = () => t.backend.swarm!.store.view((tx) => tx.find('tasks'));
  const running = (service: string, extra: (x: TaskObject) => boolean = () => true) =>
    tasks().filter((x) => x.ServiceName === service && x.Status.State === 'running' && x.DesiredState === 'running' && extra(x));

  beforeAll(async () => {
    t = await startTestEngine({ workers: 2 });
  });

  afterAll(async () => {
    await t?.close();
    expect(t?.logged ?? []).toEqual([]);
  });

  it('docker version shows the server and its API versions', async () => {
    const { stdout } = await docker('version');
    expect(stdout).toMatch(/Server: swarmlab\n Engine:\n {2}Version: +0\.1\.0-test/);
    expect(stdout).toMatch(/API version: +1\.50 \(minimum version 1\.24\)/);
  });

  it('before init: docker info says inactive, and manager commands get Docker’s message', async () => {
    expect((await docker('info')).stdout).toContain(' Swarm: inactive\n');
    const r = await t.cli.run(['node', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`Error response from daemon: ${NOT_A_MANAGER_NO_SWARM}`);
  });

  it('docker swarm init makes this node the manager and prints the join command', async () => {
    const { stdout } = await docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
    const id = t.backend.swarm!.nodeId;
    expect(stdout).toContain(`Swarm initialized: current node (${id}) is now a manager.`);
    expect(stdout).toMatch(/docker swarm join --token SWMTKN-1-[0-9a-z]+-[0-9a-z]+ 127\.0\.0\.1:2377/);
    const again = await t.cli.run(['swarm', 'init']);
    expect(again.stderr).toContain('This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
  });

  it('docker info shows the active swarm', async () => {
    const { stdout } = await docker('info');
    expect(stdout).toContain(' Swarm: active\n');
    expect(stdout).toContain(`  NodeID: ${t.backend.swarm!.nodeId}\n`);
    expect(stdout).toContain('  Is Manager: true\n');
    expect(stdout).toContain('  Managers: 1\n');
    expect(stdout).toContain('  Nodes: 3\n');
    expect(stdout).toContain('   Election Tick: 6\n');
    expect(stdout).toContain('  Manager Addresses:\n   127.0.0.1:2377\n');
  });

  it('docker node ls marks this node and the leader', async () => {
    const { stdout } = await docker('node', 'ls');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +HOSTNAME +STATUS +AVAILABILITY +MANAGER STATUS +ENGINE VERSION$/);
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes('swarmlab-test'))).toMatch(new RegExp(`^${t.backend.swarm!.nodeId} \\* +swarmlab-test +Ready +Active +Leader +0\\.1\\.0-test$`));
    expect(lines.filter((l) => /worker-\d +Ready +Active +0\.1\.0-test$/.test(l))).toHaveLength(2);
  });

  it('docker node inspect self --pretty', async () => {
    const { stdout } = await docker('node', 'inspect', 'self', '--pretty');
    expect(stdout).toMatch(/^ID:\t+\w{25}\n/);
    expect(stdout).toMatch(/Hostname: +\tswarmlab-test\n/);
    expect(stdout).toMatch(/Manager Status:\n Address:\t+127\.0\.0\.1:2377\n Raft Status:\t+Reachable\n Leader:\t+Yes\n/);
    expect(stdout).toMatch(/Engine Version:\t+0\.1\.0-test/);
  });

  it('docker service create (resolving the image) warns that there is no registry, and converges', async () => {
    const r = await docker('service', 'create', '--replicas', '1', '--name', 'helloworld', 'alpine', 'ping', 'docker.com');
    expect(r.stderr).toContain(REGISTRY_WARNING('alpine:latest'));
    expect(r.stdout).toMatch(/^\w{25}\n/);
    expect(r.stdout).toMatch(/verify: Service \w+ converged/);
    expect(running('helloworld')).toHaveLength(1);
  });

  it('docker service create --no-resolve-image asks no registry', async () => {
    const r = await docker('service', 'create', '--no-resolve-image', '--detach', '--name', 'quiet', 'alpine', 'ping', 'docker.com');
    expect(r.stderr).toBe('');
    await docker('service', 'rm', 'quiet');
  });

  it('docker service ls shows 1/1', async () => {
    const { stdout } = await docker('service', 'ls');
    expect(stdout).toMatch(/^\w{12} +helloworld +replicated +1\/1 +alpine:latest/m);
    expect(stdout).not.toContain('quiet');
  });

  it('docker service inspect --pretty', async () => {
    const { stdout } = await docker('service', 'inspect', '--pretty', 'helloworld');
    expect(stdout).toContain('Name:\t\thelloworld\n');
    expect(stdout).toContain('Service Mode:\tReplicated\n Replicas:\t1\n');
    expect(stdout).toContain(' Image:\t\talpine:latest\n Args:\t\tping docker.com');
    expect(stdout).toContain('UpdateConfig:\n Parallelism:\t1\n On failure:\tpause\n');
  });

  it('docker service scale helloworld=5, then docker service ps', async () => {
    const r = await docker('service', 'scale', 'helloworld=5');
    expect(r.stdout).toContain('helloworld scaled to 5');
    expect(r.stdout).toContain('verify: Service helloworld converged');
    const { stdout } = await docker('service', 'ps', 'helloworld');
    const rows = stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(5);
    for (let slot = 1; slot <= 5; slot++) {
      expect(rows.some((l) => new RegExp(`^\\w{12} +helloworld\\.${slot} +alpine:latest +(swarmlab-test|worker-\\d) +Running +Running `).test(l))).toBe(true);
    }
    expect((await docker('service', 'ls')).stdout).toMatch(/helloworld +replicated +5\/5 /);
  });

  it('docker node update --availability drain moves the tasks off the node', async () => {
    const manager = t.backend.swarm!.nodeId;
    expect((await docker('node', 'update', '--availability', 'drain', 'swarmlab-test')).stdout.trim()).toBe('swarmlab-test');
    await until(() => running('helloworld').length === 5 && running('helloworld', (x) => x.NodeID === manager).length === 0, {
      what: 'the five tasks to run on the workers',
    });
    expect((await docker('node', 'ls')).stdout).toMatch(/swarmlab-test +Ready +Drain +Leader/);
    const ps = (await docker('service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Node}}', 'helloworld')).stdout;
    expect(ps.trim().split('\n').sort()).toEqual(expect.arrayContaining(['worker-1', 'worker-2']));
    expect(ps).not.toContain('swarmlab-test');
  });

  it('docker service update --image with parallelism and delay rolls the tasks over', async () => {
    const r = await docker('service', 'update', '--image', 'alpine:3.19', '--update-parallelism', '2', '--update-delay', '1s', 'helloworld');
    expect(r.stderr).toContain(REGISTRY_WARNING('alpine:3.19'));
    expect(r.stdout).toContain('verify: Service helloworld converged');
    expect(running('helloworld', (x) => x.Spec.ContainerSpec.Image === 'alpine:3.19')).toHaveLength(5);
    const { stdout } = await docker('service', 'inspect', '--pretty', 'helloworld');
    expect(stdout).toContain('UpdateConfig:\n Parallelism:\t2\n Delay:\t\t1s\n');
    expect(stdout).toContain(' Image:\t\talpine:3.19\n');
  });

  it('docker service rollback returns to the previous spec', async () => {
    const r = await docker('service', 'rollback', 'helloworld');
    expect(r.stdout).toContain('rollback: manually requested rollback');
    expect(r.stdout).toContain('verify: Service helloworld converged');
    expect(running('helloworld', (x) => x.Spec.ContainerSpec.Image === 'alpine:latest')).toHaveLength(5);
    const { stdout } = await docker('service', 'inspect', '--pretty', 'helloworld');
    expect(stdout).toMatch(/UpdateStatus:\n State:\t+rollback_completed\n/);
    expect(stdout).toContain(' Image:\t\talpine:latest\n');
  });

  it('docker service logs prints each line as name.slot.task@node | line', async () => {
    const current = running('helloworld').sort((a, b) => a.Slot! - b.Slot!);
    for (const task of current) t.backend.print(task.ID, `64 bytes from docker.com: seq=0 (slot ${task.Slot})`);
    t.backend.print(current[0]!.ID, 'ping: sendto: Network unreachable', 'stderr');
    const names = new Map(t.backend.swarm!.store.view((tx) => tx.find('nodes')).map((n) => [n.ID, n.Description!.Hostname]));
    const r = await docker('service', 'logs', 'helloworld');
    for (const task of current) {
      const prefix = `helloworld.${task.Slot}.${task.ID.slice(0, 12)}@${names.get(task.NodeID!)}`;
      expect(r.stdout).toContain(`${prefix}    | 64 bytes from docker.com: seq=0 (slot ${task.Slot})\n`);
    }
    expect(r.stderr).toContain('| ping: sendto: Network unreachable\n');

    // current[0]'s last line went to stderr; current[1]'s is on stdout.
    const tail = await docker('service', 'logs', '--timestamps', '--tail', '1', '--no-task-ids', current[1]!.ID);
    expect(tail.stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z helloworld\.\d@worker-\d +\| 64 bytes from docker\.com/);
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);

    const raw = await docker('service', 'logs', '--raw', 'helloworld');
    expect(raw.stdout.split('\n').filter((l) => l.startsWith('64 bytes from docker.com'))).toHaveLength(5);

    const follow = t.cli.start(['service', 'logs', '--follow', '--tail', '0', 'helloworld']);
    try {
      // Lines written while the follower connects may come before it: keep writing until one arrives.
      await until(
        () => {
          t.backend.print(current[1]!.ID, 'a line written while following');
          return follow.output().includes('| a line written while following');
        },
        { what: 'the followed line', intervalMs: 200 },
      );
    } finally {
      await follow.stop();
    }
  });

  it('docker events replays the cluster’s events between two times', async () => {
    const { stdout } = await docker('events', '--since', '2000-01-01T00:00:00Z', '--until', new Date().toISOString(), '--filter', 'type=service');
    expect(stdout).toMatch(/ service create \w{25} \(name=helloworld\)\n/);
    expect(stdout).toMatch(/ service update \w{25} \(.*image\.new=alpine:3\.19.*\)\n/);
    expect(stdout).not.toMatch(/ node /);
  });

  it('docker service rm', async () => {
    expect((await docker('service', 'rm', 'helloworld')).stdout.trim()).toBe('helloworld');
    expect((await docker('service', 'ls')).stdout.trim().split('\n')).toHaveLength(1);
    const r = await t.cli.run(['service', 'inspect', 'helloworld']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: no such service: helloworld');
    await until(() => tasks().every((x) => x.ServiceName !== 'helloworld'), { what: 'the tasks to go' });
  });

  it('docker swarm leave needs --force on the last manager, and the node is inactive after it', async () => {
    const refused = await t.cli.run(['swarm', 'leave']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.');
    expect((await docker('swarm', 'leave', '--force')).stdout.trim()).toBe('Node left the swarm.');
    expect((await docker('info')).stdout).toContain(' Swarm: inactive\n');
    const again = await t.cli.run(['swarm', 'leave']);
    expect(again.stderr).toContain('Error response from daemon: This node is not part of a swarm');
  });
});
