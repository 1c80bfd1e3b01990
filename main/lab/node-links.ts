// The links the app may open outside itself (a published port's page in the browser): plain http
// to one of the lab's node or machine addresses, with a port, and nothing else — no other scheme,
// no credentials, no other host.

import type { LabView } from './protocol.ts';

/** The addresses of the lab's machines and nodes. */
export function nodeAddresses(view: Pick<LabView, 'machines' | 'nodes'>): Set<string> {
  const out = new Set<string>();
  for (const m of view.machines) if (m.address) out.add(m.address);
  for (const n of view.nodes) if (n.addr) out.add(n.addr.replace(/:\d+$/, ''));
  return out;
}

export function isNodeLink(url: string, view: Pick<LabView, 'machines' | 'nodes'>): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' || u.username || u.password || !u.port) return false;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return nodeAddresses(view).has(host);
}
