// What a command runs against: where it writes, the environment it reads, and the machines. The
// launcher passes the process's own; tests pass strings and a temporary store.

import type { Machines } from '../../vm/machines.ts';

export interface Output {
  write(text: string): unknown;
}

export interface CliContext {
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
  machines: Machines;
  platform: NodeJS.Platform;
}
