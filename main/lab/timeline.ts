// The event timeline: what happened between two observations of the swarm, in words for the room
// (leader elected, node down, task failed, update paused...), and the numbered, timed log the
// controller keeps of them. The changes are pure; the clock is injected.

import type { Clock } from '../../core/clock.ts';
import type { ApiTask, ClusterState } from './cluster-state.ts';
import type { LabView, NodeView, ServiceView, TimelineEntry } from './protocol.ts';

export type TimelineDraft = Omit<TimelineEntry, 'seq' | 'time'>;

/** One observation: the view, the read of the swarm it came from, and why no manager answered. */
export interface Observation {
  view: LabView;
  cluster?: ClusterState;
  error?: string;
}

export function timelineChanges(prev: Observation | undefined, next: Observation): TimelineDraft[] {
  const out: TimelineDraft[] = [];
  if (prev?.cluster && !prev.view.stale && next.view.stale) {
    out.push({ kind: 'lab', severity: 'warning', text: `Lost contact with the swarm${next.error ? `: ${next.error}` : ': no manager answers'}` });
  }
  if (prev?.view.stale && !next.view.stale && prev.cluster) {
    out.push({ kind: 'lab', severity: 'info', text: `In contact with the swarm again${next.view.via ? ` through ${next.view.via}` : ''}` });
  }
  if (!next.cluster || next.view.stale) return out;
  if (!prev?.cluster) {
    const leader = next.view.nodes.find((n) => n.leader);
    const { managers, quorum } = next.view.quorum;
    if (leader) out.push({ kind: 'leader', severity: 'info', text: `${leader.hostname} leads the swarm (${managers} manager${managers === 1 ? '' : 's'} · quorum ${quorum})`, nodeId: leader.id });
    return out;
  }
  leaderChanges(prev.view, next.view, out);
  nodeChanges(prev.view, next.view, out);
  serviceChanges(prev.view, next.view, out);
  taskFailures(prev.cluster, next, out);
  return out;
}

function leaderChanges(prev: LabView, next: LabView, out: TimelineDraft[]): void {
  if (prev.leaderId === next.leaderId) return;
  const name = (v: LabView, id: string | undefined) => (id ? (v.nodes.find((n) => n.id === id)?.hostname ?? id) : undefined);
  const was = name(prev, prev.leaderId);
  const now = name(next, next.leaderId);
  if (now) out.push({ kind: 'leader', severity: 'info', text: `${now} elected leader${was ? ` (${was} was)` : ''}`, nodeId: next.leaderId });
  else out.push({ kind: 'leader', severity: 'warning', text: `No leader${was ? `: ${was} lost the lead` : ''}; an election is under way`, ...(prev.leaderId ? { nodeId: prev.leaderId } : {}) });
}

function nodeChanges(prev: LabView, next: LabView, out: TimelineDraft[]): void {
  const before = new Map(prev.nodes.map((n) => [n.id, n]));
  const after = new Set(next.nodes.map((n) => n.id));
  for (const n of next.nodes) {
    const o = before.get(n.id);
    if (!o) {
      out.push({ kind: 'node', severity: 'info', text: `${n.hostname} joined the swarm as a ${n.role}`, nodeId: n.id });
      continue;
    }
    if (o.state !== n.state) out.push(stateEntry(n));
    if (o.role !== n.role) out.push({ kind: 'node', severity: 'info', text: `${n.hostname} ${n.role === 'manager' ? 'promoted to manager' : 'demoted to worker'}`, nodeId: n.id });
    if (o.availability !== n.availability) {
      const what = n.availability === 'drain' ? 'drained: its tasks move to other nodes' : n.availability === 'pause' ? 'paused: it takes no new tasks' : 'active again';
      out.push({ kind: 'node', severity: 'info', text: `${n.hostname} ${what}`, nodeId: n.id });
    }
    if (o.reachability !== undefined && n.reachability !== undefined && o.reachability !== n.reachability) {
      if (n.reachability === 'unreachable') out.push({ kind: 'node', severity: 'warning', text: `manager ${n.hostname} is unreachable`, nodeId: n.id });
      else if (n.reachability === 'reachable') out.push({ kind: 'node', severity: 'info', text: `manager ${n.hostname} is reachable again`, nodeId: n.id });
    }
  }
  for (const o of prev.nodes) if (!after.has(o.id)) out.push({ kind: 'node', severity: 'info', text: `${o.hostname} left the swarm`, nodeId: o.id });
}

function stateEntry(n: NodeView): TimelineDraft {
  const why = n.message ? ` (${n.message})` : '';
  switch (n.state) {
    case 'ready':
      return { kind: 'node', severity: 'info', text: `${n.hostname} is ready`, nodeId: n.id };
    case 'down':
      return { kind: 'node', severity: 'error', text: `${n.hostname} is down${why}`, nodeId: n.id };
    default:
      return { kind: 'node', severity: 'warning', text: `${n.hostname} is ${n.state}${why}`, nodeId: n.id };
  }
}

function serviceChanges(prev: LabView, next: LabView, out: TimelineDraft[]): void {
  const before = new Map(prev.services.map((s) => [s.id, s]));
  const after = new Set(next.services.map((s) => s.id));
  for (const s of next.services) {
    const o = before.get(s.id);
    if (!o) {
      const size = s.mode === 'global' ? 'global' : `${s.desired} replica${s.desired === 1 ? '' : 's'}`;
      out.push({ kind: 'service', severity: 'info', text: `service ${s.name} created (${s.image}, ${size})`, serviceId: s.id });
      continue;
    }
    if (s.mode === 'replicated' && o.mode === 'replicated' && o.desired !== s.desired) {
      out.push({ kind: 'service', severity: 'info', text: `${s.name} scaled from ${o.desired} to ${s.desired}`, serviceId: s.id });
    }
    if (s.update && s.update.state !== o.update?.state) out.push(updateEntry(s));
  }
  for (const o of prev.services) if (!after.has(o.id)) out.push({ kind: 'service', severity: 'info', text: `service ${o.name} removed`, serviceId: o.id });
}

function updateEntry(s: ServiceView): TimelineDraft {
  const u = s.update!;
  const why = u.message ? `: ${u.message}` : '';
  const e = (severity: TimelineDraft['severity'], text: string): TimelineDraft => ({ kind: 'update', severity, text, serviceId: s.id });
  switch (u.state) {
    case 'updating':
      // The new spec and the update's start are often two reads apart: the image is the new one's.
      return e('info', `rolling update of ${s.name} to ${s.image} started`);
    case 'paused':
      return e('warning', `update of ${s.name} paused${why}`);
    case 'completed':
      return e('info', `update of ${s.name} completed`);
    case 'rollback_started':
      return e('warning', `${s.name} is rolling back${why}`);
    case 'rollback_paused':
      return e('error', `rollback of ${s.name} paused${why}`);
    case 'rollback_completed':
      return e('info', `${s.name} rolled back to ${s.image}`);
  }
}

/** More failures than this in one service between two reads are told as one entry. */
const MAX_FAILURES_TOLD = 3;

function taskFailures(prev: ClusterState, next: Observation, out: TimelineDraft[]): void {
  const before = new Map(prev.tasks.map((t) => [t.ID, t.Status.State]));
  const failed = next.cluster!.tasks.filter((t) => (t.Status.State === 'failed' || t.Status.State === 'rejected') && before.get(t.ID) !== t.Status.State);
  const byService = new Map<string, ApiTask[]>();
  for (const t of failed) byService.set(t.ServiceID, [...(byService.get(t.ServiceID) ?? []), t]);
  const hosts = new Map(next.view.nodes.map((n) => [n.id, n.hostname]));
  const names = new Map(next.view.services.map((s) => [s.id, s.name]));
  for (const [serviceId, tasks] of byService) {
    const service = names.get(serviceId) ?? tasks[0]!.ServiceName ?? serviceId;
    const why = (t: ApiTask) => t.Status.Err || t.Status.Message;
    if (tasks.length > MAX_FAILURES_TOLD) {
      out.push({ kind: 'task', severity: 'error', text: `${tasks.length} tasks of ${service} failed: ${why(tasks[0]!)}`, serviceId });
      continue;
    }
    for (const t of tasks) {
      const label = t.Slot !== undefined ? `${service}.${t.Slot}` : service;
      const where = t.NodeID ? ` on ${hosts.get(t.NodeID) ?? t.NodeID}` : '';
      out.push({ kind: 'task', severity: 'error', text: `${label} ${t.Status.State}${where}: ${why(t)}`, serviceId, ...(t.NodeID ? { nodeId: t.NodeID } : {}) });
    }
  }
}

/** The numbered, timed log of entries, with the last `capacity` kept for a new subscriber. */
export class Timeline {
  private readonly kept: TimelineEntry[] = [];
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 500,
  ) {}

  add(draft: TimelineDraft): TimelineEntry {
    const entry: TimelineEntry = { seq: ++this.seq, time: new Date(this.clock.now()).toISOString(), ...draft };
    this.kept.push(entry);
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
    return entry;
  }

  entries(): TimelineEntry[] {
    return [...this.kept];
  }
}
