// A page in the colour of the image's tag (swarmlab/web:blue, :green, :red), for rolling-update
// demos: reload during `docker service update --image` and watch the colours change. A tag whose
// catalog entry carries a `startError` fails at once with that message, so a rollout of it fails
// and `--update-failure-action rollback` has something to roll back from.
//
// With API_URL set (http://api/), each page also GETs it through the task's network and shows what
// answered — the whoami task that served it, the status, or the error — so a front end calling a
// back end by its service name is visible, and so is the balancing behind that name.

import type { BuiltinProgram, ProgramContext } from '../program.ts';
import { accessLogLine } from './access-log.ts';
import { describeAnswer, httpRequest } from './http-client.ts';
import { serveHttp } from './http-service.ts';
import { dieOnTerminatingSignals } from './terminate.ts';

export const webProgram: BuiltinProgram = {
  async run(ctx) {
    const startError = ctx.options.startError;
    if (typeof startError === 'string' && startError !== '') {
      ctx.stderr.write(`${startError}\n`);
      return ctx.exit(1);
    }
    dieOnTerminatingSignals(ctx);
    await serveHttp(ctx, 80, (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const answer = async (): Promise<[number, string, string]> =>
        path === '/health' ? [200, 'ok\n', 'text/plain'] : path === '/' ? [200, page(ctx, await callApi(ctx)), 'text/html; charset=utf-8'] : [404, 'not found\n', 'text/plain'];
      void answer().then(([status, body, type]) => {
        if (ctx.exited) return void res.destroy();
        const bytes = Buffer.byteLength(body);
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': bytes }).end(req.method === 'HEAD' ? undefined : body);
        ctx.stdout.write(accessLogLine(req, status, bytes, ctx.clock.now()));
      }, (err: unknown) => {
        res.destroy();
        ctx.stderr.write(`${(err as Error).message}\n`);
      });
    });
  },
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What API_URL answered ("200 from api.2.xyz (10.0.1.5)") or the error; undefined without API_URL. */
async function callApi(ctx: ProgramContext): Promise<{ url: string; answer: string; ok: boolean } | undefined> {
  const url = ctx.env.API_URL;
  if (url === undefined || url === '') return undefined;
  const timeoutMs = Number(ctx.env.API_TIMEOUT_MS) > 0 ? Number(ctx.env.API_TIMEOUT_MS) : 2000;
  try {
    const res = await httpRequest(ctx, url, { timeoutMs, headers: { 'User-Agent': 'swarmlab-web' } });
    return { url, answer: describeAnswer(res), ok: res.status < 400 };
  } catch (err) {
    return { url, answer: `error: ${(err as Error).message}`, ok: false };
  }
}

function page(ctx: ProgramContext, api?: { url: string; answer: string; ok: boolean }): string {
  const colour = String(ctx.options.colour ?? 'grey');
  const background = String(ctx.options.background ?? colour);
  const id = ctx.identity;
  const rows: [string, string][] = [
    ['image', id.image],
    ['hostname', id.hostname],
    ['node', id.nodeHostname],
    ['service', id.serviceName],
    ['task', id.taskName],
    ...(id.slot !== undefined ? [['slot', String(id.slot)] as [string, string]] : []),
    ...(api ? [['api', api.url] as [string, string], [api.ok ? 'answered' : 'failed', api.answer] as [string, string]] : []),
  ];
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escape(colour)} — ${escape(id.serviceName)}</title>
<style>
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: ${escape(background)}; color: #fff; font-family: system-ui, sans-serif; }
main { text-align: center; }
h1 { font-size: 5em; margin: 0 0 .3em; text-transform: uppercase; letter-spacing: .1em; }
table { margin: 0 auto; font-size: 1.3em; } td { padding: .15em .6em; text-align: left; }
</style>
</head>
<body>
<main>
<h1>${escape(colour)}</h1>
<table>
${rows.map(([k, v]) => `<tr><td>${k}</td><td><code>${escape(v)}</code></td></tr>`).join('\n')}
</table>
</main>
</body>
</html>
`;
}
