// Tasks on the move for the benchmark: every tick, some running tasks are replaced on another
// node (same service and slot, so their dots travel). Each new task's timestamp is the moment its
// event was sent, which the topology compares with the frame that draws it.

import type { FakeCluster } from './fake-cluster.ts';
import { pick } from './prng.ts';

export function startChurn(c: FakeCluster, movesPerTick: number, tickMs: number): () => void {
  const timer = setInterval(() => moveTasks(c, movesPerTick), tickMs);
  return () => clearInterval(timer);
}

export function moveTasks(c: FakeCluster, n: number): void {
  const tasks = [...c.tasks.values()].filter((t) => t.state === 'running' && t.nodeId);
  const nodes = [...c.nodes.values()].filter((x) => x.state === 'ready' && x.availability === 'active');
  if (tasks.length === 0 || nodes.length < 2) return;
  c.change((tx) => {
    for (let i = 0; i < n; i++) {
      const old = pick(c.rng, tasks);
      if (!c.tasks.has(old.id)) continue;
      let to = pick(c.rng, nodes);
      if (to.id === old.nodeId) to = nodes[(nodes.indexOf(to) + 1) % nodes.length]!;
      c.tasks.delete(old.id);
      tx.removeTask(old.id);
      const svc = c.services.get(old.serviceId)!;
      c.newTask(svc, old.slot, to.id, undefined, tx);
    }
  });
}
