// A few reads of a machine's Docker Engine API over its unix socket: enough to know that the node
// is up and what part it plays in its swarm, without a Docker client library.

import http from 'node:http';

export function getJson<T>(socketPath: string, path: string, timeoutMs = 2_000): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text as T });
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)));
  });
}

export async function ping(socketPath: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    return (await getJson(socketPath, '/_ping', timeoutMs)).status === 200;
  } catch {
    return false;
  }
}

interface InfoSwarm {
  NodeID?: string;
  LocalNodeState?: string;
  ControlAvailable?: boolean;
}

/**
 * The node's part in its swarm, as `swarmlab ls` shows it: leader, manager, worker, or the local
 * node state when it is not active (pending, error; empty when swarm mode is off).
 */
export async function swarmRole(socketPath: string, timeoutMs = 2_000): Promise<string> {
  const info = await getJson<{ Swarm?: InfoSwarm }>(socketPath, '/info', timeoutMs);
  const swarm = info.body?.Swarm;
  if (!swarm || !swarm.LocalNodeState || swarm.LocalNodeState === 'inactive') return '';
  if (swarm.LocalNodeState !== 'active') return swarm.LocalNodeState;
  if (!swarm.ControlAvailable) return 'worker';
  const node = await getJson<{ ManagerStatus?: { Leader?: boolean } }>(socketPath, `/nodes/${encodeURIComponent(swarm.NodeID ?? '')}`, timeoutMs);
  return node.status === 200 && node.body?.ManagerStatus?.Leader ? 'leader' : 'manager';
}
