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
  /** The user's terminal, for interactive commands (ssh); absent in tests and pipelines run in-process. */
  stdin?: Pick<NodeJS.ReadStream, 'isTTY' | 'on' | 'off' | 'once' | 'resume' | 'pause'> & { setRawMode?(raw: boolean): unknown };
  terminalSize?(): { rows: number; cols: number };
  onResize?(fn: () => void): void;
}
