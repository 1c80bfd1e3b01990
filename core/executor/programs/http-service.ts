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
