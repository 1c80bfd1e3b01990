// An HTTP server that says who answered, in the manner of traefik/whoami — the load-balancing
// demo: curl the service a few times and watch Hostname change. Beside whoami's own lines it names
// the swarmlab node, service, task slot and the image's version, so a rolling update from :1 to :2
// shows up task by task.

import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';
import type { BuiltinProgram, ListenedAddress, ProgramContext } from '../program.ts';
import { flagValue, parsePort } from './flags.ts';
import { serveHttp } from './http-service.ts';
import { dieOnTerminatingSignals } from './terminate.ts';

export const whoamiProgram: BuiltinProgram = {
  async run(ctx) {
    dieOnTerminatingSignals(ctx);
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
    ip: addresses(address.host),
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
