// Enough of the official nginx image for the tutorials: the "Welcome to nginx!" page on /, nginx's
// own 404 and 405 pages, access lines on stdout and notices on stderr as the image logs them, and
// its signals: SIGQUIT (the image's stop signal) shuts down gracefully, SIGTERM and SIGINT at once,
// both with exit code 0; SIGHUP reloads.

import type { BuiltinProgram, ProgramContext } from '../program.ts';
import { accessLogLine } from './access-log.ts';
import { serveHttp } from './http-service.ts';

const WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const errorPage = (status: string, version: string) =>
  `<html>\r\n<head><title>${status}</title></head>\r\n<body>\r\n<center><h1>${status}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`;

const pad = (n: number) => String(n).padStart(2, '0');

/** nginx's error-log time: 2024/05/01 10:00:00. */
function errorLogTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export const nginxProgram: BuiltinProgram = {
  async run(ctx) {
    const version = ctx.env.NGINX_VERSION ?? '1.27.3';
    const notice = (text: string) => ctx.stderr.write(`${errorLogTime(ctx.clock.now())} [notice] 1#1: ${text}\n`);
    handleSignals(ctx, notice);
    ctx.stdout.write('/docker-entrypoint.sh: Configuration complete; ready for start up\n');
    notice(`nginx/${version}`);
    notice('start worker processes');
    await serveHttp(ctx, 80, (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const [status, body] =
        req.method !== 'GET' && req.method !== 'HEAD'
          ? [405, errorPage('405 Not Allowed', version)]
          : path === '/' || path === '/index.html'
            ? [200, WELCOME]
            : [404, errorPage('404 Not Found', version)];
      const bytes = Buffer.byteLength(body);
      res.writeHead(status, { Server: `nginx/${version}`, 'Content-Type': 'text/html', 'Content-Length': bytes });
      res.end(req.method === 'HEAD' ? undefined : body);
      ctx.stdout.write(accessLogLine(req, status, bytes, ctx.clock.now()));
      if (status === 404) {
        ctx.stderr.write(`${errorLogTime(ctx.clock.now())} [error] 29#29: *1 open() "/usr/share/nginx/html${path}" failed (2: No such file or directory), client: ${req.socket.remoteAddress ?? '-'}, server: localhost, request: "${req.method} ${req.url} HTTP/${req.httpVersion}"\n`);
      }
    });
  },
};

function handleSignals(ctx: ProgramContext, notice: (text: string) => void): void {
  ctx.onSignal((signal) => {
    switch (signal) {
      case 'SIGQUIT':
        notice('signal 3 (SIGQUIT) received, shutting down');
        notice('gracefully shutting down');
        notice('exit');
        return ctx.exit(0);
      case 'SIGTERM':
      case 'SIGINT':
        notice(`signal ${signal === 'SIGTERM' ? 15 : 2} (${signal}) received, exiting`);
        notice('exit');
        return ctx.exit(0);
      case 'SIGHUP':
        notice('signal 1 (SIGHUP) received from 1, reconfiguring');
        notice('reconfiguring');
        return;
    }
  });
}
