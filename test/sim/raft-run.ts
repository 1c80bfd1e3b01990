// One seeded simulation of the replicated store: managers crash, restart and get partitioned
// while clients write and read keys; Raft's invariants are checked after every event, the
// clients' history is checked for linearizability, and after the faults stop the cluster must
// recover within a stated bound.

import { NotLeaderError } from '../../core/raft/node.ts';
import { seededRandom } from '../../core/random.ts';
import { SimCluster, outcomeUnknown, type SimClusterOptions } from './cluster.ts';
import { kvModel, type KvOperation } from './kv-model.ts';
import { checkOperations } from './linearizability.ts';

export interface RunOptions {
  /** Virtual time with faults and client traffic. */
  faultMs?: number;
  /** After the faults stop and every node is back: the bound for a leader and a committed write. */
  recoveryMs?: number;
  verbose?: boolean;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  error?: string;
  /** The last trace lines, for a failing seed. */
  trace?: string;
  summary: string;
}

/** Recovery bound: leader election (≤ 2 election timeouts with pre-vote) plus one commit. */
export const RECOVERY_BOUND_MS = 10_000;

export async function runRaftSeed(seed: number, opts: RunOptions = {}): Promise<SeedResult> {
  const faultMs = opts.faultMs ?? 20_000;
  const recoveryMs = opts.recoveryMs ?? RECOVERY_BOUND_MS;
  // The configuration is drawn from the seed too, so one number reproduces a whole run.
  const pick = seededRandom(seed ^ 0x5eed);
  const latency = pick.next() < 0.5 ? 0 : 1 + pick.int(5);
  const cfg: SimClusterOptions = {
    seed,
    managers: pick.next() < 0.6 ? 3 : 5,
    faults: {
      latencyMs: [1, 2 + pick.int(15)],
      dropRate: pick.next() * 0.05,
      duplicateRate: pick.next() * 0.03,
      delayRate: pick.next() * 0.1,
    },
    fsyncLatencyMs: latency,
    tornWrites: latency > 0 && pick.next() < 0.5,
    snapshotInterval: 32 + pick.int(64),
    keepEntries: pick.int(20),
    verbose: opts.verbose,
  };
  const membership = pick.next() < 0.5;
  const cluster = new SimCluster(cfg);
  const { clock, random, trace } = cluster;
  const history: KvOperation[] = [];
  const keys = ['x', 'y', 'z'];
  let writes = 0;
  let unknown = 0;
  const describeCfg = `${cfg.managers} managers${membership ? ' (membership changes)' : ''}, drop ${(cfg.faults!.dropRate! * 100).toFixed(1)}%, fsync ${latency} ms${cfg.tornWrites ? ' (torn)' : ''}`;

  const client = async (c: number, until: number) => {
    let target = cluster.ids[random.int(cluster.ids.length)]!;
    let seq = 0;
    while (clock.now() < until) {
      await clock.sleep(5 + random.int(60));
      if (clock.now() >= until) return;
      const m = cluster.managers.get(target)!;
      if (!m.alive) {
        target = cluster.ids[random.int(cluster.ids.length)]!;
        continue;
      }
      const key = keys[random.int(keys.length)]!;
      const call = clock.now();
      if (random.next() < 0.5) {
        const value = `c${c}.${++seq}`;
        const input = { op: 'put' as const, key, value };
        try {
          await m.store.update((tx) => {
            const cur = tx.get('configs', key);
            if (cur) tx.update('configs', { ...cur, Spec: { ...cur.Spec, Data: value } });
            else tx.create('configs', { ID: key, Spec: { Name: key, Data: value } });
          });
          writes++;
          history.push({ clientId: c, input, call, return: clock.now(), output: { ok: true } });
          trace.log(`c${c}`, `put ${key}=${value} ok`);
        } catch (err) {
          if (err instanceof NotLeaderError) {
            target = err.leader || cluster.ids[random.int(cluster.ids.length)]!;
          } else if (outcomeUnknown(err)) {
            unknown++;
            history.push({ clientId: c, input, call });
            trace.log(`c${c}`, `put ${key}=${value} unknown: ${(err as Error).message}`);
          }
          // Anything else (a version conflict, a dropped proposal) was refused before applying.
        }
      } else {
        try {
          const value = await m.store.consistentView((tx) => tx.get('configs', key)?.Spec.Data);
          history.push({ clientId: c, input: { op: 'get', key }, call, return: clock.now(), output: { ok: true, value } });
          trace.log(`c${c}`, `get ${key} -> ${value ?? '(none)'} from ${m.id}`);
        } catch {
          // A read that failed constrains nothing.
        }
      }
    }
  };

  // Membership changes, as promote/demote will make them: one at a time, through the leader.
  // A removed manager is stopped for good; an added one is new, with an empty state.
  const changeMembership = async () => {
    const l = cluster.leader();
    if (!l) return;
    const voters = l.node.voters();
    if (voters.length > 3 && random.next() < 0.5) {
      const victim = voters[random.int(voters.length)]!;
      trace.log(l.id, `propose removing ${victim}`);
      l.node
        .proposeConfChange({ type: 'removeNode', nodeId: victim })
        .then(() => {
          trace.log(l.id, `removed ${victim}`);
          cluster.retire(victim);
        })
        .catch((err: Error) => trace.log(l.id, `remove ${victim} failed: ${err.message}`));
    } else if (voters.length < 5) {
      const m = await cluster.addManager();
      trace.log(l.id, `propose adding ${m.id}`);
      l.node
        .proposeConfChange({ type: 'addNode', nodeId: m.id })
        .then(() => trace.log(l.id, `added ${m.id}`))
        .catch((err: Error) => trace.log(l.id, `add ${m.id} failed: ${err.message}`));
    }
  };

  const faults = async (until: number) => {
    while (clock.now() < until) {
      await clock.sleep(200 + random.int(1_500));
      if (clock.now() >= until) return;
      const alive = cluster.alive();
      const dead = [...cluster.managers.values()].filter((m) => !m.alive);
      const r = random.next();
      // Mostly a minority down, so the cluster makes progress; sometimes quorum is lost too.
      const minority = dead.length < Math.floor(cluster.ids.length / 2);
      if (r < 0.3 && dead.length > 0) {
        await cluster.restart(dead[random.int(dead.length)]!.id);
      } else if (r < 0.45 && alive.length > 0 && (minority || random.next() < 0.15)) {
        cluster.crash(alive[random.int(alive.length)]!.id);
      } else if (r < 0.6) {
        const shuffled = [...cluster.ids].sort(() => random.next() - 0.5);
        const cut = 1 + random.int(shuffled.length - 1);
        cluster.net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        trace.log('net', `partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`);
      } else if (r < 0.7) {
        const l = cluster.leader();
        if (l) {
          cluster.net.isolate(l.id);
          trace.log('net', `isolate leader ${l.id}`);
        }
      } else if (r < 0.85) {
        cluster.net.heal();
        trace.log('net', 'heal');
      } else if (r < 0.88) {
        const l = cluster.leader();
        const to = cluster.ids[random.int(cluster.ids.length)]!;
        if (l && to !== l.id) {
          trace.log(l.id, `transfer leadership to ${to}`);
          l.node.transferLeadership(to);
        }
      } else if (membership) {
        await changeMembership();
      }
    }
  };

  try {
    await cluster.start();
    const end = faultMs;
    for (let c = 1; c <= 4; c++) void client(c, end);
    void faults(end);
    await cluster.runUntil(end);

    // Faults stop: heal and bring every node back; the cluster must recover within the bound.
    cluster.net.heal();
    for (const id of cluster.ids) await cluster.restart(id);
    // Members are whoever the latest configuration names; a manager left outside (an addition
    // that never committed, a removal whose confirmation was lost) is stopped.
    const members = () => {
      const l = cluster.leader();
      return l ? cluster.alive().filter((m) => l.node.voters().includes(m.id)) : [];
    };
    trace.log('sim', 'faults stopped: healed, all nodes restarted');
    const recoverStart = clock.now();
    let finalIndex = 0;
    let writing = false;
    const tryFinalWrite = () => {
      const l = cluster.leader();
      if (!l || writing || finalIndex) return;
      writing = true;
      l.store
        .update((tx) => {
          const cur = tx.get('configs', 'final');
          if (cur) tx.update('configs', { ...cur });
          else tx.create('configs', { ID: 'final', Spec: { Name: 'final' } });
        })
        .then(() => (finalIndex = l.store.index))
        .catch(() => undefined)
        .finally(() => (writing = false));
    };
    const recovered = await cluster.runUntil(recoverStart + recoveryMs, () => {
      tryFinalWrite();
      if (finalIndex === 0) return false;
      const applied = members().map((m) => m.node.appliedIndex());
      return applied.length > 0 && applied.every((a) => a >= finalIndex && a === applied[0]);
    });
    if (!recovered) {
      const states = cluster.alive().map((m) => `${m.id}:${m.node.core.state}/t${m.node.term()}/applied ${m.node.appliedIndex()}`);
      throw new Error(`no recovery within ${recoveryMs} ms after the faults stopped (${states.join(', ')})`);
    }
    const recoveryTime = clock.now() - recoverStart;
    for (const m of cluster.alive()) if (!members().includes(m)) cluster.retire(m.id);

    // Every store must hold the same state once caught up.
    const snapshots = members().map((m) => new TextDecoder().decode(m.store.snapshot()));
    const differing = snapshots.findIndex((s) => s !== snapshots[0]);
    if (differing >= 0) {
      const a = members()[0]!;
      const b = members()[differing]!;
      throw new Error(
        `stores differ after recovery at applied index ${a.node.appliedIndex()}: ${a.id} has ${snapshots[0]!.slice(0, 2000)}\n${b.id} has ${snapshots[differing]!.slice(0, 2000)}`,
      );
    }

    const check = checkOperations(kvModel, history, { maxSteps: 5_000_000 });
    if (check.result !== 'ok') {
      throw new Error(`history of ${history.length} operations is not linearizable:\n${check.explanation}`);
    }
    cluster.stopAll();
    const inv = cluster.invariants.stats();
    return {
      seed,
      ok: true,
      summary: `seed ${seed}: ${describeCfg}; ${history.length} ops (${writes} writes, ${unknown} unknown), ${inv.terms} terms, ${inv.committed} committed, recovered in ${recoveryTime} ms, ${clock.eventCount} events`,
    };
  } catch (err) {
    cluster.stopAll();
    return {
      seed,
      ok: false,
      error: (err as Error).stack ?? String(err),
      trace: trace.dump(),
      summary: `seed ${seed}: FAILED (${describeCfg}): ${(err as Error).message}`,
    };
  }
}
