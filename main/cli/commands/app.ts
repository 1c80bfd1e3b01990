// swarmlab app: the desktop app (or, with --web or without Electron, the same UI in a browser) on
// the default lab. The work is main/app/run-app.ts's; this reads the flags and turns Ctrl-C into a
// clean stop.

import { runApp } from '../../app/run-app.ts';
import { DEFAULT_TEMPLATE } from '../../lab/templates.ts';
import type { Command } from '../command.ts';
import { expectArgs, UsageError } from '../usage.ts';

export const app: Command = {
  name: 'app',
  summary: 'Open the swarmlab app on the lab (the default lab if there is none)',
  args: '[OPTIONS]',
  description: [
    'Opens the app window when Electron is available, else serves the app on 127.0.0.1 and prints its',
    'address (with its access token) to open in a browser. Ctrl-C or closing the window stops the app;',
    'the lab keeps running, and the next start reconnects to it. swarmlab down removes it.',
  ].join('\n'),
  options: { web: { type: 'boolean' }, port: { type: 'string' }, template: { type: 'string' } },
  optionHelp: [
    '      --web                serve the app to a browser, even where the window could open',
    '      --port int           the web mode\'s port on 127.0.0.1 (default: any free port)',
    `      --template string    the lab to bring up when there is none: a template or a lab file (default "${DEFAULT_TEMPLATE}")`,
  ],
  async run(ctx, p) {
    expectArgs('app', p.positionals, 0, 0);
    const port = p.values.port === undefined ? undefined : Number(p.values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw new UsageError(`invalid --port "${String(p.values.port)}": expected a port number from 1 to 65535`, 'app');
    }
    let stop = (): void => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const onSignal = (): void => stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await runApp({
        web: p.values.web === true,
        ...(port !== undefined ? { port } : {}),
        template: typeof p.values.template === 'string' ? p.values.template : DEFAULT_TEMPLATE,
        machines: ctx.machines,
        out: ctx.out,
        err: ctx.err,
        env: ctx.env,
        platform: ctx.platform,
        stopped,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
