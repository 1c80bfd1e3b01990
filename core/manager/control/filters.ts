// The list filters of the control API, as SwarmKit applies them: prefixes for IDs and names,
// label presence or equality, and exact values for the enumerations.

import type { Labels, NodeObject, ServiceObject, TaskObject } from '../../api/objects.ts';
import type { LabelFilter, NodeFilters, ServiceFilters, TaskFilters } from './api.ts';

function anyPrefix(prefixes: string[] | undefined, value: string): boolean {
  return !prefixes || prefixes.length === 0 || prefixes.some((p) => value.startsWith(p));
}

function anyOf<T>(values: T[] | undefined, value: T): boolean {
  return !values || values.length === 0 || values.includes(value);
}

export function matchLabels(labels: Labels | undefined, filter: LabelFilter | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => labels !== undefined && Object.hasOwn(labels, k) && (v === '' || labels[k] === v));
}

/** A node's name as Docker shows and resolves it: its spec name, else its hostname. */
export function nodeName(n: NodeObject): string {
  return n.Spec.Name || n.Description?.Hostname || '';
}

export function matchNode(n: NodeObject, f: NodeFilters): boolean {
  return (
    anyPrefix(f.ids, n.ID) &&
    anyPrefix(f.names, nodeName(n)) &&
    matchLabels(n.Description?.Engine.Labels, f.labels) &&
    matchLabels(n.Spec.Labels, f.nodeLabels) &&
    anyOf(f.roles, n.Spec.Role) &&
    anyOf(f.memberships, 'accepted')
  );
}

export function matchService(s: ServiceObject, f: ServiceFilters): boolean {
  return (
    anyPrefix(f.ids, s.ID) &&
    anyPrefix(f.names, s.Spec.Name ?? '') &&
    matchLabels(s.Spec.Labels, f.labels) &&
    anyOf(f.modes, 'Global' in s.Spec.Mode ? 'global' : 'replicated')
  );
}

/** Task filters once the service and node references are resolved to IDs. */
export interface ResolvedTaskFilters extends Omit<TaskFilters, 'services' | 'nodes' | 'upToDate'> {
  serviceIds?: Set<string>;
  nodeIds?: Set<string>;
  /** Whether a task was made from its service's current spec; given when only those are wanted. */
  upToDate?: (t: TaskObject) => boolean;
  /**
   * The labels of a task's service: as in SwarmKit, a task's label filter matches its service's
   * labels (so `docker stack ps` finds a stack's tasks by com.docker.stack.namespace).
   */
  serviceLabels?: (serviceId: string) => Record<string, string> | undefined;
}

export function matchTask(t: TaskObject, f: ResolvedTaskFilters): boolean {
  return (
    anyPrefix(f.ids, t.ID) &&
    anyPrefix(f.names, t.Name ?? '') &&
    (matchLabels(t.Labels, f.labels) || (f.serviceLabels !== undefined && matchLabels(f.serviceLabels(t.ServiceID), f.labels))) &&
    (!f.serviceIds || f.serviceIds.has(t.ServiceID)) &&
    (!f.nodeIds || (t.NodeID !== undefined && f.nodeIds.has(t.NodeID))) &&
    anyOf(f.desiredStates, t.DesiredState) &&
    (!f.upToDate || f.upToDate(t))
  );
}
