// The lab as the renderer knows it: a LabView kept up to date from the controller's events.
// Plain TypeScript (no Svelte, no DOM) so it is unit-tested on its own. Tables are Maps keyed by ID
// because a 5,000-task view is patched many times a second; each table has a revision so a view
// redraws only what changed.

import type {
  LabEvent, LabPhase, MachineView, NetworkView, NodeView, QuorumView, ServiceView, TaskView, TimelineEntry, ViewDelta, LabView,
} from '../../main/lab/protocol.ts';

export interface ProgressView {
  operation: string;
  step: string;
  done: boolean;
  error?: string;
}

export type Table = 'lab' | 'machines' | 'nodes' | 'services' | 'tasks' | 'timeline' | 'progress' | 'networks';

/** Older entries fall off: the timeline panel is for what just happened, not an archive. */
export const TIMELINE_LIMIT = 500;

const NO_QUORUM: QuorumView = { managers: 0, reachable: 0, quorum: 0, canLose: 0 };

export class LabStore {
  phase: LabPhase = 'none';
  name?: string;
  via?: string;
  stale = false;
  leaderId?: string;
  quorum: QuorumView = NO_QUORUM;
  /** False until the first snapshot: the UI says "connecting" rather than "no lab". */
  synced = false;
  readonly machines = new Map<string, MachineView>();
  readonly nodes = new Map<string, NodeView>();
  readonly services = new Map<string, ServiceView>();
  readonly tasks = new Map<string, TaskView>();
  readonly networks = new Map<string, NetworkView>();
  timeline: TimelineEntry[] = [];
  readonly progress = new Map<string, ProgressView>();
  readonly revisions: Record<Table, number> = { lab: 0, machines: 0, nodes: 0, services: 0, tasks: 0, timeline: 0, progress: 0, networks: 0 };
  private readonly listeners = new Set<(changed: ReadonlySet<Table>) => void>();

  /** Applies one event; returns the tables it changed (empty for console and log data). */
  apply(e: LabEvent): Set<Table> {
    const changed = new Set<Table>();
    switch (e.type) {
      case 'snapshot':
        this.reset(e.view, e.timeline, changed);
        break;
      case 'delta':
        this.patch(e.delta, changed);
        break;
      case 'timeline':
        this.addTimeline([e.entry], changed);
        break;
      case 'progress':
        this.progress.set(e.operation, { operation: e.operation, step: e.step, done: e.done ?? false, ...(e.error ? { error: e.error } : {}) });
        changed.add('progress');
        break;
      default:
        break;
    }
    for (const t of changed) this.revisions[t]++;
    if (changed.size > 0) for (const l of this.listeners) l(changed);
    return changed;
  }

  subscribe(listener: (changed: ReadonlySet<Table>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The whole view, as a snapshot would carry it (for tests and the demo feed). */
  view(): LabView {
    return {
      phase: this.phase, stale: this.stale, quorum: this.quorum,
      ...(this.name !== undefined ? { name: this.name } : {}),
      ...(this.via !== undefined ? { via: this.via } : {}),
      ...(this.leaderId !== undefined ? { leaderId: this.leaderId } : {}),
      machines: [...this.machines.values()], nodes: [...this.nodes.values()],
      services: [...this.services.values()], tasks: [...this.tasks.values()],
      networks: [...this.networks.values()],
    };
  }

  dismissProgress(operation: string): void {
    if (this.progress.delete(operation)) {
      this.revisions.progress++;
      for (const l of this.listeners) l(new Set(['progress']));
    }
  }

  private reset(view: LabView, timeline: TimelineEntry[], changed: Set<Table>): void {
    this.synced = true;
    this.phase = view.phase;
    this.name = view.name;
    this.via = view.via;
    this.stale = view.stale;
    this.leaderId = view.leaderId;
    this.quorum = view.quorum;
    fill(this.machines, view.machines, (m) => m.name);
    fill(this.nodes, view.nodes, (n) => n.id);
    fill(this.services, view.services, (s) => s.id);
    fill(this.tasks, view.tasks, (t) => t.id);
    fill(this.networks, view.networks ?? [], (n) => n.id);
    // A snapshot after a reconnect repeats entries we have: keep one of each.
    this.timeline = [];
    this.addTimeline(timeline, changed);
    for (const t of ['lab', 'machines', 'nodes', 'services', 'tasks', 'timeline', 'networks'] as const) changed.add(t);
  }

  private patch(d: ViewDelta, changed: Set<Table>): void {
    if (d.phase !== undefined) { this.phase = d.phase; changed.add('lab'); }
    if (d.name !== undefined) { this.name = d.name ?? undefined; changed.add('lab'); }
    if (d.via !== undefined) { this.via = d.via ?? undefined; changed.add('lab'); }
    if (d.stale !== undefined) { this.stale = d.stale; changed.add('lab'); }
    if (d.leaderId !== undefined) {
      this.leaderId = d.leaderId ?? undefined;
      changed.add('lab');
      changed.add('nodes');
    }
    if (d.quorum !== undefined) { this.quorum = d.quorum; changed.add('lab'); }
    if (d.machines && patchTable(this.machines, d.machines, (m) => m.name)) changed.add('machines');
    if (d.nodes && patchTable(this.nodes, d.nodes, (n) => n.id)) changed.add('nodes');
    if (d.services && patchTable(this.services, d.services, (s) => s.id)) changed.add('services');
    if (d.tasks && patchTable(this.tasks, d.tasks, (t) => t.id)) changed.add('tasks');
    if (d.networks && patchTable(this.networks, d.networks, (n) => n.id)) changed.add('networks');
  }

  private addTimeline(entries: TimelineEntry[], changed: Set<Table>): void {
    if (entries.length === 0) return;
    const last = this.timeline[this.timeline.length - 1];
    const fresh = entries.filter((e) => !last || e.seq > last.seq);
    if (fresh.length === entries.length && fresh.every((e, i) => i === 0 || e.seq > fresh[i - 1]!.seq)) {
      this.timeline.push(...fresh);
    } else {
      // Out of order or repeated: merge by seq.
      const bySeq = new Map(this.timeline.map((e) => [e.seq, e]));
      for (const e of entries) bySeq.set(e.seq, e);
      this.timeline = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    }
    if (this.timeline.length > TIMELINE_LIMIT) this.timeline = this.timeline.slice(-TIMELINE_LIMIT);
    changed.add('timeline');
  }
}

function fill<T>(map: Map<string, T>, items: T[], key: (t: T) => string): void {
  map.clear();
  for (const item of items) map.set(key(item), item);
}

function patchTable<T>(map: Map<string, T>, p: { upsert?: T[]; remove?: string[] }, key: (t: T) => string): boolean {
  let changed = false;
  for (const id of p.remove ?? []) changed = map.delete(id) || changed;
  for (const item of p.upsert ?? []) {
    map.set(key(item), item);
    changed = true;
  }
  return changed;
}
