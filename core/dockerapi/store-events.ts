// Docker's cluster events made from the store's changes, with the attributes moby's daemon gives
// them (daemon/events.go: the name, and for updates what changed: availability, role, state,
// image, replicas, update state). Tasks give the `task` events of events.ts.

import type { NodeObject, ServiceObject, TaskObject } from '../api/objects.ts';
import type { Clock } from '../clock.ts';
import type { Change } from '../store/state.ts';
import type { Store } from '../store/store.ts';
import { eventAt, type EngineEvent, type EventAction, type EventLog } from './events.ts';

const ACTION: Record<Change['type'], EventAction> = { create: 'create', update: 'update', delete: 'remove' };

function when(change: Change, clock: Clock): number {
  const stamp = change.type === 'create' ? change.object.CreatedAt : change.type === 'update' ? change.object.UpdatedAt : '';
  const ms = stamp ? Date.parse(stamp) : NaN;
  return Number.isFinite(ms) ? ms : clock.now();
}

function changed(attrs: Record<string, string>, key: string, old: string | undefined, cur: string | undefined): void {
  if (old === cur) return;
  attrs[`${key}.old`] = old ?? '';
  attrs[`${key}.new`] = cur ?? '';
}

function nodeAttributes(n: NodeObject, old: NodeObject | undefined): Record<string, string> {
  const attrs: Record<string, string> = { name: n.Spec.Name || n.Description?.Hostname || '' };
  if (old) {
    changed(attrs, 'availability', old.Spec.Availability, n.Spec.Availability);
    changed(attrs, 'role', old.Role ?? old.Spec.Role, n.Role ?? n.Spec.Role);
    changed(attrs, 'state', old.Status.State, n.Status.State);
  }
  return attrs;
}

const replicasOf = (s: ServiceObject) => ('Replicated' in s.Spec.Mode ? String(s.Spec.Mode.Replicated.Replicas ?? 1) : undefined);

function serviceAttributes(s: ServiceObject, old: ServiceObject | undefined): Record<string, string> {
  const attrs: Record<string, string> = { name: s.Spec.Name ?? '' };
  if (old) {
    changed(attrs, 'image', old.Spec.TaskTemplate.ContainerSpec.Image, s.Spec.TaskTemplate.ContainerSpec.Image);
    const replicas = replicasOf(s);
    const oldReplicas = replicasOf(old);
    if (replicas !== undefined && oldReplicas !== undefined) changed(attrs, 'replicas', oldReplicas, replicas);
    if (s.UpdateStatus) {
      if (!old.UpdateStatus) attrs['updatestate.new'] = s.UpdateStatus.State;
      else changed(attrs, 'updatestate', old.UpdateStatus.State, s.UpdateStatus.State);
    }
  }
  return attrs;
}

function taskAttributes(t: TaskObject, old: TaskObject | undefined): Record<string, string> {
  const attrs: Record<string, string> = {
    name: t.Name ?? '',
    'service.id': t.ServiceID,
    'service.name': t.ServiceName ?? '',
    'node.id': t.NodeID ?? '',
    'state.new': t.Status.State,
    'desiredstate.new': t.DesiredState,
    message: t.Status.Message,
  };
  if (t.Slot !== undefined) attrs.slot = String(t.Slot);
  if (t.Status.Err) attrs.error = t.Status.Err;
  if (old) {
    attrs['state.old'] = old.Status.State;
    attrs['desiredstate.old'] = old.DesiredState;
  }
  return attrs;
}

/** Whether a task update is worth an event: its state, desired state or node changed. */
const taskMoved = (t: TaskObject, old: TaskObject) =>
  t.Status.State !== old.Status.State || t.DesiredState !== old.DesiredState || t.NodeID !== old.NodeID;

export function changeEvents(change: Change, clock: Clock): EngineEvent[] {
  const action = ACTION[change.type];
  const at = when(change, clock);
  switch (change.table) {
    case 'nodes':
      return [eventAt('node', action, change.object.ID, nodeAttributes(change.object, change.type === 'update' ? change.old : undefined), at)];
    case 'services':
      return [eventAt('service', action, change.object.ID, serviceAttributes(change.object, change.type === 'update' ? change.old : undefined), at)];
    case 'networks':
    case 'secrets':
    case 'configs': {
      const type = change.table === 'networks' ? 'network' : change.table === 'secrets' ? 'secret' : 'config';
      return [eventAt(type, action, change.object.ID, { name: change.object.Spec.Name ?? '' }, at)];
    }
    case 'tasks':
      if (change.type === 'update' && !taskMoved(change.object, change.old)) return [];
      return [eventAt('task', action, change.object.ID, taskAttributes(change.object, change.type === 'update' ? change.old : undefined), at)];
    case 'clusters':
      return [];
  }
}

/** Publishes the events of every change the store applies; returns the function that stops it. */
export function publishStoreEvents(store: Store, log: EventLog, clock: Clock): () => void {
  return store.watch((e) => {
    for (const change of e.changes) for (const ev of changeEvents(change, clock)) log.publish(ev);
  });
}
