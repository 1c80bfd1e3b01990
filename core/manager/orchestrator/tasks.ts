// Making tasks from services, and the questions the orchestrators ask about them.

import type { ClusterObject, ServiceObject, TaskObject, TaskSpec } from '../../api/objects.ts';
import { newId } from '../../api/ids.ts';
import { DEFAULT_TASK_HISTORY } from '../../api/defaults.ts';
import type { Clock } from '../../clock.ts';
import type { Random } from '../../random.ts';

export function isReplicated(s: ServiceObject): boolean {
  return 'Replicated' in s.Spec.Mode;
}

export function isGlobal(s: ServiceObject): boolean {
  return 'Global' in s.Spec.Mode;
}

export function replicas(s: ServiceObject): number {
  return 'Replicated' in s.Spec.Mode ? (s.Spec.Mode.Replicated.Replicas ?? 1) : 0;
}

/** A task's slot: its replica number for a replicated service, its node for a global one. */
export function slotKey(t: Pick<TaskObject, 'ServiceID' | 'Slot' | 'NodeID'>): string {
  return t.Slot !== undefined ? `${t.ServiceID}/${t.Slot}` : `${t.ServiceID}/node/${t.NodeID ?? ''}`;
}

export function historyLimit(cluster: ClusterObject | undefined): number {
  return cluster?.Spec.Orchestration?.TaskHistoryRetentionLimit ?? DEFAULT_TASK_HISTORY;
}

/** A new task for a slot (replicated) or a node (global), as SwarmKit's orchestrator makes them. */
export function newTask(
  service: ServiceObject,
  where: { slot: number } | { nodeId: string },
  clock: Clock,
  random: Random,
): Omit<TaskObject, 'Version' | 'CreatedAt' | 'UpdatedAt'> {
  const id = newId(random);
  const name = service.Spec.Name ?? service.ID;
  const task: Omit<TaskObject, 'Version' | 'CreatedAt' | 'UpdatedAt'> = {
    ID: id,
    ServiceID: service.ID,
    ServiceName: name,
    Spec: service.Spec.TaskTemplate,
    SpecVersion: service.SpecVersion ?? { Index: service.Version.Index },
    Status: { State: 'new', Timestamp: new Date(clock.now()).toISOString(), Message: 'created' },
    DesiredState: 'running',
  };
  if ('slot' in where) {
    task.Slot = where.slot;
    task.Name = `${name}.${where.slot}.${id}`;
  } else {
    task.NodeID = where.nodeId;
    task.Name = `${name}.${where.nodeId}.${id}`;
  }
  return task;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );
}

/** A task is dirty when it was made from another spec than the service's: an update replaces it. */
export function isTaskDirty(service: ServiceObject, task: TaskObject): boolean {
  return !specEqual(service.Spec.TaskTemplate, task.Spec);
}

export function specEqual(a: TaskSpec, b: TaskSpec): boolean {
  return canonical(a) === canonical(b);
}
