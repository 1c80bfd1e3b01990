// `service ls` and the summary of `service inspect`, as SwarmKit's swarmctl prints them, from
// Docker-shaped services.

import type { ResourceAmounts, ServiceObject } from '../../api/objects.ts';
import { iBytes, timestampAgo } from '../humanize.ts';
import { header, SUMMARY, TABLE, tabwrite } from '../tabwriter.ts';
import { containerLines } from './tasks.ts';

/** "running/replicas" for a replicated service; a global one says so. */
export function replicasText(s: ServiceObject, running: number): string {
  const mode = s.Spec.Mode;
  if ('Global' in mode) return 'global';
  return `${running}/${mode.Replicated.Replicas ?? 1}`;
}

/** `running`: by service ID, the tasks running on nodes that are not down. */
export function formatServiceList(services: readonly ServiceObject[], running: ReadonlyMap<string, number>, quiet = false): string {
  if (quiet) return services.map((s) => `${s.ID}\n`).join('');
  let out = header('ID', 'Name', 'Image', 'Replicas');
  for (const s of services) {
    out += `${s.ID}\t${s.Spec.Name ?? ''}\t${s.Spec.TaskTemplate.ContainerSpec?.Image ?? ''}\t${replicasText(s, running.get(s.ID) ?? 0)}\n`;
  }
  return tabwrite(out, TABLE);
}

function resourceLines(title: string, r: ResourceAmounts | undefined): string {
  if (!r?.NanoCPUs && !r?.MemoryBytes) return '';
  let s = `    ${title}:\t\n`;
  if (r.NanoCPUs) s += `      CPU\t: ${r.NanoCPUs / 1e9}\n`;
  if (r.MemoryBytes) s += `      Memory\t: ${iBytes(r.MemoryBytes)}\n`;
  return s;
}

export function formatServiceSummary(s: ServiceObject, running: number, now: Date): string {
  const task = s.Spec.TaskTemplate;
  let out = `ID\t: ${s.ID}\n`;
  if (s.Spec.Name) out += `Name\t: ${s.Spec.Name}\n`;
  const labels = Object.entries(s.Spec.Labels ?? {});
  if (labels.length) out += `Labels\t\n${labels.map(([k, v]) => `  ${k}\t: ${v}\n`).join('')}`;
  out += `Replicas\t: ${replicasText(s, running)}\n`;

  const update = s.UpdateStatus;
  if (update) {
    out += 'Update Status\t\n';
    out += ` State\t: ${update.State.toUpperCase()}\n`;
    if (update.StartedAt) out += ` Started\t: ${timestampAgo(update.StartedAt, now)}\n`;
    if (update.State === 'completed' && update.CompletedAt) out += ` Completed\t: ${timestampAgo(update.CompletedAt, now)}\n`;
    out += ` Message\t: ${update.Message ?? ''}\n`;
  }

  out += 'Template\t\n';
  out += ' Container\t\n';
  out += containerLines(task.ContainerSpec);
  const constraints = (task.Placement?.Constraints ?? []).join(', ');
  if (constraints) out += `  Constraints\t: ${constraints}\n`;
  const reservations = resourceLines('Reservations', task.Resources?.Reservations);
  const limits = resourceLines('Limits', task.Resources?.Limits);
  if (reservations || limits) out += `  Resources\t\n${reservations}${limits}`;
  const networks = task.Networks ?? [];
  if (networks.length) out += `  Networks:${networks.map((n) => ` ${n.Target}`).join('')}\n`;

  const ports = s.Endpoint?.Ports ?? [];
  if (ports.length) {
    out += '\nPorts:\n';
    for (const p of ports) {
      out += `    - Name\t= ${p.Name ?? ''}\n`;
      out += `      Protocol\t= ${p.Protocol ?? 'tcp'}\n`;
      out += `      Port\t= ${p.TargetPort}\n`;
      out += `      SwarmPort\t= ${p.PublishedPort ?? 0}\n`;
    }
  }
  return tabwrite(out, SUMMARY);
}
