// The one place the lab's state becomes events: it holds what the controller knows (phase, machines,
// the watcher's last read), makes the view from it, and sends each subscriber a snapshot first, then
// the deltas and timeline entries of every change, in order.

import { systemClock, type Clock } from '../../core/clock.ts';
import type { LabEvent, LabView } from './protocol.ts';
import { Timeline, timelineChanges, type Observation, type TimelineDraft } from './timeline.ts';
import { assignColors, buildView, type ViewInput } from './view.ts';
import { diffView } from './view-diff.ts';

/** What the controller knows of the lab: the view's input, but the colours (kept here). */
export interface LabState extends Omit<ViewInput, 'colors'> {
  /** Why the view is stale. */
  error?: string;
}

export type Listener = (e: LabEvent) => void;

export class ViewPublisher {
  readonly timeline: Timeline;
  private state: LabState = { phase: 'none', stale: false, machines: [] };
  private colors = new Map<string, number>();
  private observed: Observation;
  private readonly listeners = new Set<Listener>();

  constructor(clock: Clock = systemClock) {
    this.timeline = new Timeline(clock);
    this.observed = { view: this.build() };
  }

  view(): LabView {
    return this.observed.view;
  }

  lab(): Readonly<LabState> {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.send(listener, { type: 'snapshot', view: this.observed.view, timeline: this.timeline.entries() });
    return () => this.listeners.delete(listener);
  }

  /** Changes what the lab knows; fields given as undefined are cleared. Sends what changed. */
  set(patch: Partial<LabState>): void {
    const prevCluster = this.state.cluster;
    this.state = { ...this.state, ...patch };
    for (const k of Object.keys(patch) as (keyof LabState)[]) if (patch[k] === undefined) delete this.state[k];
    if (this.state.cluster !== prevCluster) this.colors = assignColors(this.colors, this.state.cluster?.services ?? []);
    const prev = this.observed;
    const next: Observation = {
      view: this.build(),
      ...(this.state.cluster ? { cluster: this.state.cluster } : {}),
      ...(this.state.error ? { error: this.state.error } : {}),
    };
    this.observed = next;
    const delta = diffView(prev.view, next.view);
    if (delta) this.emit({ type: 'delta', delta });
    for (const draft of timelineChanges(prev, next)) this.note(draft);
  }

  note(draft: TimelineDraft): void {
    this.emit({ type: 'timeline', entry: this.timeline.add(draft) });
  }

  emit(e: LabEvent): void {
    for (const l of this.listeners) this.send(l, e);
  }

  private send(l: Listener, e: LabEvent): void {
    try {
      l(e);
    } catch {
      // One broken subscriber (a closed window) must not silence the others.
    }
  }

  private build(): LabView {
    const s = this.state;
    return buildView({
      phase: s.phase,
      ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.via !== undefined ? { via: s.via } : {}),
      stale: s.stale,
      machines: s.machines,
      ...(s.cluster ? { cluster: s.cluster } : {}),
      colors: this.colors,
    });
  }
}
