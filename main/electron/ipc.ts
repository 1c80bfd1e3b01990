// The main process's side of the window's IPC: requests go through the controller's dispatch, the
// event stream goes to the window that asked for it, and the consoles and log streams a window
// opened are closed when it goes away. Every message is refused unless it comes from
// the top frame of the app's own page (swarmlab://app/), whatever else may have been loaded.

import type { LabApi } from '../lab/protocol.ts';
import { PageResources } from '../web/page-resources.ts';
import type { Dispatch } from '../web/wire.ts';
import { isAppPage } from './app-protocol.ts';
import { CHANNELS } from './channels.ts';
import type { IpcMainEventLike, IpcMainLike, WebContentsLike } from './electron-api.ts';

export interface LabIpcOptions {
  api: LabApi;
  dispatch: Dispatch;
}

export function fromAppPage(event: IpcMainEventLike): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppPage(frame.url);
}

/** Registers the handlers; the returned function removes them and ends every subscription. */
export function registerLabIpc(ipc: IpcMainLike, o: LabIpcOptions): () => void {
  const subscriptions = new Map<number, () => void>();
  const watched = new Set<number>();
  const resources = new PageResources(o.api);
  const key = (id: number): string => `window ${id}`;

  const check = (event: IpcMainEventLike): void => {
    if (!fromAppPage(event)) throw new Error(`refused: IPC from ${event.senderFrame?.url ?? 'an unknown frame'}, which is not the swarmlab window`);
  };
  const stop = (id: number): void => {
    const unsubscribe = subscriptions.get(id);
    subscriptions.delete(id);
    unsubscribe?.();
  };

  const watch = (contents: WebContentsLike): void => {
    const id = contents.id;
    if (watched.has(id)) return;
    watched.add(id);
    contents.once('destroyed', () => {
      watched.delete(id);
      stop(id);
      void resources.release(key(id));
    });
  };

  ipc.handle(CHANNELS.request, (event, method, params) => {
    check(event);
    watch(event.sender);
    return resources.dispatchFor(key(event.sender.id), o.dispatch)(o.api, String(method), params);
  });
  ipc.handle(CHANNELS.subscribe, (event) => {
    check(event);
    const contents = event.sender;
    const id = contents.id;
    // Again (a reload, or a second listener): start over with a fresh snapshot.
    stop(id);
    subscriptions.set(
      id,
      o.api.subscribe((e) => {
        if (!contents.isDestroyed()) contents.send(CHANNELS.event, e);
      }),
    );
    watch(contents);
  });
  ipc.handle(CHANNELS.unsubscribe, (event) => {
    check(event);
    stop(event.sender.id);
  });

  return () => {
    for (const channel of [CHANNELS.request, CHANNELS.subscribe, CHANNELS.unsubscribe]) ipc.removeHandler(channel);
    for (const id of [...subscriptions.keys()]) stop(id);
  };
}
