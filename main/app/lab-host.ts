// The lab controller as the app's shells hold it: opened once per run of `swarmlab app` (or of the
// Electron window). It takes over the lab that is up, if any (the window was closed and opened
// again); else it starts bringing up the one asked for, in the background, so that the window
// opens at once and shows the lab being made. Closing it stops the controller, never the lab.

import type { Machines } from '../../vm/machines.ts';
import { LabController } from '../lab/controller.ts';
import type { LabApi, LabView } from '../lab/protocol.ts';

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
  const controller = new LabController({ machines: o.machines });
  await controller.start();
  const view = await currentView(controller);
  let creating: Promise<void> | undefined;
  if (view.phase === 'none') {
    o.log(`swarmlab: no lab is up: bringing up "${o.template}" (the app shows its progress)`);
    creating = controller.createLab({ template: o.template }).then(
      () => o.log('swarmlab: the lab is up'),
      (err: unknown) => o.log(`swarmlab: the lab could not be brought up: ${(err as Error).message}`),
    ).finally(() => (creating = undefined));
  } else {
    o.log(`swarmlab: reconnected to ${view.name ? `lab ${view.name}` : 'the lab'} (${view.machines.length} machine${view.machines.length === 1 ? '' : 's'})`);
  }
  return {
    api: controller,
    async close() {
      if (creating) o.log('swarmlab: the lab is still being brought up; that finishes first (Ctrl-C again to quit now, then swarmlab down to remove what was made)');
      await controller.close();
    },
  };
}

/** The view as of now: every subscription starts with a snapshot. */
function currentView(api: LabApi): Promise<LabView> {
  return new Promise((resolve) => {
    let done = false;
    const stop = api.subscribe((e) => {
      if (done || e.type !== 'snapshot') return;
      done = true;
      resolve(e.view);
      queueMicrotask(() => stop());
    });
  });
}
