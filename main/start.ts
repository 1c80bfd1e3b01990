// `npm start`: `swarmlab app` with whatever follows (npm start -- --web).

import { defaultContext, runCli } from './cli/cli.ts';

process.exitCode = await runCli(['app', ...process.argv.slice(2)], defaultContext());
