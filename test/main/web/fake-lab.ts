// A LabApi without a cluster, for the transports' tests: records every call, answers what a test
// overrides (else undefined), starts each subscription with a snapshot and lets the test emit events.

import { LAB_METHODS, type LabApi, type LabEvent, type LabView } from '../../../main/lab/protocol.ts';

export interface FakeLab extends LabApi {
  calls: { method: string; params: unknown }[];
  /** How many subscriptions were started (each one sent a snapshot). */
  snapshots: number;
  subscribers(): number;
  emit(e: LabEvent): void;
}

export function emptyView(name = 'fake'): LabView {
  return { phase: 'running', name, stale: false, quorum: { managers: 0, reachable: 0, quorum: 0, canLose: 0 }, machines: [], nodes: [], services: [], tasks: [] };
}

export function fakeLab(overrides: Partial<LabApi> = {}): FakeLab {
  const listeners = new Set<(e: LabEvent) => void>();
  const lab = { calls: [], snapshots: 0 } as unknown as FakeLab;
  const methods = lab as unknown as Record<string, (p: unknown) => Promise<unknown>>;
  for (const m of LAB_METHODS) {
    const own = overrides[m] as ((p: unknown) => unknown) | undefined;
    methods[m] = async (params: unknown) => {
      lab.calls.push({ method: m, params });
      return own ? own(params) : undefined;
    };
  }
  lab.subscribe = (listener) => {
    listeners.add(listener);
    lab.snapshots++;
    listener({ type: 'snapshot', view: emptyView(`snapshot ${lab.snapshots}`), timeline: [] });
    return () => listeners.delete(listener);
  };
  lab.subscribers = () => listeners.size;
  lab.emit = (e) => {
    for (const l of [...listeners]) l(e);
  };
  return lab;
}
