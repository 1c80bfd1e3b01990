// The Electron shell's main process (bundled to dist/electron/main.mjs, started by `swarmlab app`):
// opens the lab controller, serves the renderer bundle on swarmlab://app/, wires IPC and opens the
// window. Closing the window stops the controller and leaves the lab running for the next start.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Machines } from '../../vm/machines.ts';
import { defaultHome, MachineStore } from '../../vm/store.ts';
import { openLabHost } from '../app/lab-host.ts';
import { isNodeLink } from '../lab/node-links.ts';
import type { LabView } from '../lab/protocol.ts';
import { DEFAULT_TEMPLATE } from '../lab/templates.ts';
import { applyDelta } from '../lab/view-diff.ts';
import { dispatch } from '../lab/requests.ts';
import { APP_SCHEME, appResponse } from './app-protocol.ts';
import type { ElectronMain } from './electron-api.ts';
import { registerLabIpc } from './ipc.ts';
import { lockDown, openWindow, restrictPermissions } from './window.ts';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer');

// Built into Electron; a variable name keeps bundlers and the type checker from looking for a package.
const electronModule = 'electron';
const loaded = (await import(electronModule)) as ElectronMain & { default?: ElectronMain };
const electron = loaded.default ?? loaded;
const { app, protocol, ipcMain } = electron;

// Electron passes its own switches through too: only ours are read.
const { values } = parseArgs({ args: process.argv.slice(2), options: { template: { type: 'string' } }, strict: false, allowPositionals: true });
const template = typeof values.template === 'string' ? values.template : DEFAULT_TEMPLATE;

app.setName('swarmlab');
app.enableSandbox();
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
// Published ports open in the browser: http links to the lab's node addresses, as the view knows them now.
let view: LabView | undefined;
const external = {
  allowed: (url: string) => view !== undefined && isNodeLink(url, view),
  open: (url: string) => void electron.shell.openExternal(url).catch(() => {}),
};
app.on('web-contents-created', (_e, contents) => lockDown(contents, external));

try {
  await app.whenReady();
  restrictPermissions(electron);
  protocol.handle(APP_SCHEME, async (request) => {
    const r = await appResponse(rendererDir, request.url, request.method);
    return new Response(typeof r.body === 'string' ? r.body : new Uint8Array(r.body), { status: r.status, headers: r.headers });
  });
  const host = await openLabHost({
    machines: new Machines(new MachineStore({ home: defaultHome(process.env) })),
    template,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const unwatch = host.api.subscribe((e) => {
    if (e.type === 'snapshot') view = e.view;
    else if (e.type === 'delta' && view) view = applyDelta(view, e.delta);
  });
  const unregister = registerLabIpc(ipcMain, { api: host.api, dispatch });
  app.on('window-all-closed', () => {
    unregister();
    unwatch();
    void host.close().finally(() => app.quit());
  });
  await openWindow(electron, join(here, 'preload.cjs'));
} catch (err) {
  process.stderr.write(`swarmlab: ${(err as Error).message}\n`);
  app.exit(1);
}
