// DNS rebinding defence: a page on evil.example whose name resolves to 127.0.0.1 reaches this server
// with its own name in Host and Origin. Only our own loopback names are served.

import type { IncomingHttpHeaders } from 'node:http';

export interface Allowed {
  hosts: Set<string>;
  origins: Set<string>;
}

export function allowedFor(port: number): Allowed {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return { hosts: new Set(hosts), origins: new Set(hosts.map((h) => `http://${h}`)) };
}

/**
 * Why a request is refused, or undefined when its Host (required) and Origin (when a browser sent
 * one; non-browser clients send none and cannot be rebound) are ours.
 */
export function refuseForeign(headers: IncomingHttpHeaders, allowed: Allowed): string | undefined {
  const host = headers.host?.toLowerCase();
  if (!host || !allowed.hosts.has(host)) return `forbidden: Host ${JSON.stringify(headers.host ?? '')} is not this server's`;
  const origin = headers.origin;
  if (origin !== undefined && !allowed.origins.has(origin.toLowerCase())) return `forbidden: Origin ${JSON.stringify(origin)} is not this server's`;
  return undefined;
}
