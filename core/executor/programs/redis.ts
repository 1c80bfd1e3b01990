// A Redis stand-in for the tutorials (a visitor counter, a shared key): it speaks RESP on the
// redis port, logs as redis-server does, and on SIGTERM shuts down cleanly with exit code 0.

import { createServer, type Socket } from 'node:net';
import type { BuiltinProgram, ProgramContext } from '../program.ts';
import { flagValue, parsePort } from './flags.ts';
import { RedisKeyspace, REDIS_VERSION } from './redis-commands.ts';
import { serveResp } from './resp.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** redis-server's log prefix: "1:M 01 Jan 2024 12:00:00.000 *". */
function logLine(ctx: ProgramContext, role: 'C' | 'M', level: '*' | '#', text: string): void {
  const d = new Date(ctx.clock.now());
  const time = `${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  ctx.stdout.write(`1:${role} ${time} ${level} ${text}\n`);
}

export const redisProgram: BuiltinProgram = {
  async run(ctx) {
    const port = parsePort(flagValue(ctx.argv, 'port')) ?? 6379;
    const keyspace = new RedisKeyspace(() => ctx.clock.now());
    ctx.onSignal((signal) => {
      if (signal !== 'SIGTERM' && signal !== 'SIGINT') return;
      logLine(ctx, 'M', '#', `Received ${signal} scheduling shutdown...`);
      logLine(ctx, 'M', '#', 'User requested shutdown...');
      logLine(ctx, 'M', '#', 'Redis is now ready to exit, bye bye...');
      ctx.exit(0);
    });
    logLine(ctx, 'C', '*', 'oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo');
    logLine(ctx, 'C', '*', `Redis version=${REDIS_VERSION}, bits=64, pid=1, just started (swarmlab stand-in)`);
    const server = createServer((socket) => serve(socket, keyspace));
    await ctx.listen(server, port);
    logLine(ctx, 'M', '*', 'Server initialized');
    logLine(ctx, 'M', '*', 'Ready to accept connections tcp');
  },
};

function serve(socket: Socket, keyspace: RedisKeyspace): void {
  serveResp(
    socket,
    (args) => {
      const { reply, quit } = keyspace.execute(args);
      return { reply, close: quit };
    },
    (message) => ({ error: `ERR Protocol error: ${message}` }),
  );
}
