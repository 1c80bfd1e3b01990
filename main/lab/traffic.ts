// "Send traffic": HTTP requests to a service's published port through one node's address, each on
// a new connection (as curl makes them), so that the routing mesh's round robin shows request by
// request. Which node to ask and which port is planned from the view (pure); each answer is read
// for who answered — whoami's /api JSON names its task and node — and reported as an event.

import http from 'node:http';
import type { LabEvent, LabView, TaskView, TrafficAnswer } from './protocol.ts';
import type { TrafficPlan } from './traffic-plan.ts';

export { nodeAddress, planTraffic, TRAFFIC_DEFAULTS, type TrafficPlan } from './traffic-plan.ts';

const REQUEST_TIMEOUT_MS = 3_000;

export interface HttpResult {
  status?: number;
  latencyMs: number;
  body?: string;
  contentType?: string;
  error?: string;
}

/** One GET on a fresh connection (no keep-alive), with a deadline. */
export function getOnce(url: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<HttpResult> {
  const start = performance.now();
  const ms = () => Math.round((performance.now() - start) * 10) / 10;
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers: { 'User-Agent': 'swarmlab-traffic', Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 64 * 1024) chunks.push(c);
      });
      res.on('error', (err) => resolve({ latencyMs: ms(), error: err.message }));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          latencyMs: ms(),
          body: Buffer.concat(chunks).toString('utf8'),
          ...(res.headers['content-type'] ? { contentType: String(res.headers['content-type']) } : {}),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ latencyMs: ms(), error: describe(err) }));
  });
}

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens on that port there)';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
  }
  return err.message;
}

/** Who answered, from whoami's /api JSON (other images: nothing more than the status). */
export function whoAnswered(r: HttpResult, view: Pick<LabView, 'tasks' | 'nodes'> | undefined): Partial<TrafficAnswer> {
  if (!r.body || !(r.contentType?.includes('json') ?? r.body.startsWith('{'))) return {};
  let facts: Record<string, unknown>;
  try {
    facts = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    return {};
  }
  if (!facts || typeof facts !== 'object') return {};
  const str = (k: string) => (typeof facts[k] === 'string' && facts[k] ? (facts[k] as string) : undefined);
  const taskName = str('task');
  const nodeId = str('nodeId');
  const slot = typeof facts.slot === 'number' ? facts.slot : undefined;
  const ip = Array.isArray(facts.ip) ? facts.ip.filter((x): x is string => typeof x === 'string') : undefined;
  const task = view ? findTask(view.tasks, { taskName, nodeId, slot, service: str('service'), hostname: str('hostname') }) : undefined;
  const node = str('node') ?? (nodeId ? view?.nodes.find((n) => n.id === nodeId)?.hostname : undefined);
  return {
    ...(task ? { taskId: task.id } : {}),
    ...(taskName ? { taskName } : {}),
    ...(nodeId ? { nodeId } : task?.nodeId ? { nodeId: task.nodeId } : {}),
    ...(node ? { node } : {}),
    ...(ip?.length ? { ip } : {}),
    ...(slot !== undefined ? { slot } : {}),
    ...(str('version') ? { version: str('version')! } : {}),
  };
}

/** The task a whoami answer names: by the ID its name ends with (service.slot.ID), else its hostname, else node and slot. */
function findTask(tasks: TaskView[], f: { taskName?: string; nodeId?: string; slot?: number; hostname?: string; service?: string }): TaskView | undefined {
  const id = f.taskName?.split('.').at(-1);
  if (id) {
    const exact = tasks.find((t) => t.id === id) ?? (id.length >= 10 ? tasks.find((t) => t.id.startsWith(id)) : undefined);
    if (exact) return exact;
  }
  if (f.hostname && f.hostname.length >= 10) {
    const byHost = tasks.find((t) => t.id.startsWith(f.hostname!));
    if (byHost) return byHost;
  }
  if (f.nodeId && f.slot !== undefined) return tasks.find((t) => t.nodeId === f.nodeId && t.slot === f.slot && t.state === 'running');
  return undefined;
}

type TrafficEvent = Extract<LabEvent, { type: 'traffic' | 'traffic-end' }>;

export interface TrafficRunnerOptions {
  emit: (e: TrafficEvent) => void;
  /** The view now, to name the task that answered. */
  view?: () => Pick<LabView, 'tasks' | 'nodes'> | undefined;
  get?: (url: string) => Promise<HttpResult>;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The traffic runs under way: one request every interval, answers reported as they come. */
export class TrafficRunner {
  private readonly runs = new Map<string, AbortController>();
  private next = 0;

  constructor(private readonly opts: TrafficRunnerOptions) {}

  get active(): number {
    return this.runs.size;
  }

  /** Starts a run; resolves with its ID at once (the answers arrive as events). */
  start(plan: TrafficPlan): { trafficId: string; done: Promise<void> } {
    const trafficId = `traffic-${++this.next}`;
    const abort = new AbortController();
    this.runs.set(trafficId, abort);
    const done = this.run(trafficId, plan, abort.signal).finally(() => this.runs.delete(trafficId));
    return { trafficId, done };
  }

  stop(trafficId: string): void {
    this.runs.get(trafficId)?.abort();
  }

  stopAll(): void {
    for (const a of this.runs.values()) a.abort();
  }

  private async run(trafficId: string, plan: TrafficPlan, signal: AbortSignal): Promise<void> {
    const get = this.opts.get ?? ((url: string) => getOnce(url));
    const sleep = this.opts.sleep ?? abortableSleep;
    let ok = 0;
    let failed = 0;
    const inFlight: Promise<void>[] = [];
    for (let seq = 1; seq <= plan.count && !signal.aborted; seq++) {
      const time = new Date().toISOString();
      inFlight.push(
        get(plan.url).then((r) => {
          const failedNow = r.error !== undefined || (r.status ?? 0) >= 500;
          if (failedNow) failed++;
          else ok++;
          const answer: TrafficAnswer = {
            seq,
            count: plan.count,
            url: plan.url,
            ...(plan.viaNodeId ? { viaNodeId: plan.viaNodeId } : {}),
            viaHost: plan.viaHost,
            time,
            ...(r.status !== undefined ? { status: r.status } : {}),
            latencyMs: r.latencyMs,
            ...(r.error !== undefined ? { error: r.error } : {}),
            ...whoAnswered(r, this.opts.view?.()),
          };
          this.opts.emit({ type: 'traffic', trafficId, answer });
        }),
      );
      if (seq < plan.count) await sleep(plan.intervalMs, signal);
    }
    await Promise.all(inFlight);
    this.opts.emit({ type: 'traffic-end', trafficId, ok, failed, ...(signal.aborted ? { error: 'stopped' } : {}) });
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
