// The Electron transport's client over a stand-in for the preload's bridge, and the choice between
// the two transports by what the page has.

import { describe, expect, it } from 'vitest';
import type { LabApi, LabEvent } from '../../../main/lab/protocol.ts';
import { connectLabApi, takeToken } from '../../../renderer/api/index.ts';
import { createIpcClient, labMessage } from '../../../renderer/api/ipc-client.ts';
import { fakeLab } from '../../main/web/fake-lab.ts';

function page(hash: string, stored?: string) {
  const storage = new Map<string, string>(stored ? [['swarmlab.token', stored]] : []);
  const replaced: string[] = [];
  return {
    replaced,
    storage,
    location: { protocol: 'http:', host: '127.0.0.1:1', hash, pathname: '/', search: '' },
    history: { replaceState: (_d: unknown, _u: string, url: string) => void replaced.push(url) },
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
  };
}

describe('ipc-client', () => {
  it("gives a failure the lab's own message, without Electron's wrapping", async () => {
    expect(labMessage(new Error("Error invoking remote method 'lab:request': Error: no such node m9"))).toBe('no such node m9');
    expect(labMessage(new Error("Error invoking remote method 'lab:request': LabError: quorum would be lost"))).toBe('quorum would be lost');
    expect(labMessage(new Error('plain'))).toBe('plain');
    const bridge = fakeLab({ heal: async () => { throw new Error("Error invoking remote method 'lab:request': Error: m2 is not partitioned"); } });
    const c = createIpcClient(bridge);
    await expect(c.heal({ machine: 'm2' })).rejects.toMatchObject({ name: 'LabRequestError', message: 'm2 is not partitioned', method: 'heal' });
  });

  it('passes requests and events through, and close() ends its subscriptions', async () => {
    const bridge = fakeLab({ addMachine: async () => ({ name: 'm6' }) });
    const c = createIpcClient(bridge);
    await expect(c.addMachine({ role: 'worker' })).resolves.toEqual({ name: 'm6' });
    const events: LabEvent[] = [];
    c.subscribe((e) => events.push(e));
    expect(events.map((e) => e.type)).toEqual(['snapshot']);
    const states: string[] = [];
    c.onStatus((s) => states.push(s.state));
    expect(states).toEqual(['open']);
    c.close();
    expect(bridge.subscribers()).toBe(0);
  });
});

describe('connectLabApi', () => {
  it("uses Electron's bridge when the preload put one on window", async () => {
    const bridge: LabApi = fakeLab({ templates: async () => [{ id: 'x', title: 'x', managers: 1, workers: 0 }] });
    const c = connectLabApi({ ...page(''), swarmlab: bridge });
    await expect(c.templates()).resolves.toEqual([{ id: 'x', title: 'x', managers: 1, workers: 0 }]);
  });

  it('takes the token out of the address into session storage, and finds it there after a reload', () => {
    const p = page('#token=abc_DEF-1');
    expect(takeToken(p)).toBe('abc_DEF-1');
    expect(p.replaced).toEqual(['/']);
    expect(p.storage.get('swarmlab.token')).toBe('abc_DEF-1');
    const reloaded = page('', 'abc_DEF-1');
    expect(takeToken(reloaded)).toBe('abc_DEF-1');
    expect(reloaded.replaced).toEqual([]);
    expect(takeToken(page(''))).toBeUndefined();
  });
});
