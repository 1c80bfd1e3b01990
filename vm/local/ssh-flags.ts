// The flags a lab machine's process takes on top of swarmd's: where its SSH server listens and keeps
// its keys, and the file of its network faults. They are taken out first and the rest goes to swarmd untouched, so swarmd's parser stays
// the one judge of its own flags.

import { dirname, join, resolve } from 'node:path';

export interface MachineFlags {
  /** Where the SSH server listens; without it the machine has no SSH server. */
  sshListen: { host: string; port: number } | undefined;
  /** Host key, authorized_keys and the shell's files; defaults to STATE_DIR/ssh. */
  sshDir: string | undefined;
  /** The lab's public key(s), in authorized_keys form; defaults to SSH_DIR/authorized_keys. */
  sshAuthorizedKeys: string | undefined;
  /** The console's HOME; defaults to the parent of SSH_DIR (the machine's directory). */
  sshHome: string | undefined;
  /** For the prompt and HOSTNAME; defaults to swarmd's --hostname. */
  machineName: string | undefined;
  /** The machine's faults file (see faults-file.ts), watched; without it the network has no faults. */
  faults?: string;
}

export const MACHINE_HELP = `Usage: machine [MACHINE OPTIONS] [SWARMD OPTIONS]

A lab machine: a swarm node (swarmd) and its SSH server in one process.

Machine options:
  --ssh-listen HOST:PORT          serve SSH consoles there (port 0: any free port, printed in the log)
  --ssh-dir DIR                   host key, authorized_keys and the shell's files (default STATE_DIR/ssh)
  --ssh-authorized-keys FILE      public keys allowed to log in (default SSH_DIR/authorized_keys)
  --ssh-home DIR                  the console's HOME (default: the parent of SSH_DIR)
  --machine-name NAME             the name in the prompt and HOSTNAME (default: --hostname)
  --faults FILE                   apply the network faults in FILE (JSON, written by swarmlab fault) and follow its changes

`;

export class MachineFlagError extends Error {}

const VALUED = {
  '--ssh-listen': 'sshListen',
  '--ssh-dir': 'sshDir',
  '--ssh-authorized-keys': 'sshAuthorizedKeys',
  '--ssh-home': 'sshHome',
  '--machine-name': 'machineName',
  '--faults': 'faults',
} as const;

export function parseListen(text: string): { host: string; port: number } {
  // [::1]:22 for IPv6, HOST:PORT otherwise.
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new MachineFlagError(`--ssh-listen: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Splits argv into the machine's flags and swarmd's. */
export function splitMachineFlags(argv: string[]): { machine: MachineFlags; swarmd: string[] } {
  const machine: MachineFlags = { sshListen: undefined, sshDir: undefined, sshAuthorizedKeys: undefined, sshHome: undefined, machineName: undefined };
  const swarmd: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      swarmd.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(name in VALUED)) {
      swarmd.push(arg);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '') throw new MachineFlagError(`${name} needs a value`);
    const key = VALUED[name as keyof typeof VALUED];
    if (key === 'sshListen') machine.sshListen = parseListen(value);
    else machine[key] = value;
  }
  return { machine, swarmd };
}

/** The SSH server's directories, defaults filled in from swarmd's state directory. */
export function sshPaths(m: MachineFlags, stateDir: string): { dir: string; authorizedKeys: string; home: string } {
  const dir = resolve(m.sshDir ?? join(stateDir, 'ssh'));
  return {
    dir,
    authorizedKeys: resolve(m.sshAuthorizedKeys ?? join(dir, 'authorized_keys')),
    home: resolve(m.sshHome ?? dirname(dir)),
  };
}

/** The machine flags for a process command line (what a driver adds to swarmd's arguments). */
export function machineArgs(m: Partial<MachineFlags>): string[] {
  const args: string[] = [];
  if (m.sshListen) args.push('--ssh-listen', m.sshListen.host.includes(':') ? `[${m.sshListen.host}]:${m.sshListen.port}` : `${m.sshListen.host}:${m.sshListen.port}`);
  if (m.sshDir) args.push('--ssh-dir', m.sshDir);
  if (m.sshAuthorizedKeys) args.push('--ssh-authorized-keys', m.sshAuthorizedKeys);
  if (m.sshHome) args.push('--ssh-home', m.sshHome);
  if (m.machineName) args.push('--machine-name', m.machineName);
  if (m.faults) args.push('--faults', m.faults);
  return args;
}
