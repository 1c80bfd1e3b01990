// `swarmlab app` with a stand-in controller: web mode serves and stops cleanly (the controller is
// closed, the lab is left running), Electron is chosen only with a binary and a display, and the
// flags are checked.

import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runApp, type AppOptions } from '../../../main/app/run-app.ts';
import { ELECTRON_MAIN } from '../../../main/electron/bundle.ts';
import { Machines } from '../../../vm/machines.ts';
import { MachineStore } from '../../../vm/store.ts';
import { cliRunner } from '../cli/run.ts';
import { fakeLab } from '../web/fake-lab.ts';

let dir: string;
let machines: Machines;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-app-'));
  machines = new Machines(new MachineStore({ home: join(dir, 'home') }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    })
      .on('error', reject)
      .end();
  });
}

function harness(over: Partial<AppOptions> = {}) {
  let out = '';
  let stop = (): void => {};
  const hosts: { template: string; closed: boolean }[] = [];
  const opened: string[] = [];
  const options: AppOptions = {
    web: false,
    template: 'default',
    machines,
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (out += s) },
    env: {},
    platform: 'linux',
    stopped: new Promise<void>((r) => (stop = r)),
    staticDir: join(dir, 'no-renderer'),
    openHost: async (o) => {
      const h = { template: o.template, closed: false };
      hosts.push(h);
      return { api: fakeLab(), close: async () => void (h.closed = true) };
    },
    openBrowser: (url) => (opened.push(url), true),
    ...over,
  };
  return { options, out: () => out, stop: () => stop(), hosts, opened };
}

describe('swarmlab app', () => {
  it('--web serves the app, prints and opens its address, and on stop closes the server and the controller but not the lab', async () => {
    const h = harness({ web: true, template: 'ha' });
    const running = runApp(h.options);
    await vi.waitFor(() => expect(h.opened).toHaveLength(1), { timeout: 10_000 });
    const url = h.opened[0]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    expect(h.out()).toContain(`    ${url}\n`);
    expect(h.out()).not.toContain('no Electron');
    expect(h.hosts).toEqual([{ template: 'ha', closed: false }]);
    expect(await get(url)).toBe(200);
    h.stop();
    await expect(running).resolves.toBe(0);
    expect(h.hosts).toEqual([{ template: 'ha', closed: true }]);
    await expect(get(url)).rejects.toThrow(/ECONNREFUSED/);
    expect(h.out()).toContain('Stopped. The lab keeps running: `swarmlab app` (or `npm start`) reconnects to it, `swarmlab down` removes it.');
  });

  it('without Electron, says so and serves the app to a browser', async () => {
    const h = harness({ env: { PATH: '' } });
    const running = runApp(h.options);
    await vi.waitFor(() => expect(h.opened).toHaveLength(1), { timeout: 10_000 });
    expect(h.out()).toMatch(/^swarmlab: no Electron here \(install the electron package, or set SWARMLAB_ELECTRON to its binary\): serving the app to a browser instead\./);
    h.stop();
    await expect(running).resolves.toBe(0);
  });

  describe('with an Electron binary', () => {
    let fake: string;
    let argsFile: string;
    beforeAll(async () => {
      fake = join(dir, 'electron');
      argsFile = join(dir, 'electron-args');
      await writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexit 3\n`);
      await chmod(fake, 0o755);
    });

    it('opens the window (the bundled Electron main, with the template) and returns its exit code', async () => {
      const h = harness({ env: { SWARMLAB_ELECTRON: fake, DISPLAY: ':0' }, template: 'single' });
      await expect(runApp(h.options)).resolves.toBe(3);
      const args = (await readFile(argsFile, 'utf8')).trim().split('\n');
      expect(args.filter((a) => a !== '--no-sandbox')).toEqual([ELECTRON_MAIN, '--template', 'single']);
      // The controller runs inside the window's process, not here.
      expect(h.hosts).toEqual([]);
      expect(h.out()).toContain('The lab keeps running');
    });

    it('serves to a browser instead when there is no display, or with --web', async () => {
      for (const [over, reason] of [
        [{ env: { SWARMLAB_ELECTRON: fake } }, 'swarmlab: no display for a window here: serving the app to a browser instead.'],
        [{ env: { SWARMLAB_ELECTRON: fake, DISPLAY: ':0' }, web: true }, undefined],
      ] as const) {
        const h = harness(over);
        const running = runApp(h.options);
        await vi.waitFor(() => expect(h.opened).toHaveLength(1), { timeout: 10_000 });
        if (reason) expect(h.out()).toContain(reason);
        else expect(h.out()).not.toContain('instead');
        h.stop();
        await expect(running).resolves.toBe(0);
        expect(h.hosts.map((x) => x.closed)).toEqual([true]);
      }
    });
  });

  it('checks its flags', async () => {
    const run = cliRunner(machines);
    for (const port of ['0', '65536', 'abc', '80.5']) {
      const r = await run('app', '--web', '--port', port);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`swarmlab: invalid --port "${port}": expected a port number from 1 to 65535`);
    }
    const extra = await run('app', 'something');
    expect(extra.code).toBe(2);
    const help = await run('app', '--help');
    expect(help.out).toContain('Usage:  swarmlab app [OPTIONS]');
    expect(help.out).toContain('--web');
    expect((await run('--help')).out).toMatch(/^ {2}app +Open the swarmlab app/m);
  });
});
