import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { descendants, listProcesses, parseStat, processesWithEnv, processInfo, signalGroup } from '../../../vm/local/processes.ts';
import { waitFor } from '../helpers.ts';

const groups: number[] = [];
afterEach(() => {
  for (const g of groups.splice(0)) signalGroup(g, 'SIGKILL');
});

it('reads /proc/PID/stat even when the command name holds spaces and parentheses', () => {
  expect(parseStat('4242 (node (x) y) S 1 4242 4242 0 -1 4194560 ...')).toEqual({ pid: 4242, state: 'S', ppid: 1, pgid: 4242 });
  expect(parseStat('garbage')).toBeUndefined();
});

it('finds a process group, its tree, its stopped state and its environment marker', async () => {
  const marker = `test-${process.pid}-${Date.now()}`;
  const child = spawn('sh', ['-c', 'sleep 60 & wait'], { detached: true, stdio: 'ignore', env: { ...process.env, SWARMLAB_NODE_ID: marker } });
  groups.push(child.pid!);
  await waitFor(async () => descendants(child.pid!, await listProcesses()).length > 0, 5_000, 'sleep started');
  const tree = descendants(child.pid!, await listProcesses());
  expect(tree.every((p) => p.pgid === child.pid)).toBe(true);
  expect((await processesWithEnv('SWARMLAB_NODE_ID', marker)).sort()).toEqual([child.pid!, ...tree.map((p) => p.pid)].sort());
  signalGroup(child.pid!, 'SIGSTOP');
  await waitFor(async () => (await processInfo(child.pid!))?.state === 'T', 5_000, 'stopped');
  signalGroup(child.pid!, 'SIGKILL');
  await waitFor(async () => (await processesWithEnv('SWARMLAB_NODE_ID', marker)).length === 0, 5_000, 'all gone');
});
