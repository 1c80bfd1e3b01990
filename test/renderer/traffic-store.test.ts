// The renderer's stores for networks and send traffic: the networks table follows snapshots and
// deltas; the traffic log keeps answers in order, counts them per task, pulses the answering task.

import { describe, expect, it } from 'vitest';
import type { LabView, NetworkView } from '../../main/lab/protocol.ts';
import { LabStore } from '../../renderer/store/lab-store.ts';
import { RUNS_KEPT, TrafficLog } from '../../renderer/store/traffic.ts';
import { networkMembership } from '../../renderer/topology/networks.ts';
import { dotsOf } from '../../renderer/store/tasks.ts';

const net = (id: string, services: string[], ingress = false): NetworkView => ({ id, name: id, driver: 'overlay', subnet: '10.0.1.0/24', ingress, attachable: false, services });
const empty: LabView = { phase: 'running', stale: false, quorum: { managers: 0, reachable: 0, quorum: 0, canLose: 0 }, machines: [], nodes: [], services: [], tasks: [] };

describe('networks in the store', () => {
  it('fills from a snapshot (none when the view has none), patches from deltas, bumps its revision', () => {
    const s = new LabStore();
    s.apply({ type: 'snapshot', view: empty, timeline: [] });
    expect(s.networks.size).toBe(0);
    s.apply({ type: 'snapshot', view: { ...empty, networks: [net('front', ['a'])] }, timeline: [] });
    expect([...s.networks.keys()]).toEqual(['front']);
    const before = s.revisions.networks;
    const changed = s.apply({ type: 'delta', delta: { networks: { upsert: [net('back', ['b'])], remove: ['front'] } } });
    expect(changed.has('networks')).toBe(true);
    expect(changed.has('tasks')).toBe(false);
    expect(s.revisions.networks).toBe(before + 1);
    expect(s.view().networks?.map((n) => n.id)).toEqual(['back']);
  });

  it('the overlay: each network reaches the nodes that run its services; ingress only on request', () => {
    const t = (id: string, serviceId: string, nodeId: string) => ({ id, serviceId, slot: 1, nodeId, state: 'running' as const, desiredState: 'running' as const, message: '', timestamp: '' });
    const dots = dotsOf([t('1', 'a', 'n1'), { ...t('2', 'b', 'n2'), slot: 1 }, { ...t('3', 'a', 'n3'), slot: 2 }]);
    const drawn = networkMembership([net('front', ['a', 'b']), net('back', ['b']), net('ingress', ['a'], true)], dots.values(), false);
    expect(drawn.map((d) => [d.network.id, d.index, d.nodes])).toEqual([['back', 0, ['n2']], ['front', 1, ['n1', 'n2', 'n3']]]);
    expect(networkMembership([net('ingress', ['a'], true)], dots.values(), true)[0]!.nodes).toEqual(['n1', 'n3']);
  });
});

describe('the traffic log', () => {
  it('keeps answers in order, counts per task, pulses the answering task, and ends', () => {
    let now = 1000;
    const log = new TrafficLog(() => now);
    const seen: string[] = [];
    log.subscribe((e) => seen.push(e.type));
    log.started('t1', { serviceId: 'svc', url: 'http://127.0.0.12:8080/api', viaHost: 'worker1', count: 3 });
    const answer = (seq: number, taskId?: string, error?: string) => ({ type: 'traffic' as const, trafficId: 't1', answer: { seq, count: 3, url: 'u', viaHost: 'worker1', time: '', latencyMs: 2, ...(taskId ? { taskId, taskName: `who.1.${taskId}`, status: 200 } : {}), ...(error ? { error } : {}) } });
    expect(log.apply(answer(1, 'a'))).toBe(true);
    log.apply(answer(2, 'b'));
    now = 1500;
    log.apply(answer(3, undefined, 'connection refused'));
    expect(log.apply({ type: 'delta', delta: {} })).toBe(false);
    const run = log.latest('svc')!;
    expect(run.answers.map((a) => a.seq)).toEqual([1, 2, 3]);
    expect([...run.perTask]).toEqual([['a', 1], ['b', 1]]);
    expect([run.ok, run.failed, run.done]).toEqual([2, 1, false]);
    expect([...log.pulsing(900).keys()]).toEqual(['a', 'b']);
    now = 2200;
    expect([...log.pulsing(900).keys()]).toEqual([]);
    log.apply({ type: 'traffic-end', trafficId: 't1', ok: 2, failed: 1 });
    expect(log.latest('svc')!.done).toBe(true);
    expect(seen).toEqual(['traffic', 'traffic', 'traffic', 'traffic-end']);
  });

  it('takes answers for a run it has not been told of yet, and keeps only the newest runs', () => {
    const log = new TrafficLog(() => 0);
    log.apply({ type: 'traffic', trafficId: 'early', answer: { seq: 1, count: 2, url: 'u', viaHost: 'w', time: '', latencyMs: 1 } });
    log.started('early', { serviceId: 's', url: 'u', viaHost: 'w', count: 2 });
    expect(log.latest('s')!.answers.length).toBe(1);
    for (let i = 0; i < RUNS_KEPT + 3; i++) log.started(`r${i}`, { serviceId: 's', url: 'u', viaHost: 'w', count: 1 });
    expect(log.runs.size).toBe(RUNS_KEPT);
    expect(log.latest('s')!.trafficId).toBe(`r${RUNS_KEPT + 2}`);
  });
});
