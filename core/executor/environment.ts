// A container's environment as Docker composes it: PATH and HOSTNAME first, then the image's
// variables, then the spec's (a later NAME replaces an earlier one in place), HOME last if no one
// set it. swarmlab adds variables naming the task, its service and its node, before the spec's
// so that a service can still override them.

import type { TaskIdentity } from './program.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function swarmlabEnv(id: TaskIdentity): string[] {
  return [
    `SWARMLAB_TASK_ID=${id.taskId}`,
    `SWARMLAB_TASK_NAME=${id.taskName}`,
    ...(id.slot !== undefined ? [`SWARMLAB_TASK_SLOT=${id.slot}`] : []),
    `SWARMLAB_SERVICE_ID=${id.serviceId}`,
    `SWARMLAB_SERVICE_NAME=${id.serviceName}`,
    `SWARMLAB_NODE_ID=${id.nodeId}`,
    `SWARMLAB_NODE_HOSTNAME=${id.nodeHostname}`,
  ];
}

export function containerEnv(parts: { hostname: string; image: readonly string[]; swarmlab: readonly string[]; spec: readonly string[] }): string[] {
  let env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${parts.hostname}`];
  // Docker passes an entry without "=" from the client's own environment; the node has none to give.
  for (const layer of [parts.image, parts.swarmlab, parts.spec]) env = replaceOrAppend(env, layer.filter((e) => e.includes('=')));
  if (!env.some((e) => e.startsWith('HOME='))) env.push('HOME=/root');
  return env;
}

export function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf('=');
    out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

function replaceOrAppend(base: string[], over: readonly string[]): string[] {
  const out = [...base];
  const index = new Map(out.map((e, i) => [e.slice(0, e.indexOf('=')), i]));
  for (const e of over) {
    const name = e.slice(0, e.indexOf('='));
    const at = index.get(name);
    if (at !== undefined) out[at] = e;
    else index.set(name, out.push(e) - 1);
  }
  return out;
}
