// `docker service logs` across the swarm. Every node serves its own tasks' output on its cluster
// port (logs.read, to managers only); the manager that got the request asks each node holding
// one of the selected tasks and merges what comes back. A node that cannot be reached makes the
// stream end with Docker's "incomplete log stream" warning, after everything else was sent.

import type { LogOptions, LogSelector, ServiceLogLine } from '../dockerapi/backend.ts';
import type { ControlApi } from '../manager/control/api.ts';
import type { RpcServer } from '../rpc/server.ts';
import type { Dialer } from './dialer.ts';

export interface LogEntryLike {
  stream: 'stdout' | 'stderr';
  time: Date;
  line: string;
}

/** What an executor offers for logs (the process executor has it; the test executor may not). */
export interface TaskLogSource {
  logs(taskId: string, opts: { follow?: boolean; tail?: number; since?: Date; stdout?: boolean; stderr?: boolean }): AsyncIterable<LogEntryLike>;
}

export const hasLogs = (x: unknown): x is TaskLogSource => !!x && typeof (x as TaskLogSource).logs === 'function';

interface ReadRequest {
  taskIds: string[];
  follow: boolean;
  tail?: number;
  /** ms since the epoch */
  since?: number;
  stdout: boolean;
  stderr: boolean;
}

interface WireLine {
  taskId: string;
  stream: 'stdout' | 'stderr';
  time: number;
  line: string;
}

/** Reads several tasks' output at once into `emit`; resolves when all of them end (or `stop` is called). */
function readLocal(source: TaskLogSource, req: ReadRequest, emit: (l: WireLine) => void, signal: AbortSignal): Promise<void> {
  return Promise.all(
    req.taskIds.map(async (taskId) => {
      let it: AsyncIterable<LogEntryLike>;
      try {
        it = source.logs(taskId, { follow: req.follow, tail: req.tail, since: req.since !== undefined ? new Date(req.since) : undefined, stdout: req.stdout, stderr: req.stderr });
      } catch {
        return; // not a task of this node (any more)
      }
      const iter = it[Symbol.asyncIterator]();
      const abort = () => void iter.return?.();
      signal.addEventListener('abort', abort, { once: true });
      try {
        while (!signal.aborted) {
          const r = await iter.next();
          if (r.done) break;
          emit({ taskId, stream: r.value.stream, time: r.value.time.getTime(), line: r.value.line });
        }
      } finally {
        signal.removeEventListener('abort', abort);
      }
    }),
  ).then(() => undefined);
}

export function serveTaskLogs(server: RpcServer, source: () => TaskLogSource | undefined): void {
  server.stream('logs.read', 'manager', (p, _ctx, sink) => {
    const req = p as ReadRequest;
    const src = source();
    const ac = new AbortController();
    if (!src || !Array.isArray(req?.taskIds)) {
      sink.end();
      return { close() {} };
    }
    readLocal(src, req, (l) => sink.next(l), ac.signal).then(
      () => sink.end(),
      (err: unknown) => sink.end(err),
    );
    return { close: () => ac.abort() };
  });
}

/** A queue that turns pushes from several producers into one async iterable. */
class Merge<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;
  private open = 0;
  failure: string[] = [];

  add(): () => void {
    this.open++;
    return () => {
      this.open--;
      this.poke();
    };
  }

  push(v: T): void {
    this.items.push(v);
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *drain(signal: AbortSignal): AsyncIterable<T> {
    const onAbort = () => this.poke();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (this.items.length > 0) {
          yield this.items.shift()!;
          continue;
        }
        if (this.open === 0) return;
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

export interface ClusterLogsOptions {
  control: ControlApi;
  dialer: Dialer;
  selfId: string;
  local: TaskLogSource | undefined;
}

export async function* clusterLogs(o: ClusterLogsOptions, selector: LogSelector, opts: LogOptions, signal: AbortSignal): AsyncIterable<ServiceLogLine> {
  const tasks = [
    ...(selector.serviceIds.length > 0 ? await o.control.listTasks({ services: selector.serviceIds }) : []),
    ...(await Promise.all(selector.taskIds.map((id) => o.control.getTask(id)))),
  ];
  const byNode = new Map<string, typeof tasks>();
  for (const t of tasks) {
    if (!t.NodeID) continue;
    byNode.set(t.NodeID, [...(byNode.get(t.NodeID) ?? []), t]);
  }
  const info = new Map(tasks.map((t) => [t.ID, t]));
  const merge = new Merge<WireLine>();
  const base = { follow: opts.follow, tail: opts.tail, since: opts.since?.getTime(), stdout: opts.stdout, stderr: opts.stderr };
  const subs: { close(): void }[] = [];
  const ac = new AbortController();
  const stopAll = () => ac.abort();
  signal.addEventListener('abort', stopAll, { once: true });
  for (const [nodeId, ts] of byNode) {
    const req: ReadRequest = { ...base, taskIds: ts.map((t) => t.ID) };
    const done = merge.add();
    if (nodeId === o.selfId) {
      if (!o.local) {
        done();
        continue;
      }
      readLocal(o.local, req, (l) => merge.push(l), ac.signal).finally(done);
      continue;
    }
    const node = await o.control.getNode(nodeId).catch(() => undefined);
    const addr = node?.Description?.ClusterAddr;
    if (!node || !addr || node.Status.State === 'down') {
      merge.failure.push(`node ${nodeId} is not available`);
      done();
      continue;
    }
    const role = node.Role ?? node.Spec.Role;
    const client = o.dialer.fresh(addr, role === 'manager' ? 'swarm-manager' : 'swarm-worker');
    subs.push({ close: () => client.close() });
    let finished = false;
    const finish = () => {
      if (!finished) {
        finished = true;
        done();
      }
    };
    const sub = client.open('logs.read', req, {
      item: (l) => merge.push(l as WireLine),
      end: (err) => {
        if (err && !ac.signal.aborted) merge.failure.push(`node ${nodeId}: ${err.message}`);
        finish();
      },
    });
    subs.push(sub);
    ac.signal.addEventListener('abort', () => {
      sub.close();
      finish();
    }, { once: true });
  }
  try {
    for await (const l of merge.drain(ac.signal)) {
      const t = info.get(l.taskId);
      yield { stream: l.stream, time: new Date(l.time), line: l.line, taskId: l.taskId, nodeId: t?.NodeID ?? '', serviceId: t?.ServiceID ?? '', slot: t?.Slot };
    }
  } finally {
    signal.removeEventListener('abort', stopAll);
    ac.abort();
    for (const s of subs) s.close();
  }
  if (merge.failure.length > 0) {
    throw new Error(`warning: incomplete log stream. some logs could not be retrieved for the following reasons: ${merge.failure.join(', ')}`);
  }
}
