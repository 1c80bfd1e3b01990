// A local lab machine's process: swarmd and its SSH server in one process, since a laptop runs many
// machines and a second Node process each would double their memory.

import { resolve } from 'node:path';
import { systemClock } from '../../core/clock.ts';
import { systemRandom } from '../../core/random.ts';
import { LinkFaults } from '../../core/rpc/link-faults.ts';
import { runSwarmd } from '../../core/swarmd/run.ts';
import { faultsPathsOf } from './faults-file.ts';
import { FaultsWatcher } from './faults-watch.ts';
import { MACHINE_HELP, MachineFlagError, splitMachineFlags, sshPaths, type MachineFlags } from './ssh-flags.ts';
import { startSshServer } from './ssh-server.ts';

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

async function main(argv: string[]): Promise<number> {
  let machine: MachineFlags;
  let swarmdArgs: string[];
  try {
    ({ machine, swarmd: swarmdArgs } = splitMachineFlags(argv));
  } catch (err) {
    if (err instanceof MachineFlagError) {
      process.stderr.write(`machine: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (swarmdArgs.includes('-h') || swarmdArgs.includes('--help')) process.stdout.write(MACHINE_HELP);

  // The network's faults are in force before swarmd opens its first connection.
  let faults: { link: LinkFaults; watcher: FaultsWatcher } | undefined;
  if (machine.faults) {
    const link = new LinkFaults({ clock: systemClock, random: systemRandom });
    faults = { link, watcher: new FaultsWatcher(faultsPathsOf(resolve(machine.faults)), link) };
    await faults.watcher.load();
  }

  return runSwarmd(swarmdArgs, async ({ flags }) => {
    const min = LEVELS[flags.logLevel];
    // swarmd's log format, so one machine log reads as one stream.
    const log = (level: keyof typeof LEVELS, line: string) => {
      if (LEVELS[level] >= min) process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${line}\n`);
    };
    faults?.watcher.start(log);
    if (!machine.sshListen) return async () => faults?.watcher.stop();
    const paths = sshPaths(machine, flags.stateDir);
    const { host, port } = machine.sshListen;
    const server = await startSshServer({
      host,
      port,
      dir: paths.dir,
      authorizedKeysPath: paths.authorizedKeys,
      home: paths.home,
      machineName: machine.machineName ?? flags.hostname,
      socketPath: resolve(flags.listenControlApi),
      log,
    }).catch((err: unknown) => {
      throw new MachineFlagError(`cannot serve SSH on ${host}:${port}: ${(err as Error).message}`);
    });
    return async () => {
      faults?.watcher.stop();
      await server.close();
    };
  }, { faults: faults?.link });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A bad flag or a taken port is the user's to fix: the message, not a stack trace.
    const text = err instanceof MachineFlagError ? err.message : ((err as Error)?.stack ?? String(err));
    process.stderr.write(`machine: ${text}\n`);
    process.exit(1);
  },
);
