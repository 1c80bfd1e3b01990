// `swarmlab env` in each shell's syntax, as docker-machine prints it: the variable lines, then a
// comment telling how to apply them (eval for POSIX shells, Invoke-Expression for PowerShell, a FOR
// loop for cmd).

import { UsageError } from './usage.ts';

export const SHELLS = ['bash', 'fish', 'powershell', 'cmd'] as const;
export type Shell = (typeof SHELLS)[number];

/** POSIX shells share bash's syntax. */
const ALIASES: Record<string, Shell> = { sh: 'bash', zsh: 'bash', ksh: 'bash', dash: 'bash', pwsh: 'powershell' };

export function parseShell(name: string): Shell {
  const shell = (SHELLS as readonly string[]).includes(name) ? (name as Shell) : ALIASES[name];
  if (!shell) throw new UsageError(`unknown shell "${name}": expected ${SHELLS.join(', ')}`, 'env');
  return shell;
}

/** The user's shell: $SHELL on Unix (fish is the odd one out), PowerShell on Windows. */
export function detectShell(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Shell {
  if (platform === 'win32') return 'powershell';
  const base = (env.SHELL ?? '').split('/').pop() ?? '';
  return base === 'fish' ? 'fish' : 'bash';
}

const SET: Record<Shell, (name: string, value: string) => string> = {
  bash: (n, v) => `export ${n}="${v}"\n`,
  fish: (n, v) => `set -gx ${n} "${v}";\n`,
  powershell: (n, v) => `$Env:${n} = "${v}"\n`,
  cmd: (n, v) => `SET ${n}=${v}\n`,
};

const UNSET: Record<Shell, (name: string) => string> = {
  bash: (n) => `unset ${n}\n`,
  fish: (n) => `set -e ${n};\n`,
  powershell: (n) => `Remove-Item Env:\\\\${n}\n`,
  cmd: (n) => `SET ${n}=\n`,
};

export function setVariables(shell: Shell, vars: readonly (readonly [string, string])[]): string {
  return vars.map(([n, v]) => SET[shell](n, v)).join('');
}

export function unsetVariables(shell: Shell, names: readonly string[]): string {
  return names.map((n) => UNSET[shell](n)).join('');
}

/** The comment after the variables; `commandLine` is the command as the user typed it. */
export function usageHint(shell: Shell, commandLine: string): string {
  let comment = '#';
  let cmd: string;
  switch (shell) {
    case 'fish':
      cmd = `eval (${commandLine})`;
      break;
    case 'powershell':
      cmd = `& ${commandLine} | Invoke-Expression`;
      break;
    case 'cmd':
      cmd = `\t@FOR /f "tokens=*" %i IN ('${commandLine}') DO @%i`;
      comment = 'REM';
      break;
    default:
      cmd = `eval $(${commandLine})`;
  }
  return `${comment} Run this command to configure your shell: \n${comment} ${cmd}\n`;
}
