// A lab machine's SSH server: its host key, public-key logins with the lab's key, and sessions that
// open a console on the machine (ssh-session.ts). Any user name is accepted, as docker-machine's
// `docker` user: the key is what proves the caller is the lab.

import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Connection, ParsedKey, Server } from 'ssh2';
import { loadSsh2, type Ssh2Module } from '../ssh2.ts';
import { ensureKeyPair } from './ssh-keys.ts';
import { handleSession } from './ssh-session.ts';
import { prepareShell, type Shell } from './ssh-shell.ts';

export interface SshServerOptions {
  /** Address to listen on; port 0 takes a free one (see `SshServer.port`). */
  host: string;
  port: number;
  /** Holds the host key (`ssh_host_ed25519_key`, made on first start), `authorized_keys`, and the shell's files. */
  dir: string;
  machineName: string;
  /** The machine's Docker API socket, for DOCKER_HOST and SWARM_SOCKET. */
  socketPath: string;
  /** The shell's HOME; the machine's directory. */
  home: string;
  /** Defaults to `dir/authorized_keys`. */
  authorizedKeysPath?: string;
  swarmctlScript?: string;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', line: string) => void;
}

export interface SshServer {
  host: string;
  port: number;
  hostPublicKey: string;
  /** Stops listening, ends every session's process and drops every connection. */
  close(): Promise<void>;
}

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';
export const AUTHORIZED_KEYS_FILE = 'authorized_keys';

/** authorized_keys lines parsed; a bad line is skipped, as sshd does, rather than locking everyone out. */
async function loadAuthorizedKeys(path: string, ssh2: Ssh2Module): Promise<ParsedKey[]> {
  if (!existsSync(path)) return [];
  const keys: ParsedKey[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    const text = line.trim();
    if (!text || text.startsWith('#')) continue;
    const parsed = ssh2.utils.parseKey(text);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key && !(key instanceof Error)) keys.push(key);
  }
  return keys;
}

function sameKey(key: ParsedKey, algo: string, data: Buffer): boolean {
  const mine = key.getPublicSSH();
  return key.type === algo && mine.length === data.length && timingSafeEqual(mine, data);
}

export async function startSshServer(opts: SshServerOptions): Promise<SshServer> {
  const log = opts.log ?? (() => {});
  const hostKey = await ensureKeyPair(join(opts.dir, HOST_KEY_FILE), `${opts.machineName}-host`);
  const authorizedKeysPath = opts.authorizedKeysPath ?? join(opts.dir, AUTHORIZED_KEYS_FILE);
  const shells = new Map<string, Promise<Shell>>();
  const shellFor = (user: string) => {
    let shell = shells.get(user);
    if (!shell) {
      shell = prepareShell(
        { machineName: opts.machineName, socketPath: opts.socketPath, home: opts.home, dir: opts.dir, swarmctlScript: opts.swarmctlScript },
        user,
      );
      shells.set(user, shell);
    }
    return shell;
  };
  // Written before the first login, so a bad machine name fails the start and not a console.
  await shellFor('docker');

  const connections = new Set<Connection>();
  const processes = new Set<() => void>();
  const track = (stop: () => void) => {
    processes.add(stop);
    return () => processes.delete(stop);
  };

  const onClient = (ssh2: Ssh2Module, client: Connection) => {
    connections.add(client);
    let user = 'docker';
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      // Read on each login, so a key the lab adds later works without a restart.
      void loadAuthorizedKeys(authorizedKeysPath, ssh2).then(
        (keys) => {
          const key = keys.find((k) => sameKey(k, ctx.key.algo, ctx.key.data));
          if (!key) return ctx.reject(['publickey']);
          // Without a signature the client only asks whether this key would do.
          if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
          user = ctx.username || 'docker';
          ctx.accept();
        },
        (err: unknown) => {
          log('warn', `ssh: cannot read ${authorizedKeysPath}: ${(err as Error).message}`);
          ctx.reject(['publickey']);
        },
      );
    });
    client.on('ready', () => {
      log('debug', `ssh: ${user} logged in`);
      const shell = shellFor(user);
      shell.catch((err: unknown) => log('error', `ssh: cannot prepare the shell: ${(err as Error).message}`));
      client.on('session', (accept) => handleSession(accept(), shell, track));
    });
    client.on('error', (err) => log('debug', `ssh: connection error: ${err.message}`));
    client.on('close', () => connections.delete(client));
  };

  // The port is a plain TCP listener; ssh2 is loaded, and its server made, with the first connection
  // (an idle machine never opens a console), which it is then handed.
  let ssh: Promise<Server> | undefined;
  const sshServer = () => (ssh ??= loadSsh2().then((ssh2) => new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (client) => onClient(ssh2, client))));
  /** Connections waiting for ssh2 to load. */
  const pending = new Set<Socket>();
  const server = createServer((socket) => {
    pending.add(socket);
    socket.once('close', () => pending.delete(socket));
    // Until ssh2 has it, a reset must not take the machine down.
    socket.on('error', () => {});
    sshServer().then(
      (s) => {
        if (pending.delete(socket)) s.injectSocket(socket);
      },
      (err: unknown) => {
        log('error', `ssh: cannot load ssh2: ${(err as Error).message}`);
        pending.delete(socket);
        socket.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log('info', `ssh: listening on ${opts.host}:${port}`);

  return {
    host: opts.host,
    port,
    hostPublicKey: hostKey.publicKey,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stop of processes) stop();
      for (const c of connections) c.end();
      for (const s of pending) s.destroy();
      pending.clear();
      await closed;
    },
  };
}
