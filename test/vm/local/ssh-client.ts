// An ssh2 client for the console tests: connect with a key, run a command, or drive an interactive
// shell in a PTY and wait for what it prints.

import { Client, type ClientChannel, type PseudoTtyOptions } from 'ssh2';

export interface Connected {
  client: Client;
  close(): void;
}

export function connect(host: string, port: number, privateKey: string, username = 'docker'): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve({ client, close: () => client.end() }));
    client.once('error', reject);
    client.connect({ host, port, username, privateKey, readyTimeout: 10_000 });
  });
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | undefined;
}

export function exec(c: Connected, command: string, pty?: PseudoTtyOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    c.client.exec(command, pty ? { pty } : {}, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s;
      });
      stream.on('close', () => resolve({ stdout, stderr, code, signal }));
    });
  });
}

/** An interactive shell in a PTY: everything it printed so far, and a wait for a pattern in it. */
export class Console {
  output = '';
  closed: Promise<void>;

  private constructor(readonly stream: ClientChannel) {
    stream.on('data', (d: Buffer) => (this.output += d.toString()));
    this.closed = new Promise((resolve) => stream.on('close', () => resolve()));
  }

  static open(c: Connected, pty: PseudoTtyOptions = { rows: 24, cols: 80, term: 'xterm-256color' }): Promise<Console> {
    return new Promise((resolve, reject) => {
      c.client.shell(pty, (err, stream) => (err ? reject(err) : resolve(new Console(stream))));
    });
  }

  type(text: string): void {
    this.stream.write(text);
  }

  /** Waits until the output after `from` matches; returns the match. */
  async waitFor(pattern: RegExp, ms = 15_000, from = 0): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    while (true) {
      const m = this.output.slice(from).match(pattern);
      if (m) return m;
      if (Date.now() > end) throw new Error(`console: no ${pattern} within ${ms} ms; output so far:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
