// npm run bench -- raft
// In-process clusters of 3 and 5 managers, each with its own write-ahead log on disk (real
// fsync), connected by an in-process transport. Measures committed proposals per second at
// saturation, and commit latency (propose -> applied on the leader) at saturation and at a fixed
// 1,000 proposals/s.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../core/clock.ts';
import { RaftNode, type StateMachine } from '../../core/raft/node.ts';
import type { Message, NodeId } from '../../core/raft/types.ts';
import { seededRandom } from '../../core/random.ts';
import { DiskStorage } from '../../core/raft/wal/disk-storage.ts';
import { percentile, printTable, type Row } from './report.ts';

interface BenchCluster {
  nodes: Map<NodeId, RaftNode>;
  storages: Map<NodeId, DiskStorage>;
  applied: Map<NodeId, number>;
  dirs: string[];
  stop(): Promise<void>;
}

/** Delivers each batch of messages on a later turn of the event loop, as a socket would. */
function inProcessTransport(nodes: Map<NodeId, RaftNode>) {
  return {
    send(msgs: Message[]) {
      setImmediate(() => {
        for (const m of msgs) nodes.get(m.to)?.step(m);
      });
    },
  };
}

async function startCluster(size: number): Promise<BenchCluster> {
  const ids = Array.from({ length: size }, (_, i) => `m${i + 1}`);
  const nodes = new Map<NodeId, RaftNode>();
  const applied = new Map<NodeId, number>();
  const dirs: string[] = [];
  const storages = new Map<NodeId, DiskStorage>();
  const transport = inProcessTransport(nodes);
  for (const id of ids) {
    const dir = await mkdtemp(join(tmpdir(), `swarmlab-bench-${id}-`));
    dirs.push(dir);
    const storage = new DiskStorage({ dir });
    storages.set(id, storage);
    applied.set(id, 0);
    const sm: StateMachine = {
      apply: () => applied.set(id, applied.get(id)! + 1),
      snapshot: () => new TextEncoder().encode(String(applied.get(id))),
      restore: (data) => applied.set(id, Number(new TextDecoder().decode(data))),
    };
    nodes.set(
      id,
      new RaftNode({
        id,
        storage,
        transport,
        stateMachine: sm,
        clock: systemClock,
        random: seededRandom(ids.indexOf(id) + 1),
        bootstrap: ids,
        tickMs: 100,
        electionTick: 10,
        heartbeatTick: 1,
        snapshotInterval: 50_000,
        keepEntries: 5_000,
        requestTimeoutMs: 30_000,
      }),
    );
  }
  for (const n of nodes.values()) await n.start();
  // m1 campaigns (once its bootstrap configuration is applied) so the leader is known.
  const deadline = Date.now() + 10_000;
  while (!nodes.get('m1')!.isLeader()) {
    if (Date.now() > deadline) throw new Error('bench: no leader within 10 s');
    nodes.get('m1')!.campaign();
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    nodes,
    storages,
    applied,
    dirs,
    async stop() {
      for (const n of nodes.values()) n.stop();
      for (const s of storages.values()) await s.close();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

const payload = (i: number) => {
  const b = new Uint8Array(128);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};

/** Keeps `window` proposals in flight for `ms`; returns throughput and latencies. */
async function saturate(leader: RaftNode, ms: number, window: number) {
  const latencies: number[] = [];
  let committed = 0;
  let seq = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await leader.propose(payload(seq++));
      latencies.push(performance.now() - t0);
      committed++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: window }, worker));
  const secs = (performance.now() - t0) / 1000;
  return { rate: committed / secs, latencies, committed };
}

/** Proposes at a fixed rate for `ms`; returns the latencies. */
async function fixedRate(leader: RaftNode, ms: number, perSecond: number) {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      const due = Math.min(Math.floor((elapsed * perSecond) / 1000), Math.floor((ms * perSecond) / 1000));
      while (sent < due) {
        const start = performance.now();
        pending.push(leader.propose(payload(sent++)).then(() => void latencies.push(performance.now() - start)));
      }
      if (elapsed >= ms) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(pending);
  return { latencies, sent };
}

export async function benchRaft(): Promise<void> {
  const rows: Row[] = [];
  for (const size of [3, 5]) {
    const c = await startCluster(size);
    try {
      const leader = c.nodes.get('m1')!;
      await saturate(leader, 1_000, 256); // warm-up: JIT, file allocation
      const disk = c.storages.get('m1')!;
      let syncs = disk.stats.syncs;
      const sat = await saturate(leader, 5_000, 2_000);
      const satSyncs = (disk.stats.syncs - syncs) / 5;
      syncs = disk.stats.syncs;
      rows.push({
        cluster: `${size} managers`,
        load: 'saturation (2,000 in flight)',
        'committed/s': Math.round(sat.rate).toLocaleString('en-US'),
        'p50 ms': percentile(sat.latencies, 50).toFixed(1),
        'p99 ms': percentile(sat.latencies, 99).toFixed(1),
        'leader fsyncs/s': Math.round(satSyncs).toLocaleString('en-US'),
      });
      const fixed = await fixedRate(leader, 5_000, 1_000);
      rows.push({
        cluster: `${size} managers`,
        load: 'fixed 1,000/s',
        'committed/s': Math.round(fixed.sent / 5).toLocaleString('en-US'),
        'p50 ms': percentile(fixed.latencies, 50).toFixed(1),
        'p99 ms': percentile(fixed.latencies, 99).toFixed(1),
        'leader fsyncs/s': Math.round((disk.stats.syncs - syncs) / 5).toLocaleString('en-US'),
      });
    } finally {
      await c.stop();
    }
  }
  printTable('Raft with the on-disk WAL (128-byte proposals, fsync per batch, in-process transport)', rows);
  console.log('goals: >= 10,000 committed/s at saturation; p99 < 20 ms at 1,000/s');
}
