// SwarmKit's Resolver: the names shown where objects refer to each other by ID (a task's node and
// service). Built from lists the command fetched once, instead of one request per ID; with
// -n/--no-resolve it gives the IDs back.

import type { NodeObject, ServiceObject } from '../api/objects.ts';

export interface Names {
  node(id: string | undefined): string;
  service(id: string): string;
}

export const nodeName = (n: NodeObject) => n.Spec.Name || n.Description?.Hostname || n.ID;

export function makeNames(lists: { nodes?: readonly NodeObject[]; services?: readonly ServiceObject[] }, resolve = true): Names {
  const nodes = new Map((lists.nodes ?? []).map((n) => [n.ID, nodeName(n)]));
  const services = new Map((lists.services ?? []).map((s) => [s.ID, s.Spec.Name ?? s.ID]));
  return {
    node: (id) => (id ? (resolve ? (nodes.get(id) ?? id) : id) : ''),
    service: (id) => (resolve ? (services.get(id) ?? id) : id),
  };
}
