// Docker's ServiceStatus, computed as SwarmKit's ListServiceStatuses does: running tasks against
// the replica count, or, for a global service, against the tasks meant to run.

import type { ServiceObject } from '../../api/objects.ts';
import type { ReadTx } from '../../store/store.ts';
import type { ServiceStatus } from './api.ts';

export function serviceStatus(tx: ReadTx, service: ServiceObject): ServiceStatus {
  const tasks = tx.find('tasks', (t) => t.ServiceID === service.ID);
  const global = 'Global' in service.Spec.Mode;
  const status: ServiceStatus = {
    RunningTasks: 0,
    DesiredTasks: 'Replicated' in service.Spec.Mode ? (service.Spec.Mode.Replicated.Replicas ?? 1) : 0,
    CompletedTasks: 0,
  };
  for (const t of tasks) {
    if (t.Status.State === 'running') status.RunningTasks++;
    if (global && t.DesiredState === 'running') status.DesiredTasks++;
  }
  return status;
}
