// `swarmlab app` and `npm start`: the lab controller with the default lab (brought up, or reconnected
// to), shown in the Electron window when this machine can run one, else (or with --web) served to a
// browser. Stopping (Ctrl-C, or closing the window) ends the controller and the server, never the
// lab: the next start reconnects, `swarmlab down` removes it.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Output } from '../cli/io.ts';
import type { Machines } from '../../vm/machines.ts';
import { findElectron, hasDisplay } from '../electron/find-electron.ts';
import { rendererDir } from '../web/renderer-dir.ts';
import { startWebServer } from '../web/server.ts';
import { openLabHost, type LabHostOptions, type LabHost } from './lab-host.ts';
import { openInBrowser } from './open-browser.ts';

export interface AppOptions {
  /** Serve to a browser even where Electron could run. */
  web: boolean;
  port?: number;
  template: string;
  machines: Machines;
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** Settles when the user stops the app (Ctrl-C). */
  stopped: Promise<unknown>;
  /** For tests: the controller, the browser opener, the renderer bundle. */
  openHost?: (o: LabHostOptions) => Promise<LabHost>;
  openBrowser?: (url: string) => boolean;
  staticDir?: string;
}

const LAB_KEEPS_RUNNING = 'The lab keeps running: `swarmlab app` (or `npm start`) reconnects to it, `swarmlab down` removes it.\n';

export async function runApp(o: AppOptions): Promise<number> {
  const electron = o.web ? undefined : findElectron(o.env, o.platform);
  if (electron && hasDisplay(o.env, o.platform)) return runElectron(o, electron);
  if (!o.web) {
    o.out.write(
      electron
        ? 'swarmlab: no display for a window here: serving the app to a browser instead.\n'
        : 'swarmlab: no Electron here (install the electron package, or set SWARMLAB_ELECTRON to its binary): serving the app to a browser instead.\n',
    );
  }
  return runWeb(o);
}

async function runWeb(o: AppOptions): Promise<number> {
  const log = (line: string): void => void o.out.write(`${line}\n`);
  const host = await (o.openHost ?? openLabHost)({ machines: o.machines, template: o.template, log });
  try {
    const server = await startWebServer({
      api: host.api,
      staticDir: o.staticDir ?? rendererDir(),
      ...(o.port !== undefined ? { port: o.port } : {}),
      log: (line) => void o.err.write(`${line}\n`),
    });
    try {
      o.out.write(`\nswarmlab is running in web mode. Open:\n\n    ${server.url}\n\n(the address holds its access token: do not share it; Ctrl-C stops the server)\n`);
      (o.openBrowser ?? ((url) => openInBrowser(url, o.env, o.platform)))(server.url);
      await o.stopped;
    } finally {
      await server.close();
    }
  } finally {
    await host.close();
  }
  o.out.write(`\nStopped. ${LAB_KEEPS_RUNNING}`);
  return 0;
}

async function runElectron(o: AppOptions, binary: string): Promise<number> {
  // Bundled fresh from the sources (esbuild is a development dependency: loaded only here).
  const { bundleElectron, ELECTRON_MAIN } = await import('../electron/bundle.ts');
  await bundleElectron();
  // Chromium will not start as root with its sandbox on; the window's own sandbox settings still apply.
  const asRoot = o.platform === 'linux' && process.getuid?.() === 0;
  const args = [...(asRoot ? ['--no-sandbox'] : []), ELECTRON_MAIN, '--template', o.template];
  o.out.write(`swarmlab: opening the app window (${binary})\n`);
  const child = spawn(binary, args, { stdio: 'inherit', env: o.env });
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      o.err.write(`swarmlab: cannot start Electron (${binary}): ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
  // Ctrl-C reaches the window's process group too; this covers a stop that came some other way.
  void o.stopped.then(() => child.exitCode === null && child.kill('SIGTERM'));
  const code = await exited;
  o.out.write(LAB_KEEPS_RUNNING);
  return code;
}
