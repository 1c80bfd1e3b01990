// Tasks as SwarmKit's swarmctl prints them: `task ls`, the task table under `service inspect` and
// `node inspect` (task.Print), and `task inspect`. Relative times are taken against `now`.

import type { TaskObject } from '../../api/objects.ts';
import { stateRank } from '../../api/task-state.ts';
import { timestampAgo } from '../humanize.ts';
import type { Names } from '../names.ts';
import { header, SUMMARY, TABLE, TASK_TABLE, tabwrite } from '../tabwriter.ts';

const upper = (s: string | undefined) => (s ?? '').toUpperCase();

/** Without -a, only tasks still meant to run (desired state up to RUNNING). */
export const shownByDefault = (t: TaskObject) => stateRank(t.DesiredState) <= stateRank('running');

/** "RUNNING 5 seconds ago" */
const lastState = (t: TaskObject, now: Date) => `${upper(t.Status.State)} ${timestampAgo(t.Status.Timestamp, now)}`;

export function formatTaskList(tasks: readonly TaskObject[], names: Names, now: Date, opts: { all?: boolean; quiet?: boolean } = {}): string {
  const shown = tasks.filter((t) => opts.all || shownByDefault(t));
  if (opts.quiet) return shown.map((t) => `${t.ID}\n`).join('');
  let s = header('ID', 'Service', 'Desired State', 'Last State', 'Node');
  for (const t of shown) {
    s += `${t.ID}\t${names.service(t.ServiceID)}.${t.Slot ?? 0}\t${upper(t.DesiredState)}\t${lastState(t, now)}\t${names.node(t.NodeID)}\n`;
  }
  return tabwrite(s, TABLE);
}

/** By slot, then the newest first (a slot's history reads downwards from its current task). */
export function bySlot(tasks: readonly TaskObject[]): TaskObject[] {
  return [...tasks].sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt));
}

/** SwarmKit's task.Print: the table under `service inspect` and `node inspect`. */
export function formatTaskTable(tasks: readonly TaskObject[], names: Names, now: Date, all: boolean): string {
  let s = header('Task ID', 'Service', 'Slot', 'Image', 'Desired State', 'Last State', 'Node');
  for (const t of bySlot(tasks)) {
    if (!all && !shownByDefault(t)) continue;
    const service = t.ServiceName ?? names.service(t.ServiceID);
    s += `${t.ID}\t${service}\t${t.Slot ?? 0}\t${t.Spec.ContainerSpec?.Image ?? ''}\t${upper(t.DesiredState)}\t${lastState(t, now)}\t${names.node(t.NodeID)}\n`;
  }
  return tabwrite(s, TASK_TABLE);
}

const ifSet = (format: string, v: string | undefined) => (v ? format.replace('%s', v) : '');

/** Go's %q of a plain string, which is JSON's quoting for anything printable. */
export const goQuote = (s: string) => JSON.stringify(s);

/** Image, Command, Args and Env as SwarmKit prints a container spec (under Spec or Template). */
export function containerLines(c: { Image?: string; Command?: string[]; Args?: string[]; Env?: string[] } | undefined): string {
  if (!c) return '';
  let s = ifSet('  Image\t: %s\n', c.Image);
  const command = (c.Command ?? []).join(' ');
  if (command) s += `  Command\t: ${goQuote(command)}\n`;
  const args = (c.Args ?? []).join(', ');
  if (args) s += `  Args\t: [${args}]\n`;
  const env = (c.Env ?? []).join(', ');
  if (env) s += `  Env\t: [${env}]\n`;
  return s;
}

function statusLines(t: TaskObject): string {
  let s = 'Status\t\n';
  s += `  Desired State\t: ${upper(t.DesiredState)}\n`;
  s += `  Last State\t: ${upper(t.Status.State)}\n`;
  s += ifSet('  Timestamp\t: %s\n', t.Status.Timestamp);
  s += ifSet('  Message\t: %s\n', t.Status.Message);
  s += ifSet('  Error\t: %s\n', t.Status.Err);
  const c = t.Status.ContainerStatus;
  if (c) {
    s += ifSet('  ContainerID\t: %s\n', c.ContainerID);
    if (c.PID) s += `  Pid\t: ${c.PID}\n`;
    if (stateRank(t.Status.State) > stateRank('running')) s += `  ExitCode\t: ${c.ExitCode ?? 0}\n`;
  }
  const ports = t.Status.PortStatus?.Ports ?? [];
  if (ports.length) {
    s += `Ports\t: ${ports.map((p) => `0.0.0.0:${p.PublishedPort ?? 0}->${p.TargetPort}/${p.Protocol ?? 'tcp'}`).join(', ')}\n`;
  }
  return s;
}

export function formatTaskSummary(t: TaskObject, names: Names): string {
  let s = `ID\t: ${t.ID}\n`;
  s += `Slot\t: ${t.Slot ?? 0}\n`;
  s += `Service\t: ${t.ServiceName ?? names.service(t.ServiceID)}\n`;
  s += statusLines(t);
  s += `Node\t: ${names.node(t.NodeID)}\n`;
  s += 'Spec\t\n';
  s += containerLines(t.Spec.ContainerSpec);
  return tabwrite(s, SUMMARY);
}

/** The tasks that held the same place before this one: its slot, or for a global service its node. */
export function taskParents(task: TaskObject, serviceTasks: readonly TaskObject[]): TaskObject[] {
  return serviceTasks.filter((t) => (task.Slot !== undefined ? t.Slot === task.Slot : t.Slot === undefined && t.NodeID === task.NodeID));
}
