// The delta between two views, and its inverse: what the controller sends after each read of the
// swarm, so that a refresh that changed one task sends one task. Pure; applyDelta(a, diffView(a, b))
// equals b (the property test holds it to that).

import type { LabView, MachineView, NetworkView, NodeView, ServiceView, TaskView, ViewDelta } from './protocol.ts';
import { byMachine, byNetwork, byNode, byService, byTask } from './view.ts';

/** What changed from `prev` to `next`; undefined when nothing did. */
export function diffView(prev: LabView, next: LabView): ViewDelta | undefined {
  const d: ViewDelta = {};
  if (prev.phase !== next.phase) d.phase = next.phase;
  if (prev.name !== next.name) d.name = next.name ?? null;
  if (prev.via !== next.via) d.via = next.via ?? null;
  if (prev.stale !== next.stale) d.stale = next.stale;
  if (prev.leaderId !== next.leaderId) d.leaderId = next.leaderId ?? null;
  if (!equal(prev.quorum, next.quorum)) d.quorum = next.quorum;
  const machines = diffTable(prev.machines, next.machines, (m) => m.name);
  if (machines) d.machines = machines;
  const nodes = diffTable(prev.nodes, next.nodes, (n) => n.id);
  if (nodes) d.nodes = nodes;
  const services = diffTable(prev.services, next.services, (s) => s.id);
  if (services) d.services = services;
  const tasks = diffTable(prev.tasks, next.tasks, (t) => t.id);
  if (tasks) d.tasks = tasks;
  const networks = diffTable(prev.networks ?? [], next.networks ?? [], (n) => n.id);
  if (networks) d.networks = networks;
  return Object.keys(d).length > 0 ? d : undefined;
}

export function applyDelta(view: LabView, d: ViewDelta): LabView {
  const out: LabView = { ...view };
  if (d.phase !== undefined) out.phase = d.phase;
  setOptional(out, 'name', d.name);
  setOptional(out, 'via', d.via);
  setOptional(out, 'leaderId', d.leaderId);
  if (d.stale !== undefined) out.stale = d.stale;
  if (d.quorum) out.quorum = d.quorum;
  if (d.machines) out.machines = patch<MachineView>(view.machines, d.machines, (m) => m.name).sort(byMachine);
  if (d.nodes) out.nodes = patch<NodeView>(view.nodes, d.nodes, (n) => n.id).sort(byNode);
  if (d.services) out.services = patch<ServiceView>(view.services, d.services, (s) => s.id).sort(byService);
  if (d.tasks) out.tasks = patch<TaskView>(view.tasks, d.tasks, (t) => t.id).sort(byTask);
  if (d.networks) out.networks = patch<NetworkView>(view.networks ?? [], d.networks, (n) => n.id).sort(byNetwork);
  return out;
}

function setOptional(v: LabView, key: 'name' | 'via' | 'leaderId', value: string | null | undefined): void {
  if (value === null) delete v[key];
  else if (value !== undefined) v[key] = value;
}

interface TableDelta<T> {
  upsert?: T[];
  remove?: string[];
}

function diffTable<T>(prev: readonly T[], next: readonly T[], key: (x: T) => string): TableDelta<T> | undefined {
  const before = new Map(prev.map((x) => [key(x), x]));
  const after = new Set<string>();
  const upsert: T[] = [];
  for (const x of next) {
    const k = key(x);
    after.add(k);
    const old = before.get(k);
    if (old === undefined || !equal(old, x)) upsert.push(x);
  }
  const remove = [...before.keys()].filter((k) => !after.has(k));
  if (upsert.length === 0 && remove.length === 0) return undefined;
  return { ...(upsert.length ? { upsert } : {}), ...(remove.length ? { remove } : {}) };
}

function patch<T>(list: readonly T[], d: TableDelta<T>, key: (x: T) => string): T[] {
  const byKey = new Map(list.map((x) => [key(x), x]));
  for (const k of d.remove ?? []) byKey.delete(k);
  for (const x of d.upsert ?? []) byKey.set(key(x), x);
  return [...byKey.values()];
}

/** Structural equality of plain data (what views are made of); key order does not matter. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => equal(x, bb[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
