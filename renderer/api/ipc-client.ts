// The Electron transport: `window.swarmlab`, which main/electron/preload.ts exposes, is already a
// LabApi (one method per operation, and subscribe). This only gives its failures the messages the
// lab wrote: Electron wraps them as "Error invoking remote method 'lab:NAME': Error: ...".

import type { LabApi } from '../../main/lab/protocol.ts';
import { LabRequestError, type LabClient } from './client.ts';
import { METHODS } from './methods.ts';

const ELECTRON_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/;

export function labMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(ELECTRON_PREFIX, '');
}

export function createIpcClient(bridge: LabApi): LabClient {
  const api: Record<string, unknown> = {};
  for (const m of METHODS) {
    const call = bridge[m] as (params?: unknown) => Promise<unknown>;
    api[m] = async (params?: unknown) => {
      try {
        return await call(params);
      } catch (err) {
        throw new LabRequestError(labMessage(err), m);
      }
    };
  }
  const unsubscribers = new Set<() => void>();
  const client = api as unknown as LabClient;
  client.subscribe = (listener) => {
    const stop = bridge.subscribe(listener);
    unsubscribers.add(stop);
    return () => {
      if (unsubscribers.delete(stop)) stop();
    };
  };
  // IPC to our own main process does not drop.
  client.onStatus = (fn) => {
    fn({ state: 'open' });
    return () => {};
  };
  client.close = () => {
    for (const stop of [...unsubscribers]) stop();
    unsubscribers.clear();
  };
  return client;
}
