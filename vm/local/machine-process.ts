// A machine's swarmd process, known by its pid file and checked against its command line (pids get
// reused), and the one way to end it hard. These need only the machine's paths, so a machine whose
// config is unreadable can still be ended before it is removed.

import { readFile } from 'node:fs/promises';
import type { MachinePaths } from '../store.ts';
import { descendants, listProcesses, processInfo, signalGroup, type ProcessInfo } from './processes.ts';

export async function machineProcess(paths: MachinePaths): Promise<ProcessInfo | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(paths.pid, 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!(pid > 0)) return undefined;
  const p = await processInfo(pid);
  if (!p || p.state === 'Z' || !p.command.includes(paths.state)) return undefined;
  return p;
}

/** Process groups of swarmd's task processes (its descendants outside its own group). */
export async function taskGroups(p: ProcessInfo): Promise<Set<number>> {
  const groups = new Set<number>();
  for (const d of descendants(p.pid, await listProcesses())) if (d.pgid !== p.pgid) groups.add(d.pgid);
  return groups;
}

/**
 * SIGKILL for swarmd and its tasks' groups. Frozen first, so that it starts no task between the
 * look at its children and the kill; and while it is frozen its children stay its children (exited
 * ones as zombies), so their group IDs cannot have been reused by the time they are signalled.
 * Resolves true once swarmd is gone.
 */
export async function killTree(p: ProcessInfo, waitMs = 10_000): Promise<boolean> {
  signalGroup(p.pgid, 'SIGSTOP');
  for (const g of await taskGroups(p)) signalGroup(g, 'SIGKILL');
  signalGroup(p.pgid, 'SIGKILL');
  return waitGone(p.pid, waitMs);
}

export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() <= deadline) {
    const p = await processInfo(pid);
    if (!p || p.state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
