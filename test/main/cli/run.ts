// Runs swarmlab commands in-process against a test's own machines, capturing what they print.

import { runCli } from '../../../main/cli/cli.ts';
import type { Machines } from '../../../vm/machines.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export function cliRunner(machines: Machines, env: NodeJS.ProcessEnv = { SHELL: '/bin/bash' }, platform: NodeJS.Platform = 'linux') {
  return async (...argv: string[]): Promise<CliResult> => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
      env,
      machines,
      platform,
    });
    return { code, out, err };
  };
}
