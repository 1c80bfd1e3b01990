// The store made reactive for Svelte: components read the plain maps of LabStore and depend on the
// revision of the tables they show, so a burst of task events does not re-render the services
// panel, and 5,000 tasks never become 5,000 reactive proxies.

import { LabStore, type Table } from './lab-store.ts';
import { TrafficLog } from './traffic.ts';

export class LiveLab {
  readonly store = new LabStore();
  readonly rev: Record<Table, number> = $state({ lab: 0, machines: 0, nodes: 0, services: 0, tasks: 0, timeline: 0, progress: 0, networks: 0 });

  /** "Send traffic" runs and their answers; trafficRev follows its changes. */
  readonly traffic = new TrafficLog();
  trafficRev = $state(0);

  constructor() {
    this.store.subscribe((changed) => {
      for (const t of changed) this.rev[t] = this.store.revisions[t];
    });
    this.traffic.subscribe(() => (this.trafficRev = this.traffic.revision));
  }
}
