// `node ls` and `node inspect` as SwarmKit's swarmctl prints them, from Docker-shaped nodes.
// SwarmKit prints its enums by their Go names (READY, ACTIVE, REACHABLE): the Engine API's
// lowercase values are upper-cased to match.

import type { NodeObject } from '../../api/objects.ts';
import { iBytes } from '../humanize.ts';
import { nodeName } from '../names.ts';
import { header, SUMMARY, TABLE, tabwrite } from '../tabwriter.ts';

const upper = (s: string | undefined) => (s ?? '').toUpperCase();

/** Manager Status: the Raft reachability, starred for the leader; UNKNOWN for a manager not yet in Raft. */
export function managerStatus(n: NodeObject): string {
  if (n.ManagerStatus) return `${upper(n.ManagerStatus.Reachability)}${n.ManagerStatus.Leader ? ' *' : ''}`;
  return n.Spec.Role === 'manager' ? 'UNKNOWN' : '';
}

export function formatNodeList(nodes: readonly NodeObject[], quiet = false): string {
  if (quiet) return nodes.map((n) => `${n.ID}\n`).join('');
  let s = header('ID', 'Name', 'Membership', 'Status', 'Availability', 'Manager Status');
  for (const n of nodes) {
    // Every node the Engine API lists was accepted into the swarm: it has no pending membership.
    s += `${n.ID}\t${nodeName(n)}\tACCEPTED\t${upper(n.Status.State)}\t${upper(n.Spec.Availability)}\t${managerStatus(n)}\n`;
  }
  return tabwrite(s, TABLE);
}

const ifSet = (format: string, v: string | undefined) => (v ? format.replace('%s', v) : '');

export function formatNodeSummary(n: NodeObject): string {
  const desc = n.Description;
  let s = ifSet('ID\t: %s\n', n.ID);
  s += ifSet('Name\t: %s\n', n.Spec.Name);
  s += ifSet('Hostname\t: %s\n', desc?.Hostname);
  // Not in SwarmKit's summary: node labels are what placement constraints match, so show them.
  const labels = Object.entries(n.Spec.Labels ?? {});
  if (labels.length) s += `Labels\t\n${labels.map(([k, v]) => `  ${k}\t: ${v}\n`).join('')}`;
  s += 'Status:\t\n';
  s += ifSet('  State\t: %s\n', upper(n.Status.State));
  s += ifSet('  Message\t: %s\n', n.Status.Message);
  s += ifSet('  Availability\t: %s\n', upper(n.Spec.Availability));
  if (n.ManagerStatus) {
    s += 'Manager:\t\n';
    s += ifSet('  Address\t: %s\n', n.ManagerStatus.Addr);
    s += ifSet('  Raft status\t: %s\n', upper(n.ManagerStatus.Reachability));
    s += `  Leader\t: ${n.ManagerStatus.Leader ? 'yes' : 'no'}\n`;
  }
  if (desc?.Platform) {
    s += 'Platform:\t\n';
    s += ifSet('  Operating System\t: %s\n', desc.Platform.OS);
    s += ifSet('  Architecture\t: %s\n', desc.Platform.Architecture);
  }
  const res = desc?.Resources;
  if (res && (res.NanoCPUs || res.MemoryBytes)) {
    s += 'Resources:\t\n';
    if (res.NanoCPUs) s += `  CPUs\t: ${res.NanoCPUs / 1e9}\n`;
    if (res.MemoryBytes) s += `  Memory\t: ${iBytes(res.MemoryBytes)}\n`;
  }
  if (desc?.Engine) {
    const byType = new Map<string, string[]>();
    for (const p of desc.Engine.Plugins ?? []) byType.set(p.Type, [...(byType.get(p.Type) ?? []), p.Name]);
    if (byType.size) s += 'Plugins:\t\n';
    for (const type of [...byType.keys()].sort()) s += `  ${type}\t: [${byType.get(type)!.join(' ')}]\n`;
    s += ifSet('Engine Version\t: %s\n', desc.Engine.EngineVersion);
    const engineLabels = Object.entries(desc.Engine.Labels ?? {});
    if (engineLabels.length) s += `Engine Labels:\t\n${engineLabels.map(([k, v]) => `  ${k} = ${v}\n`).join('')}`;
  }
  return tabwrite(s, SUMMARY);
}
