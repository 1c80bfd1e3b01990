// What the preload exposes as window.swarmlab: one function per LabApi method and subscribe, over
// IPC, and nothing else (no ipcRenderer, no channel names, no Electron objects reach the page).
// Each subscribe restarts the stream, so a new listener too begins with a snapshot (as the web mode's).

import { LAB_METHODS, type LabApi, type LabEvent } from '../lab/protocol.ts';
import { CHANNELS } from './channels.ts';
import type { IpcRendererLike } from './electron-api.ts';

/** `onError`: a subscribe or unsubscribe the main process refused (it has no caller to fail). */
export function labBridge(ipc: IpcRendererLike, onError: (err: unknown) => void = (err) => console.error('swarmlab:', err)): LabApi {
  const listeners = new Set<(e: LabEvent) => void>();
  ipc.on(CHANNELS.event, (_event, e) => {
    for (const listener of [...listeners]) {
      try {
        listener(e as LabEvent);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  });
  const api: Record<string, unknown> = {};
  for (const method of LAB_METHODS) api[method] = (params?: unknown) => ipc.invoke(CHANNELS.request, method, params);
  api.subscribe = (listener: (e: LabEvent) => void) => {
    listeners.add(listener);
    ipc.invoke(CHANNELS.subscribe).catch(onError);
    return () => {
      if (listeners.delete(listener) && listeners.size === 0) ipc.invoke(CHANNELS.unsubscribe).catch(onError);
    };
  };
  return api as unknown as LabApi;
}
