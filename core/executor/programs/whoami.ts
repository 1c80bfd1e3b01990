// An HTTP server that says who answered, in the manner of traefik/whoami — the load-balancing
// demo: curl the service a few times and watch Hostname change. Beside whoami's own lines it names
// the swarmlab node, service, task slot and the image's version, so a rolling update from :1 to :2
// shows up task by task.
//
// `whoami --client URL [--interval 1s] [--count N] [--timeout 5s]` (or `whoami client URL`) is the
// other end: it GETs URL through the task's network every interval and logs who answered, one
// line per request: `GET http://api/ 200 from api.2.xyz (10.0.1.5) in 3 ms`.

import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';
import type { BuiltinProgram, ListenedAddress, ProgramContext } from '../program.ts';
import { flagValue, parsePort } from './flags.ts';
import { describeAnswer, httpRequest, parseHttpUrl } from './http-client.ts';
import { serveHttp } from './http-service.ts';
import { dieOnTerminatingSignals } from './terminate.ts';

export const whoamiProgram: BuiltinProgram = {
  async run(ctx) {
    dieOnTerminatingSignals(ctx);
    const client = clientUrl(ctx.argv);
    if (client !== undefined) return runClient(ctx, client);
    const port = parsePort(flagValue(ctx.argv, 'port') ?? ctx.env.WHOAMI_PORT_NUMBER) ?? 80;
    const name = flagValue(ctx.argv, 'name') ?? ctx.env.WHOAMI_NAME;
    let address: ListenedAddress = { host: '127.0.0.1', port };
    ({ address } = await serveHttp(ctx, port, (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/health') {
        res.writeHead(200).end();
        return;
      }
      const facts = whoamiFacts(ctx, req, address, name);
      if (path === '/api') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(facts));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(whoamiText(facts, req));
    }));
  },
};

interface WhoamiFacts {
  name?: string;
  hostname: string;
  ip: string[];
  remoteAddr: string;
  node: string;
  nodeId: string;
  service: string;
  task: string;
  slot?: number;
  version: string;
  url: string;
  host: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

function whoamiFacts(ctx: ProgramContext, req: IncomingMessage, address: ListenedAddress, name: string | undefined): WhoamiFacts {
  const id = ctx.identity;
  return {
    ...(name ? { name } : {}),
    hostname: id.hostname,
    ip: ctx.net.addresses.length > 0 ? [...ctx.net.addresses] : addresses(address.host),
    remoteAddr: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`,
    node: id.nodeHostname,
    nodeId: id.nodeId,
    service: id.serviceName,
    task: id.taskName,
    ...(id.slot !== undefined ? { slot: id.slot } : {}),
    version: String(ctx.options.version ?? ''),
    url: req.url ?? '/',
    host: req.headers.host ?? '',
    method: req.method ?? 'GET',
    headers: req.headers,
  };
}

function whoamiText(f: WhoamiFacts, req: IncomingMessage): string {
  const lines = [
    ...(f.name ? [`Name: ${f.name}`] : []),
    `Hostname: ${f.hostname}`,
    ...f.ip.map((ip) => `IP: ${ip}`),
    `RemoteAddr: ${f.remoteAddr}`,
    `Node: ${f.node}`,
    `NodeID: ${f.nodeId}`,
    `Service: ${f.service}`,
    `Task: ${f.task}`,
    ...(f.slot !== undefined ? [`Slot: ${f.slot}`] : []),
    `Version: ${f.version}`,
    `${req.method} ${req.url} HTTP/${req.httpVersion}`,
  ];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return `${lines.join('\n')}\n\n`;
}

/** The task's addresses: the one it listens on, or every interface's for a wildcard bind. */
function addresses(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [host];
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined)
    .map((i) => i.address);
}

// ---- client mode -----------------------------------------------------------------------------------

/** The URL of `--client URL` / `--client=URL` / `client URL`, or undefined for the server. */
function clientUrl(argv: readonly string[]): string | undefined {
  if (argv[1] === 'client') return argv[2] ?? '';
  const v = flagValue(argv, 'client');
  if (v !== undefined) return v;
  return argv.slice(1).some((a) => a === '--client' || a === '-client') ? '' : undefined;
}

/** A Go duration (1s, 500ms, 1m30s, 1.5s) or a bare number of seconds, in ms. */
export function parseGoDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  if (rest === '') return undefined;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

function runClient(ctx: ProgramContext, url: string): void {
  const parsed = parseHttpUrl(url);
  if (url === '' || typeof parsed === 'string') {
    ctx.stderr.write(`whoami: client: ${url === '' ? 'a URL is needed: whoami --client http://SERVICE/' : parsed}\n`);
    return ctx.exit(2);
  }
  const durations: Record<string, number> = {};
  for (const [flag, fallback] of [['interval', 1000], ['timeout', 5000]] as const) {
    const v = flagValue(ctx.argv, flag);
    const ms = v === undefined ? fallback : parseGoDuration(v);
    if (ms === undefined) {
      ctx.stderr.write(`whoami: invalid value "${v}" for flag -${flag}: parse error\n`);
      return ctx.exit(2);
    }
    durations[flag] = ms;
  }
  const countArg = flagValue(ctx.argv, 'count');
  const count = countArg === undefined ? Infinity : Number(countArg);
  if (count !== Infinity && (!Number.isInteger(count) || count < 0)) {
    ctx.stderr.write(`whoami: invalid value "${countArg}" for flag -count: parse error\n`);
    return ctx.exit(2);
  }
  let sent = 0;
  const once = async () => {
    if (sent >= count) return ctx.exit(0);
    sent++;
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const res = await httpRequest(ctx, parsed, { timeoutMs: durations.timeout!, headers: { 'User-Agent': 'swarmlab-whoami-client' } });
      if (ctx.exited) return;
      ctx.stdout.write(`GET ${parsed.href} ${describeAnswer(res)} in ${ms()} ms\n`);
    } catch (err) {
      if (ctx.exited) return;
      ctx.stderr.write(`GET ${parsed.href} failed: ${(err as Error).message} (after ${ms()} ms)\n`);
    }
    if (sent >= count) return ctx.exit(0);
    ctx.setTimeout(() => void once(), durations.interval!);
  };
  void once();
}
