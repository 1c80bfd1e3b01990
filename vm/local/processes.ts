// The host's process table, as far as the local driver needs it: a process's group, parent and
// run state, and its environment (to find a node's task processes after the node itself died).
// Linux reads /proc; other Unixes ask ps.

import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** The kernel's one-letter state: R, S, D, T (stopped), Z (zombie), ... */
  state: string;
  command: string;
}

const hasProc = process.platform === 'linux';

/** /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses. */
export function parseStat(text: string): Pick<ProcessInfo, 'pid' | 'ppid' | 'pgid' | 'state'> | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const [state, ppid, pgid] = text.slice(close + 2).split(' ');
  const pid = Number.parseInt(text, 10);
  if (!state || ppid === undefined || pgid === undefined || Number.isNaN(pid)) return undefined;
  return { pid, state, ppid: Number(ppid), pgid: Number(pgid) };
}

async function readProc(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
    if (!stat) return undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return { ...stat, command: cmdline.split('\0').join(' ').trim() };
  } catch {
    return undefined; // gone meanwhile
  }
}

function ps(args: string[]): Promise<ProcessInfo[]> {
  return new Promise((resolve) => {
    execFile('ps', [...args, '-o', 'pid=,ppid=,pgid=,stat=,command='], { maxBuffer: 16 * 1024 * 1024 }, (_err, stdout) => {
      const out: ProcessInfo[] = [];
      for (const line of stdout.split('\n')) {
        const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
        if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), state: m[4]![0]!, command: m[5]! });
      }
      resolve(out);
    });
  });
}

export async function processInfo(pid: number): Promise<ProcessInfo | undefined> {
  if (hasProc) return readProc(pid);
  return (await ps(['-p', String(pid)]))[0];
}

export async function listProcesses(): Promise<ProcessInfo[]> {
  if (!hasProc) return ps(['-A']);
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const all = await Promise.all(pids.map(readProc));
  return all.filter((p): p is ProcessInfo => p !== undefined);
}

/** Every process below `root` in the tree (children, their children, ...). */
export function descendants(root: number, table: readonly ProcessInfo[]): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>();
  for (const p of table) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * Processes whose environment holds NAME=VALUE. A node's real task processes carry
 * SWARMLAB_NODE_ID, so they are found even after their node was killed and they were re-parented.
 * Linux only (elsewhere a process's environment is not readable this way).
 */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  if (!hasProc) return [];
  const needle = `\0${name}=${value}\0`;
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const hits = await Promise.all(
    pids.map(async (pid) => {
      try {
        const env = `\0${await readFile(`/proc/${pid}/environ`, 'utf8')}`;
        return env.includes(needle) ? pid : undefined;
      } catch {
        return undefined; // another user's, or gone
      }
    }),
  );
  return hits.filter((p): p is number => p !== undefined);
}

/** Signals a process group; false when it no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
