// One SSH session channel on a lab machine: its pty, env and window-change requests, and the shell or
// command it runs, in a real PTY when the client asked for one and over plain pipes when not.

import { spawn as spawnChild } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { IPty } from 'node-pty';
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import { ExitMarkerScanner, newNonce, wrapperArgs } from './ssh-exit-marker.ts';
import { relayPtyOutput } from './ssh-pty.ts';
import { acceptsClientEnv, type Shell } from './ssh-shell.ts';

type Running =
  | { kind: 'pty'; proc: IPty }
  | { kind: 'pipes'; proc: ReturnType<typeof spawnChild> };

type NodePty = typeof import('node-pty');
let nodePty: Promise<NodePty> | undefined;

/** node-pty, loaded with the first terminal a client asks for (most machines never have one). */
function loadPty(): Promise<NodePty> {
  // A CommonJS package: Node hands its exports over as the default export of the namespace.
  nodePty ??= (import('node-pty') as Promise<unknown>).then((m) => ((m as { default?: NodePty }).default ?? m) as NodePty);
  return nodePty;
}

const SIGNALS = osConstants.signals as Record<string, number>;

function signalName(n: number | undefined): string | undefined {
  if (!n) return undefined;
  return Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
}

/** Ends the channel the way OpenSSH's server does: exit-status (or exit-signal), then EOF and close. */
function finish(stream: ServerChannel, code: number | null, signal: string | undefined): void {
  try {
    // ssh2 wants the signal name without its SIG prefix.
    if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
    else stream.exit(code ?? 0);
    stream.end();
  } catch {
    // The client went away first: nothing left to tell it.
  }
}

/**
 * Takes the session's requests as they come (the shell may still be being prepared: requests that
 * arrive meanwhile must not be lost); `track` registers a way to end its process on server close.
 */
export function handleSession(session: Session, shellReady: Promise<Shell>, track: (stop: () => void) => () => void): void {
  let ptyInfo: PseudoTtyInfo | undefined;
  const clientEnv: Record<string, string> = {};
  let running: Running | undefined;

  session.on('pty', (accept, _reject, info) => {
    ptyInfo = info;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (ptyInfo) ptyInfo = { ...ptyInfo, cols: info.cols, rows: info.rows };
    if (running?.kind === 'pty' && info.cols > 0 && info.rows > 0) running.proc.resize(info.cols, info.rows);
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    if (!acceptsClientEnv(info.key)) return reject?.();
    clientEnv[info.key] = info.val;
    accept?.();
  });
  session.on('signal', (accept, reject, info) => {
    if (!running || !(`SIG${info.name}` in SIGNALS)) return reject?.();
    running.proc.kill(`SIG${info.name}` as NodeJS.Signals);
    accept?.();
  });

  /** `command` undefined: the interactive shell. */
  const start = (shell: Shell, pty: NodePty | undefined, stream: ServerChannel, command: string | undefined) => {
    // This process is also the swarm node: a client that vanishes mid-write must not take it down.
    stream.on('error', () => {});
    stream.stderr.on('error', () => {});
    const env = { ...shell.env, ...clientEnv };
    let ended = false;
    const end = (code: number | null, signal: string | undefined) => {
      if (ended) return;
      ended = true;
      finish(stream, code, signal);
    };
    if (ptyInfo && pty) {
      if (ptyInfo.term) env.TERM = ptyInfo.term;
      const nonce = command === undefined ? undefined : newNonce();
      const [file, args] = nonce === undefined ? [shell.program, shell.interactiveArgs] : ['/bin/sh', wrapperArgs(shell.program, command!, nonce)];
      const proc = pty.spawn(file, args, {
        name: env.TERM,
        cols: ptyInfo.cols > 0 ? ptyInfo.cols : 80,
        rows: ptyInfo.rows > 0 ? ptyInfo.rows : 24,
        cwd: shell.home,
        env,
        // Raw bytes both ways: a UTF-8 character split across two reads must not be mangled.
        encoding: null,
      });
      running = { kind: 'pty', proc };
      let exited = false;
      const hangUp = () => {
        // Never signal a pid the system may have handed to another process since.
        if (!exited) proc.kill('SIGHUP');
      };
      const untrack = track(hangUp);
      const closeReader = relayPtyOutput(proc, stream, nonce === undefined ? undefined : {
        scanner: new ExitMarkerScanner(nonce),
        onStatus: (status) => {
          end(status, undefined);
          // Its output is all in: the waiting wrapper can go, and take the terminal down with it.
          hangUp();
        },
      });
      stream.on('data', (data: Buffer) => proc.write(data));
      proc.onExit(({ exitCode, signal }) => {
        exited = true;
        untrack();
        end(exitCode, signalName(signal));
      });
      // A client that closes its channel hangs up the terminal, as a dropped line would.
      stream.on('close', () => {
        hangUp();
        closeReader();
      });
    } else {
      const proc = spawnChild(shell.program, command === undefined ? [] : ['-c', command], { cwd: shell.home, env, stdio: ['pipe', 'pipe', 'pipe'] });
      running = { kind: 'pipes', proc };
      const untrack = track(() => proc.kill('SIGTERM'));
      proc.stdout.pipe(stream, { end: false });
      proc.stderr.pipe(stream.stderr, { end: false });
      stream.pipe(proc.stdin);
      proc.stdin.on('error', () => {});
      proc.on('error', (err) => {
        untrack();
        stream.stderr.write(`${err.message}\n`);
        end(127, undefined);
      });
      // 'close' comes after stdout and stderr are drained, so no output is cut off.
      proc.on('close', (code, signal) => {
        untrack();
        end(code, signal ?? undefined);
      });
      stream.on('close', () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGHUP');
      });
    }
  };

  const launch = (stream: ServerChannel | undefined, command: string | undefined) => {
    if (!stream) return;
    // A terminal is asked for before the shell or command, so whether node-pty is needed is known.
    Promise.all([shellReady, ptyInfo ? loadPty() : undefined]).then(
      ([shell, pty]) => start(shell, pty, stream, command),
      (err: unknown) => {
        stream.stderr.write(`swarmlab: cannot start a shell: ${(err as Error).message}\r\n`);
        finish(stream, 1, undefined);
      },
    );
  };
  session.on('shell', (accept) => launch(accept(), undefined));
  session.on('exec', (accept, _reject, info) => launch(accept(), info.command));
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('sftp', (_accept, reject) => reject?.());
}
