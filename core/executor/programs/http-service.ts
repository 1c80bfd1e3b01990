// The HTTP server under whoami, web and nginx: bound where the node says, closed with the process.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenedAddress, ProgramContext } from '../program.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function serveHttp(ctx: ProgramContext, containerPort: number, handler: Handler): Promise<{ server: Server; address: ListenedAddress }> {
  const server = createServer((req, res) => {
    if (ctx.exited) return void res.destroy();
    try {
      handler(req, res);
    } catch (err) {
      res.statusCode = 500;
      res.end();
      ctx.stderr.write(`${(err as Error).message}\n`);
    }
  });
  const address = await ctx.listen(server, containerPort);
  return { server, address };
}

/** A port number from a flag or variable, or undefined if it is not one. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 && n < 65536 ? n : undefined;
}

/** The value of `--name VALUE` or `--name=VALUE` (also with a single dash, as Go's flags allow). */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    for (const prefix of [`--${name}`, `-${name}`]) {
      if (a === prefix) return argv[i + 1];
      if (a.startsWith(`${prefix}=`)) return a.slice(prefix.length + 1);
    }
  }
  return undefined;
}
