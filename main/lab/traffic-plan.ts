// Where "send traffic" sends its requests: which published port, through which node's address.
// Pure (no Node modules), so that the renderer's demo feed plans its pretend traffic the same way.

import { LabError } from './errors.ts';
import type { LabView, NodeView, PortView, TrafficRequest } from './protocol.ts';

export const TRAFFIC_DEFAULTS = { count: 20, rate: 5 } as const;

export interface TrafficPlan {
  serviceId: string;
  serviceName: string;
  url: string;
  viaHost: string;
  viaNodeId?: string;
  count: number;
  intervalMs: number;
}

/** A node's address for its published ports: its machine's, else the one the swarm knows. */
export function nodeAddress(n: NodeView, view: Pick<LabView, 'machines'>): string {
  const m = n.machine === undefined ? undefined : view.machines.find((x) => x.name === n.machine);
  return m?.address || n.addr.replace(/:\d+$/, '');
}

/** Whether a node can answer on its address now (ready, and its machine running). */
function answers(n: NodeView, view: Pick<LabView, 'machines'>): boolean {
  if (n.state !== 'ready') return false;
  const m = n.machine === undefined ? undefined : view.machines.find((x) => x.name === n.machine);
  return !m || m.state === 'Running';
}

const isWhoami = (image: string) => /(^|\/)whoami(:|@|$)/.test(image);

/**
 * Where the requests go: the service's published TCP port (the one asked for, or the first), on
 * the node asked for or, by default, the first node that runs no task of the service (the mesh
 * forwards), else the first node that answers. A host-mode port is only open where a task runs.
 */
export function planTraffic(view: LabView, req: TrafficRequest): TrafficPlan {
  const s = view.services.find((x) => x.id === req.serviceId || x.name === req.serviceId);
  if (!s) throw new LabError(`no service ${req.serviceId}`);
  const published = s.ports.filter((p): p is PortView & { publishedPort: number } => p.protocol === 'tcp' && p.publishedPort !== undefined);
  const port = req.port === undefined ? published[0] : published.find((p) => p.publishedPort === req.port);
  if (!port) {
    throw new LabError(
      req.port === undefined
        ? `${s.name} publishes no TCP port: update it with a published port (e.g. 8080:80) to send it traffic`
        : `${s.name} does not publish port ${req.port} (it publishes ${published.map((p) => p.publishedPort).join(', ') || 'none'})`,
    );
  }
  const running = new Set(view.tasks.filter((t) => t.serviceId === s.id && t.state === 'running' && t.nodeId).map((t) => t.nodeId!));
  let via: NodeView | undefined;
  if (req.viaNodeId !== undefined) {
    via = view.nodes.find((n) => n.id === req.viaNodeId || n.hostname === req.viaNodeId);
    if (!via) throw new LabError(`no node ${req.viaNodeId}`);
    if (port.publishMode === 'host' && !running.has(via.id)) throw new LabError(`port ${port.publishedPort} of ${s.name} is published in host mode: only nodes that run one of its tasks answer on it, and ${via.hostname} runs none`);
  } else {
    const up = view.nodes.filter((n) => answers(n, view));
    via = port.publishMode === 'host' ? up.find((n) => running.has(n.id)) : (up.find((n) => !running.has(n.id)) ?? up[0]);
    if (!via) throw new LabError(port.publishMode === 'host' ? `no node that answers runs a task of ${s.name} (its port ${port.publishedPort} is published in host mode)` : 'no node answers now');
  }
  const addr = nodeAddress(via, view);
  if (!addr) throw new LabError(`${via.hostname} has no address yet`);
  const path = req.path ?? (isWhoami(s.image) ? '/api' : '/');
  const count = req.count ?? TRAFFIC_DEFAULTS.count;
  const rate = req.rate ?? TRAFFIC_DEFAULTS.rate;
  return {
    serviceId: s.id,
    serviceName: s.name,
    url: `http://${addr.includes(':') ? `[${addr}]` : addr}:${port.publishedPort}${path.startsWith('/') ? path : `/${path}`}`,
    viaHost: via.hostname,
    viaNodeId: via.id,
    count,
    intervalMs: Math.round(1000 / rate),
  };
}

