// Shared by the executor tests: tasks, the real catalog, condition waits with deadlines, and small
// clients for the built-in servers.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { ContainerSpec, TaskObject } from '../../../core/api/objects.ts';
import { ImageCatalog } from '../../../core/executor/catalog.ts';
import { ProcessExecutor, type ProcessExecutorOptions } from '../../../core/executor/process-executor.ts';
import type { LogEntry } from '../../../core/executor/task-log.ts';

export const CATALOG_PATH = fileURLToPath(new URL('../../../resources/images/catalog.json', import.meta.url));

let catalog: Promise<ImageCatalog> | undefined;
export const loadCatalog = () => (catalog ??= ImageCatalog.load(CATALOG_PATH));

let seq = 0;
export function task(spec: Partial<ContainerSpec> & { Image: string }, over: Partial<TaskObject> = {}): TaskObject {
  const id = `task${++seq}x${Math.random().toString(36).slice(2, 8)}`;
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    ServiceID: 'svc1',
    ServiceName: 'web',
    Slot: 1,
    NodeID: 'node1',
    Spec: { ContainerSpec: spec },
    Status: { State: 'assigned', Message: 'assigned', Timestamp: '' },
    DesiredState: 'running',
    ...over,
  };
}

export async function executor(over: Partial<ProcessExecutorOptions> = {}): Promise<ProcessExecutor> {
  return new ProcessExecutor({ catalog: await loadCatalog(), node: { id: 'node1', hostname: 'worker-1' }, ...over });
}

/** Polls `pred` until it holds or the deadline passes (real time). */
export async function until(pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return pred();
}

export async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

export async function lines(ex: ProcessExecutor, taskId: string, stream?: 'stdout' | 'stderr'): Promise<string[]> {
  return (await collect(ex.logs(taskId, stream ? { [stream]: true } : {}))).map((e) => e.line);
}

/** Waits until the task logs its listening address, and returns its port. */
export async function listeningPort(ex: ProcessExecutor, taskId: string): Promise<number> {
  let port: number | undefined;
  await until(async () => {
    const m = (await lines(ex, taskId)).map((l) => /^Listening on 127\.0\.0\.1:(\d+)$/.exec(l)).find((x) => x);
    port = m ? Number(m[1]) : undefined;
    return port !== undefined;
  });
  if (port === undefined) throw new Error(`task ${taskId} never listened: ${(await lines(ex, taskId)).join('\n')}`);
  return port;
}

export function httpGet(port: number, path = '/', method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { 'User-Agent': 'swarmlab-test', Connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes, reads until `done` says the answer is complete. */
export function tcpExchange(port: number, data: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      text += c;
      if (done(text)) {
        s.destroy();
        resolve(text);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(text));
    s.write(data);
  });
}

/** Whether a process still runs. A zombie (dead, waiting for whoever adopted it to reap it) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    // Gone since the kill(0); or no /proc (macOS), where kill(pid, 0) is all there is.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}
