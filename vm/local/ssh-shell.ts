// What a console on a lab machine runs: the shell, its environment and the files it needs (a swarmctl
// on PATH, a bashrc whose prompt names the machine), so the Docker tutorials' commands work as typed.

import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ShellSetup {
  machineName: string;
  /** The machine's Docker API socket (swarmd's control socket). */
  socketPath: string;
  /** The shell's HOME and starting directory. */
  home: string;
  /** Where the swarmctl shim and the bashrc are written. */
  dir: string;
  /** The swarmctl program to run; found beside this module's repository when not given. */
  swarmctlScript?: string;
}

export interface Shell {
  /** The shell program (bash when there is one, else sh). */
  program: string;
  /** Its arguments for an interactive session. */
  interactiveArgs: string[];
  /** The environment of every session on the machine, before the client's LANG/TERM. */
  env: Record<string, string>;
  home: string;
}

const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** bin/swarmctl.js of this checkout: walks up from here, as this module runs from vm/local/ or from dist/. */
export function findSwarmctlScript(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'bin', 'swarmctl.js');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function findOnPath(program: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, program))) return dir;
  }
  return undefined;
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes the shim and bashrc under `dir` and returns the shell to run. The environment is built from
 * nothing rather than inherited, so the daemon's own variables (NODE_OPTIONS, a test runner's) never
 * leak into a student's shell.
 */
export async function prepareShell(setup: ShellSetup, user: string): Promise<Shell> {
  if (!MACHINE_NAME.test(setup.machineName)) throw new Error(`invalid machine name: ${JSON.stringify(setup.machineName)}`);
  const binDir = join(setup.dir, 'bin');
  await mkdir(binDir, { recursive: true });
  await mkdir(setup.home, { recursive: true });

  const script = setup.swarmctlScript ?? findSwarmctlScript();
  if (script) {
    // The absolute node path: the shell's PATH may not hold the node that runs the lab.
    const shim = join(binDir, 'swarmctl');
    await writeFile(shim, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(script)} "$@"\n`);
    await chmod(shim, 0o755);
  }

  const basePath = process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const dirs = [binDir, ...basePath.split(delimiter).filter(Boolean)];
  // The docker CLI is usually in /usr/local/bin already; add it where a stripped PATH lacks it.
  if (!findOnPath('docker', basePath) && existsSync('/usr/local/bin/docker')) dirs.push('/usr/local/bin');

  const bash = ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash'].find((p) => existsSync(p));
  const program = bash ?? '/bin/sh';
  // A literal `$`: the console presents itself as `docker`, even where the daemon runs as root.
  const prompt = `${user}@${setup.machineName}:\\w$ `;
  let interactiveArgs: string[] = ['-i'];
  if (bash) {
    // /etc/bash.bashrc sets its own PS1 (with the host's name), so ours must come after it.
    const rc = join(setup.dir, 'bashrc');
    await writeFile(
      rc,
      [
        '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"',
        // $USER, expanded at each prompt: one rc file serves every login name.
        `PS1=${shQuote(`\${USER}@${setup.machineName}:\\w$ `)}`,
        '',
      ].join('\n'),
    );
    interactiveArgs = ['--rcfile', rc, '-i'];
  }

  const socketPath = setup.socketPath;
  const env: Record<string, string> = {
    PATH: dirs.join(delimiter),
    HOME: setup.home,
    USER: user,
    LOGNAME: user,
    SHELL: program,
    HOSTNAME: setup.machineName,
    DOCKER_HOST: `unix://${socketPath}`,
    SWARM_SOCKET: socketPath,
    PS1: prompt,
    LANG: process.env.LANG || 'C.UTF-8',
    TERM: 'xterm-256color',
  };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return { program, interactiveArgs, env, home: setup.home };
}

/** The session variables a client may set (OpenSSH's usual AcceptEnv: the locale and the terminal). */
export function acceptsClientEnv(name: string): boolean {
  return name === 'LANG' || name === 'TERM' || name === 'COLORTERM' || /^LC_[A-Z_]+$/.test(name);
}
