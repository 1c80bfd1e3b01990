// The Electron shell's IPC without Electron: the preload's bridge and the main process's handlers,
// joined by a stand-in for Electron's IPC, with the sender checks that keep anything but the app's
// own page from driving the lab.

import { describe, expect, it, vi } from 'vitest';
import { LAB_METHODS, type LabEvent } from '../../../main/lab/protocol.ts';
import { dispatch } from '../../../main/lab/requests.ts';
import { labBridge } from '../../../main/electron/bridge.ts';
import { CHANNELS } from '../../../main/electron/channels.ts';
import type { IpcMainEventLike, IpcMainLike, IpcRendererLike, WebContentsLike } from '../../../main/electron/electron-api.ts';
import { registerLabIpc } from '../../../main/electron/ipc.ts';
import { fakeLab } from '../web/fake-lab.ts';

type Handler = (event: IpcMainEventLike, ...args: unknown[]) => unknown;

function fakeContents(id: number) {
  const sent: { channel: string; args: unknown[] }[] = [];
  let onDestroyed: (() => void) | undefined;
  let destroyed = false;
  const contents: WebContentsLike = {
    id,
    send: (channel, ...args) => void sent.push({ channel, args }),
    isDestroyed: () => destroyed,
    once: (_event, listener) => (onDestroyed = listener),
    on: () => contents,
    setWindowOpenHandler: () => {},
  };
  return { contents, sent, destroy: () => ((destroyed = true), onDestroyed?.()) };
}

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipc: IpcMainLike = { handle: (c, h) => void handlers.set(c, h), removeHandler: (c) => void handlers.delete(c) };
  return { ipc, handlers };
}

const APP = 'swarmlab://app/index.html';

/** A window's preload talking to the main process's handlers, as Electron would carry it. */
function connected(url = APP, parent: unknown = null) {
  const main = fakeIpcMain();
  const lab = fakeLab({ addMachine: async () => ({ name: 'm6' }) });
  const unregister = registerLabIpc(main.ipc, { api: lab, dispatch });
  const window = fakeContents(1);
  const rendererListeners = new Map<string, (e: unknown, ...args: unknown[]) => void>();
  window.contents.send = (channel, ...args) => rendererListeners.get(channel)?.({}, ...args);
  const event: IpcMainEventLike = { senderFrame: { url, parent }, sender: window.contents };
  const ipcRenderer: IpcRendererLike = {
    invoke: async (channel, ...args) => main.handlers.get(channel)!(event, ...args),
    on: (channel, listener) => rendererListeners.set(channel, listener),
  };
  const errors: string[] = [];
  return { bridge: labBridge(ipcRenderer, (err) => errors.push((err as Error).message)), errors, lab, main, window, unregister };
}

describe('Electron IPC', () => {
  it('the bridge is one function per LabApi method and subscribe, nothing else', () => {
    const { bridge } = connected();
    expect(Object.keys(bridge).sort()).toEqual([...LAB_METHODS, 'subscribe'].sort());
    for (const v of Object.values(bridge)) expect(typeof v).toBe('function');
  });

  it('carries requests to the lab through the validating dispatch, and its answers back', async () => {
    const { bridge, lab } = connected(`${APP}?demo=0`);
    await expect(bridge.addMachine({ role: 'worker' })).resolves.toEqual({ name: 'm6' });
    await expect(bridge.addMachine({ role: 'boss' as 'worker' })).rejects.toThrow(/^addMachine: role: /);
    expect(lab.calls).toEqual([{ method: 'addMachine', params: { role: 'worker' } }]);
  });

  it('streams events to the window from a snapshot on; each subscribe starts over; unsubscribing ends it', async () => {
    const { bridge, lab } = connected();
    const events: LabEvent[] = [];
    const stop = bridge.subscribe((e) => events.push(e));
    await Promise.resolve();
    lab.emit({ type: 'progress', operation: 'create', step: 'm1 is up' });
    expect(events.map((e) => e.type)).toEqual(['snapshot', 'progress']);
    const second: LabEvent[] = [];
    const stop2 = bridge.subscribe((e) => second.push(e));
    await Promise.resolve();
    expect(lab.subscribers()).toBe(1);
    expect(second.map((e) => e.type)).toEqual(['snapshot']);
    stop();
    stop2();
    await Promise.resolve();
    expect(lab.subscribers()).toBe(0);
  });

  it('refuses every message from anything but the top frame of the app page', async () => {
    for (const [url, parent] of [
      ['file:///etc/passwd', null],
      ['https://evil.example/', null],
      ['swarmlab://app/other.html', null],
      ['swarmlab://evil/index.html', null],
      [APP, { url: APP }],
    ] as const) {
      const { bridge, lab, errors } = connected(url, parent);
      await expect(bridge.templates()).rejects.toThrow(/^refused: IPC from .* which is not the swarmlab window/);
      const events: LabEvent[] = [];
      bridge.subscribe((e) => events.push(e));
      await vi.waitFor(() => expect(errors).toEqual([expect.stringMatching(/^refused: /)]));
      expect(events).toEqual([]);
      expect(lab.calls).toEqual([]);
      expect(lab.subscribers()).toBe(0);
    }
  });

  it('a window that goes away has its consoles and log streams closed', async () => {
    const main = fakeIpcMain();
    const lab = fakeLab({ openConsole: async () => ({ consoleId: 'c1' }), openLogs: async () => ({ streamId: 'l1' }) });
    registerLabIpc(main.ipc, { api: lab, dispatch });
    const a = fakeContents(1);
    const event: IpcMainEventLike = { senderFrame: { url: APP, parent: null }, sender: a.contents };
    await main.handlers.get(CHANNELS.request)!(event, 'openConsole', { machine: 'm1', cols: 80, rows: 24 });
    await main.handlers.get(CHANNELS.request)!(event, 'openLogs', { serviceId: 'web' });
    a.destroy();
    await vi.waitFor(() =>
      expect(lab.calls.filter((c) => c.method.startsWith('close'))).toEqual([
        { method: 'closeConsole', params: { consoleId: 'c1' } },
        { method: 'closeLogs', params: { streamId: 'l1' } },
      ]),
    );
  });

  it('a window that goes away is unsubscribed; unregistering removes the handlers and every subscription', async () => {
    const main = fakeIpcMain();
    const lab = fakeLab();
    const unregister = registerLabIpc(main.ipc, { api: lab, dispatch });
    const a = fakeContents(1);
    const b = fakeContents(2);
    const event = (c: WebContentsLike): IpcMainEventLike => ({ senderFrame: { url: APP, parent: null }, sender: c });
    await main.handlers.get(CHANNELS.subscribe)!(event(a.contents));
    await main.handlers.get(CHANNELS.subscribe)!(event(b.contents));
    expect(lab.subscribers()).toBe(2);
    a.destroy();
    expect(lab.subscribers()).toBe(1);
    lab.emit({ type: 'progress', operation: 'x', step: 'y' });
    expect(a.sent.filter((s) => s.channel === CHANNELS.event)).toHaveLength(1);
    expect(b.sent.filter((s) => s.channel === CHANNELS.event)).toHaveLength(2);
    unregister();
    expect(lab.subscribers()).toBe(0);
    expect([...main.handlers.keys()]).toEqual([]);
  });
});
