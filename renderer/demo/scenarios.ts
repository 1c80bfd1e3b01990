// The demo's starting points: the workshop lab the screenshots show, and the benchmark's big one.

import type { ServiceCreateRequest } from '../../main/lab/protocol.ts';
import type { FakeCluster } from './fake-cluster.ts';

export const TEMPLATES = [
  { id: 'small', title: '1 manager + 2 workers', managers: 1, workers: 2 },
  { id: 'default', title: '3 managers + 2 workers', managers: 3, workers: 2 },
  { id: 'ha', title: '5 managers + 5 workers', managers: 5, workers: 5 },
];

export function buildNodes(c: FakeCluster, managers: number, workers: number): void {
  c.change((tx) => {
    for (let i = 0; i < managers; i++) c.addNode('manager', undefined, tx);
    for (let i = 0; i < workers; i++) c.addNode('worker', undefined, tx);
  });
}

/** Five nodes, one leader, a few services, one of them unschedulable (the pending tray). */
export function workshop(c: FakeCluster): void {
  c.phase = 'running';
  c.name = 'workshop';
  buildNodes(c, 3, 2);
  c.addNetwork('ingress', { ingress: true });
  c.addNetwork('frontend');
  c.addNetwork('backend', { attachable: true });
  const services: [ServiceCreateRequest, string[]][] = [
    [{ name: 'web', image: 'swarmlab/web:blue', mode: 'replicated', replicas: 6, ports: [{ published: 8080, target: 80 }], update: { parallelism: 2, delay: '2s' } }, ['frontend']],
    [{ name: 'whoami', image: 'swarmlab/whoami:1', mode: 'replicated', replicas: 3, ports: [{ published: 8000, target: 80 }] }, ['frontend', 'backend']],
    [{ name: 'cache', image: 'redis', mode: 'replicated', replicas: 1, constraints: ['node.role==manager'] }, ['backend']],
    [{ name: 'monitor', image: 'alpine', mode: 'global' }, []],
    [{ name: 'gpu-job', image: 'busybox', mode: 'replicated', replicas: 1, constraints: ['node.labels.gpu==true'] }, []],
  ];
  for (const [s, networks] of services) c.createService(s, { networks });
}

export interface BigOptions {
  managers: number;
  workers: number;
  services: number;
  tasks: number;
}

/** The benchmark's cluster, built with every task already running. */
export function big(c: FakeCluster, o: BigOptions): void {
  c.phase = 'running';
  c.name = `bench-${o.managers + o.workers}`;
  c.startDelayMs = 0;
  buildNodes(c, o.managers, o.workers);
  // A few overlays, each shared by several services (what the Networks toggle draws).
  const nets = ['front', 'back', 'data', 'ops'];
  const per = Math.floor(o.tasks / o.services);
  for (let i = 0; i < o.services; i++) {
    const replicas = i === o.services - 1 ? o.tasks - per * (o.services - 1) : per;
    c.createService({ name: `svc${String(i + 1).padStart(2, '0')}`, image: 'swarmlab/whoami:1', mode: 'replicated', replicas }, { networks: [nets[i % nets.length]!] });
  }
}
