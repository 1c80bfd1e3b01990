// The lab controller as the app's shells hold it: opened once per run of `swarmlab app` (or of the
// Electron window), with the default lab brought up or the existing one reconnected to, and closed
// when the shell stops, leaving the lab's machines running for the next start.
//
// Until main/lab/controller.ts lands, this opens a stand-in that lists the templates, shows an empty
// lab and refuses everything else with a message saying why; only openLabHost changes then.

import type { Machines } from '../../vm/machines.ts';
import { LabError } from '../lab/errors.ts';
import { LAB_METHODS, type LabApi, type LabEvent, type LabTemplate } from '../lab/protocol.ts';
import { templateNames } from '../lab/templates.ts';

export interface LabHost {
  api: LabApi;
  /** Stops watching the lab (its machines keep running). */
  close(): Promise<void>;
}

export interface LabHostOptions {
  machines: Machines;
  /** The lab to bring up when there is none (a template's name or a lab file). */
  template: string;
  /** Progress lines for the terminal that started the app. */
  log(line: string): void;
}

export async function openLabHost(o: LabHostOptions): Promise<LabHost> {
  o.log('swarmlab: the lab controller is not built yet: the app shows an empty lab and cannot create one.');
  return { api: standInApi(), close: async () => {} };
}

function standInApi(): LabApi {
  const api: Record<string, unknown> = {};
  for (const m of LAB_METHODS) api[m] = async () => {
    throw new LabError(`${m}: the lab controller is not built yet`);
  };
  api.templates = async (): Promise<LabTemplate[]> => (await templateNames()).map((id) => ({ id, title: id, managers: 0, workers: 0 }));
  api.subscribe = (listener: (e: LabEvent) => void) => {
    listener({
      type: 'snapshot',
      view: { phase: 'none', stale: false, quorum: { managers: 0, reachable: 0, quorum: 0, canLose: 0 }, machines: [], nodes: [], services: [], tasks: [] },
      timeline: [],
    });
    return () => {};
  };
  return api as unknown as LabApi;
}
