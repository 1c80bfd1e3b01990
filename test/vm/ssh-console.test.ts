// The built-in SSH client against a server that answers a command at once: the exit status comes
// in the same read as the channel's opening, and must not be lost.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../../vm/local/ssh-keys.ts';
import { openConsole } from '../../vm/ssh-console.ts';

let dir: string;
let server: ssh2.Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmlab-console-'));
  const client = generateEd25519KeyPair();
  await writeFile(join(dir, 'id_ed25519'), client.privateKey, { mode: 0o600 });
  server = new ssh2.Server({ hostKeys: [generateEd25519KeyPair().privateKey] }, (conn) => {
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () =>
      conn.on('session', (accept) =>
        accept().on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          // Status, EOF and close written in the same tick as the channel's success.
          stream.write(`ran ${info.command}\n`);
          stream.exit(Number(/exit (\d+)/.exec(info.command)?.[1] ?? 0));
          stream.end();
        }),
      ),
    );
    conn.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

it('a command that ends at once: its output and exit status both arrive', async () => {
  for (let i = 0; i < 20; i++) {
    const s = await openConsole({ host: '127.0.0.1', port, user: 'docker', keyPath: join(dir, 'id_ed25519') }, { command: `exit ${i + 1}` });
    let out = '';
    s.channel.on('data', (d: Buffer) => (out += d.toString()));
    expect(await s.exited).toEqual({ code: i + 1, signal: undefined });
    expect(out).toBe(`ran exit ${i + 1}\n`);
  }
});
