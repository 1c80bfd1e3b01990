// A machine's console through ssh2, the client side: what `swarmlab ssh --native` uses where no
// OpenSSH client is installed, and what the app's terminals will use. One connection per console,
// authenticated with the lab's key.

import { readFile } from 'node:fs/promises';
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { SshEndpoint } from './driver.ts';
import { MachineError } from './errors.ts';
import { loadSsh2 } from './ssh2.ts';

export interface ConsoleSession {
  channel: ClientChannel;
  /** The exit status of the shell or command (null when it was ended by a signal). */
  exited: Promise<{ code: number | null; signal: string | undefined }>;
  close(): void;
}

export interface ConsoleOptions {
  /** A command to run instead of the login shell. */
  command?: string;
  /** A terminal for the session (an interactive shell always has one). */
  pty?: PseudoTtyOptions;
  readyTimeoutMs?: number;
}

export async function openConsole(ep: SshEndpoint, opts: ConsoleOptions = {}): Promise<ConsoleSession> {
  let privateKey: Buffer;
  try {
    privateKey = await readFile(ep.keyPath);
  } catch (err) {
    throw new MachineError(`cannot read the lab's SSH key ${ep.keyPath}: ${(err as Error).message}`);
  }
  const client = new (await loadSsh2()).Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', (err) => reject(new MachineError(`cannot connect to ${ep.user}@${ep.host}:${ep.port} by SSH: ${err.message}`)));
    client.connect({ host: ep.host, port: ep.port, username: ep.user, privateKey, readyTimeout: opts.readyTimeoutMs ?? 10_000 });
  });
  // Errors after the handshake (a reset connection) end the channel; its close says so.
  client.on('error', () => {});
  type Status = { code: number | null; signal: string | undefined };
  let status: Status = { code: null, signal: undefined };
  let exited!: Promise<Status>;
  const channel = await new Promise<ClientChannel>((resolve, reject) => {
    const done = (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(new MachineError(`SSH session refused: ${err.message}`));
      // Now, not after the await: a quick command's exit status can arrive in the same read as the
      // channel's opening, and ssh2 emits it before a promise continuation could listen.
      ch.on('exit', (code: number | null, signal?: string) => (status = { code, signal }));
      exited = new Promise<Status>((resolveExit) =>
        ch.on('close', () => {
          client.end();
          resolveExit(status);
        }),
      );
      resolve(ch);
    };
    if (opts.command === undefined) client.shell(opts.pty ?? { term: 'xterm-256color', rows: 24, cols: 80 }, done);
    else client.exec(opts.command, opts.pty ? { pty: opts.pty } : {}, done);
  }).catch((err: unknown) => {
    client.end();
    throw err;
  });
  return { channel, exited, close: () => client.end() };
}
