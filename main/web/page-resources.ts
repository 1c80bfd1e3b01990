// Consoles and log streams belong to the page that opened them: when that page is gone for good
// (closed, reloaded, or not back within a grace period after its connection dropped) they are
// closed, so that reloading a window does not leave SSH sessions and log follows running behind it.

import type { LabApi } from '../lab/protocol.ts';
import type { Dispatch } from './wire.ts';

interface Owned {
  consoles: Set<string>;
  logs: Set<string>;
}

export class PageResources {
  private readonly owned = new Map<string, Owned>();

  constructor(private readonly api: LabApi) {}

  /** A dispatch that remembers what `page` opens and forgets what it closes. */
  dispatchFor(page: string, dispatch: Dispatch): Dispatch {
    return async (api, method, params) => {
      const result = await dispatch(api, method, params);
      const mine = this.of(page);
      const p = params as { consoleId?: string; streamId?: string } | undefined;
      if (method === 'openConsole') mine.consoles.add((result as { consoleId: string }).consoleId);
      else if (method === 'closeConsole' && p?.consoleId) mine.consoles.delete(p.consoleId);
      else if (method === 'openLogs') mine.logs.add((result as { streamId: string }).streamId);
      else if (method === 'closeLogs' && p?.streamId) mine.logs.delete(p.streamId);
      return result;
    };
  }

  /** Closes what `page` left open. */
  async release(page: string): Promise<void> {
    const mine = this.owned.get(page);
    this.owned.delete(page);
    if (!mine) return;
    // Already ended on the lab's side (the machine went away): nothing left to close.
    const ignore = (): void => {};
    await Promise.all([
      ...[...mine.consoles].map((consoleId) => this.api.closeConsole({ consoleId }).catch(ignore)),
      ...[...mine.logs].map((streamId) => this.api.closeLogs({ streamId }).catch(ignore)),
    ]);
  }

  private of(page: string): Owned {
    let mine = this.owned.get(page);
    if (!mine) this.owned.set(page, (mine = { consoles: new Set(), logs: new Set() }));
    return mine;
  }
}
