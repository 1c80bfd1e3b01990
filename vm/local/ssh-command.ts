// The OpenSSH command line that opens a machine's console, for `swarmlab ssh NAME` and for the user to
// copy. The options are docker-machine's: lab machines are recreated with new host keys on reused
// addresses, so remembering host keys would only produce "host key changed" errors.

import type { SshEndpoint } from '../driver.ts';

const OPTIONS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=quiet', '-o', 'IdentitiesOnly=yes'];

/**
 * ssh's argv (without `ssh` itself); a command, if any, runs instead of the interactive shell. `tty`
 * forces a PTY for a command (`-t`), as `docker-machine ssh NAME cmd` did from a terminal.
 */
export function sshArgs(ep: SshEndpoint, command: string[] = [], opts: { tty?: boolean } = {}): string[] {
  const args = ['-i', ep.keyPath, '-p', String(ep.port), ...OPTIONS, `${ep.user}@${ep.host}`];
  if (command.length > 0 && opts.tty) args.unshift('-t');
  return command.length > 0 ? [...args, '--', ...command] : args;
}

function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The same as one line to print: `ssh -i KEY -p PORT -o ... docker@HOST`. */
export function sshCommandLine(ep: SshEndpoint, command: string[] = [], opts: { tty?: boolean } = {}): string {
  return ['ssh', ...sshArgs(ep, command, opts)].map(shQuote).join(' ');
}
