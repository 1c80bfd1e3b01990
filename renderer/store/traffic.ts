// "Send traffic" runs as the renderer shows them: the answers in order as they come, how many each
// task and node gave (the round robin, counted), and the latest answer per task for the pulse on
// its dot. Plain TypeScript, fed the 'traffic' and 'traffic-end' events; unit-tested on its own.

import type { LabEvent, TrafficAnswer } from '../../main/lab/protocol.ts';

export interface TrafficRun {
  trafficId: string;
  serviceId?: string;
  url?: string;
  viaHost?: string;
  count: number;
  answers: TrafficAnswer[];
  /** Answers per task (its ID, or its name when the view has no such task), in order of first answer. */
  perTask: Map<string, number>;
  ok: number;
  failed: number;
  done: boolean;
  error?: string;
}

type TrafficEvent = Extract<LabEvent, { type: 'traffic' | 'traffic-end' }>;

/** Runs kept: the newest few (a list of old runs is not what a demo shows). */
export const RUNS_KEPT = 5;

export class TrafficLog {
  readonly runs = new Map<string, TrafficRun>();
  /** Bumped on every change (the panel's and the topology's cue to redraw). */
  revision = 0;
  /** The answering tasks' pulses: task ID → when (performance.now() of the renderer) it answered. */
  readonly pulses = new Map<string, number>();
  private readonly listeners = new Set<(e: TrafficEvent) => void>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes a traffic event; returns false for any other event. */
  apply(e: LabEvent): boolean {
    if (e.type !== 'traffic' && e.type !== 'traffic-end') return false;
    const run = this.run(e.trafficId);
    if (e.type === 'traffic') {
      const a = e.answer;
      run.count = a.count;
      run.answers.push(a);
      run.url ??= a.url;
      run.viaHost ??= a.viaHost;
      if (a.error !== undefined || (a.status ?? 0) >= 500) run.failed++;
      else run.ok++;
      const key = a.taskId ?? a.taskName;
      if (key) run.perTask.set(key, (run.perTask.get(key) ?? 0) + 1);
      if (a.taskId) this.pulses.set(a.taskId, this.now());
    } else {
      run.done = true;
      run.ok = e.ok;
      run.failed = e.failed;
      if (e.error) run.error = e.error;
    }
    this.revision++;
    for (const l of this.listeners) l(e);
    return true;
  }

  /** Notes a run the renderer started (its service and target), before or after its first answer. */
  started(trafficId: string, info: { serviceId: string; url: string; viaHost: string; count: number }): TrafficRun {
    const run = this.run(trafficId);
    run.serviceId = info.serviceId;
    run.url = info.url;
    run.viaHost = info.viaHost;
    run.count = info.count;
    this.revision++;
    return run;
  }

  /** The newest run of a service. */
  latest(serviceId: string): TrafficRun | undefined {
    let found: TrafficRun | undefined;
    for (const r of this.runs.values()) if (r.serviceId === serviceId) found = r;
    return found;
  }

  /** Tasks that answered within the last `ms` (for the pulse on their dots), with how far along their pulse is (0..1). */
  pulsing(ms: number): Map<string, number> {
    const now = this.now();
    const out = new Map<string, number>();
    for (const [id, t] of this.pulses) {
      const age = now - t;
      if (age > ms) this.pulses.delete(id);
      else out.set(id, age / ms);
    }
    return out;
  }

  subscribe(fn: (e: TrafficEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private run(trafficId: string): TrafficRun {
    let run = this.runs.get(trafficId);
    if (!run) {
      run = { trafficId, count: 0, answers: [], perTask: new Map(), ok: 0, failed: 0, done: false };
      this.runs.set(trafficId, run);
      while (this.runs.size > RUNS_KEPT) this.runs.delete(this.runs.keys().next().value!);
    }
    return run;
  }
}
