// A swarmd process: flags, logging, the Docker API on the control socket, signals. `main.ts` runs it
// as the swarmd command; a lab machine's process runs it beside its SSH server (vm/local).

import { ProcessExecutor } from '../executor/process-executor.ts';
import { ImageCatalog } from '../executor/catalog.ts';
import { systemClock } from '../clock.ts';
import { systemRandom } from '../random.ts';
import type { LinkFaults } from '../rpc/link-faults.ts';
import { startDockerApi } from './docker-api.ts';
import { defaultCatalogPath } from './catalog-path.ts';
import { Swarmd } from './daemon.ts';
import { SwarmdEngine } from './engine.ts';
import { FlagError, parseSwarmdFlags, SWARMD_HELP, type SwarmdFlags } from './flags.ts';
import { StateDirError } from './state-dir.ts';

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export interface RunningSwarmd {
  daemon: Swarmd;
  flags: SwarmdFlags;
}

/** What the program hosting swarmd adds, beyond its flags (a lab machine's emulated network). */
export interface RunSwarmdOptions {
  faults?: LinkFaults;
}

/**
 * Runs swarmd with these arguments until SIGTERM or SIGINT; resolves with the exit code.
 * `onStarted` sees the running node (a lab machine starts its SSH server then).
 */
export async function runSwarmd(
  argv: string[],
  onStarted?: (r: RunningSwarmd) => Promise<() => Promise<void>> | void,
  opts: RunSwarmdOptions = {},
): Promise<number> {
  let flags: SwarmdFlags | 'help';
  try {
    flags = parseSwarmdFlags(argv);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`swarmd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (flags === 'help') {
    process.stdout.write(SWARMD_HELP);
    return 0;
  }
  const min = LEVELS[flags.logLevel];
  const log = (level: keyof typeof LEVELS, component: string, line: string) => {
    if (LEVELS[level] >= min) process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${component}: ${line}\n`);
  };
  process.on('unhandledRejection', (err) => log('error', 'swarmd', `unhandled rejection (a bug): ${(err as Error)?.stack ?? String(err)}`));

  const catalog = await ImageCatalog.load(flags.images ?? defaultCatalogPath());
  const d = new Swarmd({
    stateDir: flags.stateDir,
    hostname: flags.hostname,
    listenAddr: flags.listenRemoteApi,
    advertiseAddr: flags.advertiseRemoteApi,
    profile: flags.profile,
    clock: systemClock,
    random: systemRandom,
    dataPathPort: flags.dataPathPort,
    makeExecutor: (node) => {
      const executor: ProcessExecutor = new ProcessExecutor({
        catalog,
        node: { id: node.nodeId, hostname: node.hostname },
        ...node.network?.executorNetworking(),
      });
      node.network?.bindEndpoints(
        (taskId, port) => executor.endpoints(taskId).find((e) => e.containerPort === port),
        (taskId, port) => executor.server(taskId, port),
      );
      return executor;
    },
    log,
    faults: opts.faults,
  });
  const engine = new SwarmdEngine(d);

  let resumed: boolean;
  try {
    resumed = await d.resume();
  } catch (err) {
    if (err instanceof StateDirError) {
      log('error', 'swarmd', err.message);
      return 1;
    }
    throw err;
  }
  const api = await startDockerApi(engine, flags.listenControlApi, flags.listenDockerApi, flags.stateDir, log);
  log('info', 'swarmd', `Docker API on unix://${flags.listenControlApi}${api.tcp ? ` and ${api.tcp} (TLS: DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${flags.stateDir}/docker-tls)` : ''}`);

  if (!resumed && !flags.inactive) {
    try {
      if (flags.joinAddr) {
        await d.join({ remoteAddrs: [flags.joinAddr], joinToken: flags.joinToken! });
        // The token decides the role; --manager says which one was meant.
        if (flags.manager && d.state?.role !== 'manager') {
          log('error', 'swarmd', 'joined as a worker, but --manager was given: use the manager join token (docker swarm join-token manager), or promote this node');
        }
      }
      else await d.init({});
    } catch (err) {
      log('error', 'swarmd', (err as Error).message);
      await api.close();
      await d.stop();
      return 1;
    }
  }
  const st = d.state;
  log('info', 'swarmd', st ? `node ${st.nodeId} (${st.role}) on ${d.clusterAddr}` : 'swarm mode is inactive: waiting for `docker swarm init` or `docker swarm join`');

  const stopExtra = (await onStarted?.({ daemon: d, flags })) ?? undefined;
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log('info', 'swarmd', `${signal}: stopping`);
      void Promise.all([api.close(), d.stop(), stopExtra?.()]).then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
