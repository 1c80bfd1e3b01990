// The swarmd command.

import { runSwarmd } from './run.ts';

runSwarmd(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`swarmd: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
