// The swarmctl program: the command line, the environment and the process's streams. Ctrl-C ends
// a following `service logs` quietly.

import { runCli } from './cli.ts';

const abort = new AbortController();
process.once('SIGINT', () => {
  abort.abort();
  // Only log streams listen to the abort; any other request still waiting must not hold Ctrl-C up.
  setTimeout(() => process.exit(130), 500).unref();
});

// exitCode rather than exit(): the process ends once stdout and stderr have been written out.
const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  signal: abort.signal,
});
process.exitCode = code;
