// A WordPress stand-in for the compose demo (wordpress + mysql, the database password a secret):
// HTTP on port 80 where each request logs in to the database at WORDPRESS_DB_HOST through the
// task's network, counts the visit there, and shows who answered: this task and node, and the
// database task behind the name. When the database cannot be reached or refuses the login, the
// answer is WordPress's own 500 page, "Error establishing a database connection", with the reason.
//
// Settings, as the official image takes them: WORDPRESS_DB_HOST (default db:3306; a port after a
// colon, else 3306), WORDPRESS_DB_USER (default "example username"), WORDPRESS_DB_PASSWORD or
// WORDPRESS_DB_PASSWORD_FILE (default "example password"), WORDPRESS_DB_NAME (default wordpress).

import type { IncomingMessage } from 'node:http';
import type { BuiltinProgram, ProgramContext } from '../program.ts';
import { accessLogLine } from './access-log.ts';
import { fileEnv } from './file-env.ts';
import { connectTo, errnoText, RequestError } from './http-client.ts';
import { serveHttp } from './http-service.ts';
import { MYSQL_PORT } from './mysql.ts';
import { isErrorReply, RespClient } from './resp-client.ts';
import type { Reply } from './resp.ts';
import { dieOnTerminatingSignals } from './terminate.ts';

const DB_TIMEOUT_MS = 5_000;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface DbSettings {
  host: string;
  port: number;
  /** As written: db:3306. */
  address: string;
  user: string;
  password: string;
  name: string;
}

export function parseDbHost(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: text, port: MYSQL_PORT };
}

export const wordpressProgram: BuiltinProgram = {
  async run(ctx) {
    const password = fileEnv(ctx, 'WORDPRESS_DB_PASSWORD', 'example password');
    if ('error' in password) {
      ctx.stderr.write(`error: ${password.error}\n`);
      return ctx.exit(1);
    }
    const address = ctx.env.WORDPRESS_DB_HOST || 'db:3306';
    const db: DbSettings = {
      ...parseDbHost(address),
      address,
      user: ctx.env.WORDPRESS_DB_USER ?? 'example username',
      password: password.value ?? '',
      name: ctx.env.WORDPRESS_DB_NAME ?? 'wordpress',
    };
    dieOnTerminatingSignals(ctx);
    // The image's stop signal: Apache's graceful stop.
    ctx.onSignal((signal) => {
      if (signal !== 'SIGWINCH') return;
      ctx.stderr.write(`${apacheTime(ctx)} [mpm_prefork:notice] [pid 1] AH00170: caught SIGWINCH, shutting down gracefully\n`);
      ctx.exit(0);
    });
    ctx.stderr.write('WordPress not found in /var/www/html - copying now...\nComplete! WordPress has been successfully copied to /var/www/html\n');
    ctx.stderr.write(`AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using ${ctx.net.addresses[0] ?? '127.0.0.1'}. Set the 'ServerName' directive globally to suppress this message\n`);
    await serveHttp(ctx, 80, (req, res) => {
      void visit(ctx, db).then((outcome) => {
        if (ctx.exited) return void res.destroy();
        let status: number;
        let body: string;
        if ('error' in outcome) {
          status = 500;
          body = errorPage(outcome.error);
          ctx.stderr.write(`${apacheTime(ctx)} [php:warn] [pid 1] [client ${clientOf(req)}] PHP Warning:  mysqli_real_connect(): ${outcome.error} in /var/www/html/wp-includes/class-wpdb.php on line 1988\n`);
        } else {
          status = 200;
          body = page(ctx, db, outcome);
        }
        const bytes = Buffer.byteLength(body);
        res.writeHead(status, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': bytes }).end(req.method === 'HEAD' ? undefined : body);
        ctx.stdout.write(accessLogLine(req, status, bytes, ctx.clock.now()));
      }, (err: unknown) => {
        res.destroy();
        ctx.stderr.write(`${(err as Error).message}\n`);
      });
    });
    ctx.stderr.write(`${apacheTime(ctx)} [mpm_prefork:notice] [pid 1] AH00163: Apache/2.4.62 (Debian) PHP/8.2.26 configured -- resuming normal operations\n`);
  },
};

const clientOf = (req: IncomingMessage) => `${(req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '')}:${req.socket.remotePort ?? 0}`;

/** Apache's error-log time: [Wed Jan 01 12:00:00.000000 2025]. */
function apacheTime(ctx: ProgramContext): string {
  const d = new Date(ctx.clock.now());
  return `[${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000 ${d.getUTCFullYear()}]`;
}

interface Visit {
  visits: number;
  /** The database server that answered: version, hostname, task, address. */
  server: string[];
  /** The address the database's name resolved to. */
  address: string;
}

const text = (r: Reply) => (Buffer.isBuffer(r) ? r.toString('utf8') : typeof r === 'string' || typeof r === 'number' ? String(r) : '');

/** MySQL's client error text for a failure: "(HY000/2002): Connection refused". */
function mysqlClientError(err: unknown, db: DbSettings): string {
  if (err instanceof RequestError) {
    if (err.failure === 'resolve') return `(HY000/2002): php_network_getaddresses: getaddrinfo for ${db.host} failed: Name or service not known`;
    if (err.failure === 'timeout') return '(HY000/2002): Connection timed out';
    return `(HY000/2002): ${errnoText(err.code)}`;
  }
  return `(HY000/2006): MySQL server has gone away (${(err as Error).message})`;
}

/** "ERROR 1045 (28000): Access denied..." → "(28000/1045): Access denied...", as mysqli says it. */
function mysqlServerError(reply: { error: string }): string {
  const m = /^ERROR (\d+) \((\w+)\): (.*)$/.exec(reply.error);
  return m ? `(${m[2]}/${m[1]}): ${m[3]}` : reply.error;
}

async function visit(ctx: ProgramContext, db: DbSettings): Promise<Visit | { error: string }> {
  let client: RespClient | undefined;
  try {
    const { socket, address } = await connectTo(ctx, db.host, db.port, DB_TIMEOUT_MS);
    client = new RespClient(socket);
    const timer = ctx.setTimeout(() => client?.close(), DB_TIMEOUT_MS);
    try {
      const auth = await client.call('AUTH', db.user, db.password);
      if (isErrorReply(auth)) return { error: mysqlServerError(auth) };
      let use = await client.call('USE', db.name);
      if (isErrorReply(use) && use.error.startsWith('ERROR 1049')) {
        // The image's entrypoint creates the database when its user may.
        await client.call('CREATE', 'DATABASE', db.name);
        use = await client.call('USE', db.name);
      }
      if (isErrorReply(use)) return { error: mysqlServerError(use) };
      const visits = await client.call('INCR', 'wp_visits');
      if (isErrorReply(visits)) return { error: mysqlServerError(visits) };
      const server = await client.call('SERVER');
      await client.call('QUIT').catch(() => undefined);
      return { visits: Number(visits), server: Array.isArray(server) ? server.map(text) : [], address };
    } finally {
      timer.cancel();
    }
  } catch (err) {
    return { error: mysqlClientError(err, db) };
  } finally {
    client?.close();
  }
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(ctx: ProgramContext, db: DbSettings, v: Visit): string {
  const id = ctx.identity;
  const [version = '?', dbHostname = '?', dbTask = '', dbIp = ''] = v.server;
  const dbWho = `${dbTask || dbHostname}${dbIp ? ` (${dbIp})` : ''}`;
  const rows: [string, string][] = [
    ['answered by', `${id.taskName} (${ctx.net.addresses[0] ?? id.hostname})`],
    ['hostname', id.hostname],
    ['node', id.nodeHostname],
    ['database', `${db.address} → ${v.address}, answered by ${dbWho}, MySQL ${version}`],
    ['database user', `${db.user} on ${db.name}`],
  ];
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>WordPress on swarmlab</title>
<style>body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 50em; margin: 2em auto; color: #1d2327; }
h1 { color: #2271b1; } td { padding: .2em .8em; } td:first-child { color: #646970; }</style>
</head>
<body>
<h1>WordPress on swarmlab</h1>
<p>Hello world! Visits: ${v.visits}</p>
<table>
${rows.map(([k, val]) => `<tr><td>${escape(k)}</td><td>${escape(val)}</td></tr>`).join('\n')}
</table>
</body>
</html>
`;
}

function errorPage(reason: string): string {
  return `<!DOCTYPE html>
<html dir="ltr">
<head>
<meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>Database Error</title>
</head>
<body id="error-page">
<div class="wp-die-message"><h1>Error establishing a database connection</h1>
<p><code>mysqli_real_connect(): ${escape(reason)}</code></p>
</div>
</body>
</html>
`;
}
