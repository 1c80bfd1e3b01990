// npx tsx test/core/raft/wal/encryption-bench.ts
// The cost of encryption at rest: encoding WAL records (CPU only), DiskStorage saves (with
// fsync), and a 3-manager Raft cluster at saturation as in `npm run bench -- raft`; each with and
// without encryption, alternated so that both see the same machine.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../../../core/clock.ts';
import { RaftNode } from '../../../../core/raft/node.ts';
import type { Entry, Message, NodeId } from '../../../../core/raft/types.ts';
import { seededRandom } from '../../../../core/random.ts';
import { DiskStorage, type DiskStorageOptions } from '../../../../core/raft/wal/disk-storage.ts';
import { AesGcmCrypter, generateDek } from '../../../../core/raft/wal/encryption.ts';
import { encodeRecords, type WalRecord } from '../../../../core/raft/wal/record.ts';
import { printTable, percentile, type Row } from '../../../bench/report.ts';

const crypter = new AesGcmCrypter(generateDek());
const encryption = { encrypter: crypter, decrypter: crypter };
type Mode = 'plain' | 'encrypted';
const MODES: Mode[] = ['plain', 'encrypted'];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function entry(i: number, size = 128): Entry {
  const data = new Uint8Array(size);
  new DataView(data.buffer).setUint32(0, i);
  return { term: 1, index: i, type: 'normal', data };
}

function benchEncode(rows: Row[]): void {
  for (const size of [128, 4096]) {
    const records: WalRecord[] = Array.from({ length: 1000 }, (_, i) => ({ type: 'entry', entry: entry(i + 1, size) }));
    for (const mode of MODES) {
      const sealing = mode === 'encrypted' ? { encrypter: crypter, seq: 1, offset: 0 } : undefined;
      for (let i = 0; i < 20; i++) encodeRecords(records, sealing); // warm-up
      let n = 0;
      let bytes = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 1000) {
        bytes += encodeRecords(records, sealing).length;
        n += records.length;
      }
      const secs = (performance.now() - t0) / 1000;
      rows.push({ what: `encode ${size}-byte entries (CPU)`, mode, 'records/s': fmt(n / secs), 'MB/s': (bytes / secs / 1e6).toFixed(0) });
    }
  }
}

async function benchSaves(rows: Row[]): Promise<void> {
  for (const batch of [1, 100]) {
    for (const round of [0, 1]) {
      for (const mode of MODES) {
        const dir = await mkdtemp(join(tmpdir(), 'swarmlab-encbench-'));
        const opts: DiskStorageOptions = mode === 'encrypted' ? { dir, encryption } : { dir };
        const s = new DiskStorage(opts);
        await s.load();
        let index = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < 2000) {
          const es = Array.from({ length: batch }, () => entry(++index));
          await s.save({ term: 1, vote: 'a', commit: index }, es);
        }
        const secs = (performance.now() - t0) / 1000;
        await s.close();
        await rm(dir, { recursive: true, force: true });
        if (round === 1) rows.push({ what: `DiskStorage.save, ${batch} x 128 B per fsync`, mode, 'records/s': fmt(index / secs), 'MB/s': '' });
      }
    }
  }
}

async function cluster(mode: Mode) {
  const ids = ['m1', 'm2', 'm3'];
  const nodes = new Map<NodeId, RaftNode>();
  const storages: DiskStorage[] = [];
  const dirs: string[] = [];
  const transport = { send: (msgs: Message[]) => setImmediate(() => msgs.forEach((m) => nodes.get(m.to)?.step(m))) };
  for (const id of ids) {
    const dir = await mkdtemp(join(tmpdir(), `swarmlab-encbench-${id}-`));
    dirs.push(dir);
    const storage = new DiskStorage(mode === 'encrypted' ? { dir, encryption } : { dir });
    storages.push(storage);
    let applied = 0;
    nodes.set(
      id,
      new RaftNode({
        id,
        storage,
        transport,
        stateMachine: {
          apply: () => void applied++,
          snapshot: () => new TextEncoder().encode(String(applied)),
          restore: (d) => void (applied = Number(new TextDecoder().decode(d))),
        },
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
  const leader = nodes.get('m1')!;
  while (!leader.isLeader()) {
    leader.campaign();
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    leader,
    async stop() {
      for (const n of nodes.values()) n.stop();
      for (const s of storages) await s.close();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

async function saturate(leader: RaftNode, ms: number, window: number) {
  const latencies: number[] = [];
  let committed = 0;
  let seq = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await leader.propose(entry(seq++).data);
        latencies.push(performance.now() - s);
        committed++;
      }
    }),
  );
  return { rate: committed / ((performance.now() - t0) / 1000), latencies };
}

async function benchCluster(rows: Row[]): Promise<void> {
  for (const round of [1, 2]) {
    for (const mode of MODES) {
      const c = await cluster(mode);
      try {
        await saturate(c.leader, 1000, 256);
        const r = await saturate(c.leader, 5000, 2000);
        rows.push({
          what: `3 managers, saturation (2,000 in flight), round ${round}`,
          mode,
          'records/s': fmt(r.rate),
          'MB/s': `p50 ${percentile(r.latencies, 50).toFixed(1)} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms`,
        });
      } finally {
        await c.stop();
      }
    }
  }
}

const rows: Row[] = [];
benchEncode(rows);
await benchSaves(rows);
await benchCluster(rows);
printTable('Encryption at rest (AES-256-GCM, one seal per batch frame of up to 64 KiB): cost', rows);
