// The renderer's one LabApi: Electron's bridge when the preload put one on window, else the web
// mode's WebSocket back to the server that served this page. Nothing else in the renderer knows
// which.

import type { LabApi } from '../../main/lab/protocol.ts';
import type { LabClient } from './client.ts';
import { createIpcClient } from './ipc-client.ts';
import { createWsClient } from './ws-client.ts';

export type { ConnectionState, ConnectionStatus, LabClient } from './client.ts';
export { LabRequestError } from './client.ts';

/** The browser globals this module reads (kept narrow so it also type-checks without the DOM lib). */
interface PageGlobals {
  swarmlab?: LabApi;
  location: { protocol: string; host: string; hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
}

const TOKEN_KEY = 'swarmlab.token';

export function connectLabApi(page: PageGlobals = globalThis as unknown as PageGlobals): LabClient {
  if (page.swarmlab) return createIpcClient(page.swarmlab);
  const scheme = page.location.protocol === 'https:' ? 'wss' : 'ws';
  return createWsClient({ url: `${scheme}://${page.location.host}/api/ws`, token: takeToken(page) });
}

/**
 * The token from the address (#token=...), moved into this tab's session storage and out of the
 * address bar: a projected screen or a screenshot should not show it, and a reload still works.
 */
export function takeToken(page: PageGlobals): string | undefined {
  const fromHash = new URLSearchParams(page.location.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    page.sessionStorage.setItem(TOKEN_KEY, fromHash);
    page.history.replaceState(null, '', page.location.pathname + page.location.search);
    return fromHash;
  }
  return page.sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}
