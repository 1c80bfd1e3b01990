// The service dialogs' text fields, read the way `docker service create` reads its flags:
// ports as PUBLISHED:TARGET[/PROTOCOL] (comma-separated), constraints as FIELD==VALUE or FIELD!=VALUE.

import type { ServiceCreateRequest } from '../../main/lab/protocol.ts';

export type Ports = NonNullable<ServiceCreateRequest['ports']>;

export function parsePorts(text: string): Ports | string {
  const out: Ports = [];
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(part);
    if (!m) return `"${part}" is not a port: write PUBLISHED:TARGET, e.g. 8080:80 or 53:53/udp`;
    const target = Number(m[2]);
    const published = m[1] !== undefined ? Number(m[1]) : undefined;
    if (target < 1 || target > 65535 || (published !== undefined && (published < 1 || published > 65535))) return `"${part}": ports go from 1 to 65535`;
    out.push({ target, ...(published !== undefined ? { published } : {}), protocol: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' });
  }
  return out;
}

export function parseConstraints(text: string): string[] | string {
  const out: string[] = [];
  for (const part of text.split(/[,\n]+/).map((s) => s.trim()).filter(Boolean)) {
    if (!/^[\w.-]+\s*(==|!=)\s*\S+$/.test(part)) return `"${part}" is not a constraint: write e.g. node.role==worker or node.labels.zone!=a`;
    out.push(part.replace(/\s+/g, ''));
  }
  return out;
}

/** Docker's service names: a letter or digit first, then letters, digits, '-', '_' or '.'. */
export function checkName(name: string): string | undefined {
  if (!name) return 'a service needs a name';
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return 'use letters, digits, "-", "_" and "." (starting with a letter or digit)';
  return undefined;
}

/** Go-style durations as Docker takes them: 500ms, 5s, 1m30s. */
export function checkDuration(d: string): string | undefined {
  if (d === '' || /^(\d+(\.\d+)?(ms|s|m|h))+$/.test(d)) return undefined;
  return `"${d}" is not a duration: write e.g. 5s, 500ms or 1m`;
}
