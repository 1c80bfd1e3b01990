// swarmd's command line, in SwarmKit's style (`swarmd -d STATE_DIR --listen-control-api SOCKET
// --hostname NAME --listen-remote-api ADDR [--join-addr ADDR --join-token TOKEN]`), plus the lab's
// own: --inactive (start like a Docker engine with swarm mode off), --listen-docker-api, --profile.

import { parseArgs } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import type { ProfileName } from '../api/defaults.ts';

export interface SwarmdFlags {
  stateDir: string;
  hostname: string;
  listenControlApi: string;
  listenRemoteApi: string;
  advertiseRemoteApi: string | undefined;
  joinAddr: string | undefined;
  joinToken: string | undefined;
  manager: boolean;
  inactive: boolean;
  listenDockerApi: string | undefined;
  profile: ProfileName;
  images: string | undefined;
  dataPathPort: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const SWARMD_HELP = `Usage: swarmd [OPTIONS]

Run a swarm node: a manager (Raft, orchestrators, scheduler, dispatcher, CA) and/or a worker
(agent and task executor). Without --join-addr it bootstraps a new swarm and becomes its first
manager; with --join-addr and --join-token it joins one; with --inactive it starts with swarm
mode off and waits for \`docker swarm init\` or \`docker swarm join\` on its control socket.

Options:
  -d, --state-dir DIR             state directory: identity, certificates, Raft log (default ./swarmkitstate)
  --hostname NAME                 node hostname (default: this machine's)
  --listen-control-api SOCKET     unix socket serving the Docker Engine API (default STATE_DIR/swarmd.sock);
                                  DOCKER_HOST=unix://SOCKET docker ... and SWARM_SOCKET=SOCKET swarmctl ... use it
  --listen-remote-api ADDR        cluster port, mutual TLS between nodes (default 0.0.0.0:4242)
  --advertise-remote-api ADDR     address other nodes reach this one at (default: the listen address,
                                  or the address this node reached the swarm from)
  --join-addr ADDR                a manager's cluster port to join through
  --join-token TOKEN              SWMTKN-1-... join token (its role decides worker or manager)
  --manager                       expect to join as a manager (the token decides; a worker token is reported)
  --inactive                      start with swarm mode off (like a Docker engine before \`swarm init\`)
  --listen-docker-api tcp://HOST:PORT
                                  also serve the Docker Engine API on TCP with TLS (client certificates
                                  from the swarm CA; the certificates are written to STATE_DIR/docker-tls)
  --profile lab|swarm             timing profile for a new swarm: lab (fast failover, the default) or
                                  swarm (SwarmKit's own: 1 s ticks, 5 s heartbeats)
  --data-path-port PORT           the overlay tunnel's port on the advertised address (default 4789, as
                                  Docker's; when taken, any free port: the node tells the swarm which)
  --images PATH                   image catalog (default: resources/images/catalog.json of this install)
  --log-level LEVEL               debug, info, warn or error (default info)
  -h, --help                      print this help
`;

export class FlagError extends Error {
  constructor(message: string) {
    super(`${message}\nSee 'swarmd --help'.`);
    this.name = 'FlagError';
  }
}

export function parseSwarmdFlags(argv: string[]): SwarmdFlags | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'state-dir': { type: 'string', short: 'd' },
        hostname: { type: 'string' },
        'listen-control-api': { type: 'string' },
        'listen-remote-api': { type: 'string' },
        'advertise-remote-api': { type: 'string' },
        'join-addr': { type: 'string' },
        'join-token': { type: 'string' },
        manager: { type: 'boolean' },
        inactive: { type: 'boolean' },
        'listen-docker-api': { type: 'string' },
        profile: { type: 'string' },
        images: { type: 'string' },
        'data-path-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  if (values.help) return 'help';
  const stateDir = path.resolve(values['state-dir'] ?? './swarmkitstate');
  const profile = values.profile ?? 'lab';
  if (profile !== 'lab' && profile !== 'swarm') throw new FlagError(`invalid --profile "${profile}": expected lab or swarm`);
  const logLevel = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new FlagError(`invalid --log-level "${logLevel}": expected debug, info, warn or error`);
  if (values['join-addr'] && !values['join-token']) throw new FlagError('--join-addr needs --join-token (run `docker swarm join-token worker` on a manager to get one)');
  if (values['join-token'] && !values['join-addr']) throw new FlagError('--join-token needs --join-addr, the cluster port of a manager');
  if (values.inactive && values['join-addr']) throw new FlagError('--inactive and --join-addr exclude each other: an inactive node joins later with `docker swarm join`');
  for (const f of ['listen-remote-api', 'advertise-remote-api', 'join-addr'] as const) {
    const v = values[f];
    if (v !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(v)) throw new FlagError(`invalid --${f} "${v}": expected HOST:PORT`);
  }
  const dataPathPort = Number(values['data-path-port'] ?? 4789);
  if (!/^\d{1,5}$/.test(values['data-path-port'] ?? '4789') || dataPathPort > 65535) {
    throw new FlagError(`invalid --data-path-port "${values['data-path-port']}": expected a port from 0 to 65535`);
  }
  const dockerApi = values['listen-docker-api'];
  if (dockerApi !== undefined && !/^tcp:\/\/[^:\s]+:\d{1,5}$/.test(dockerApi)) throw new FlagError(`invalid --listen-docker-api "${dockerApi}": expected tcp://HOST:PORT`);
  return {
    stateDir,
    hostname: values.hostname ?? os.hostname(),
    listenControlApi: path.resolve(values['listen-control-api'] ?? path.join(stateDir, 'swarmd.sock')),
    listenRemoteApi: values['listen-remote-api'] ?? '0.0.0.0:4242',
    advertiseRemoteApi: values['advertise-remote-api'],
    joinAddr: values['join-addr'],
    joinToken: values['join-token'],
    manager: values.manager ?? false,
    inactive: values.inactive ?? false,
    listenDockerApi: dockerApi,
    profile,
    images: values.images,
    dataPathPort,
    logLevel: logLevel as SwarmdFlags['logLevel'],
  };
}
