// `cluster inspect` as SwarmKit's swarmctl prints it: the settings it shows and the join tokens.

import type { ClusterObject } from '../../api/objects.ts';
import { formatDuration } from '../duration.ts';
import { SUMMARY, tabwrite } from '../tabwriter.ts';

export function formatClusterSummary(c: ClusterObject): string {
  const spec = c.Spec;
  let s = `ID\t: ${c.ID}\n`;
  if (spec.Name) s += `Name\t: ${spec.Name}\n`;
  s += 'Orchestration settings:\n';
  s += `  Task history entries: ${spec.Orchestration?.TaskHistoryRetentionLimit ?? 0}\n`;
  const heartbeat = spec.Dispatcher?.HeartbeatPeriod;
  if (heartbeat !== undefined) s += `Dispatcher settings:\n  Dispatcher heartbeat period: ${formatDuration(heartbeat)}\n`;
  s += 'Certificate Authority settings:\n';
  const expiry = spec.CAConfig?.NodeCertExpiry;
  if (expiry !== undefined) s += `  Certificate Validity Duration: ${formatDuration(expiry)}\n`;
  s += '  Join Tokens:\n';
  s += `    Worker: ${c.JoinTokens?.Worker ?? ''}\n`;
  s += `    Manager: ${c.JoinTokens?.Manager ?? ''}\n`;
  return tabwrite(s, SUMMARY);
}
