import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.ts';
import type { Entry, HardState, Snapshot } from '../../core/raft/types.ts';
import { VirtualClock } from './virtual-clock.ts';
import { SimNetwork, type DropReason, type LinkFaults } from './network.ts';
import { SimDisk, SimStorage } from './sim-storage.ts';
import { Trace, formatLine } from './trace.ts';

describe('VirtualClock', () => {
  it('runs events in time order, ties in scheduling order', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule(20, () => seen.push('c@20'));
    clock.schedule(10, () => seen.push('a@10'));
    clock.schedule(10, () => seen.push('b@10'));
    clock.setTimeout(() => seen.push('d@5'), 5);
    clock.schedule(0, () => {
      seen.push('e@0');
      // Scheduled during an event for the same instant: runs after what was already due.
      clock.setTimeout(() => seen.push('f@0'), 0);
    });
    clock.schedule(0, () => seen.push('g@0'));
    while (await clock.step());
    expect(seen).toEqual(['e@0', 'g@0', 'f@0', 'd@5', 'a@10', 'b@10', 'c@20']);
    expect(clock.now()).toBe(20);
    expect(clock.eventCount).toBe(7);
    expect(await clock.step()).toBe(false);
  });

  it('orders many random events like a stable sort', async () => {
    const clock = new VirtualClock();
    const random = seededRandom(7);
    const expected: [number, number][] = [];
    const seen: [number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const at = random.int(200);
      expected.push([at, i]);
      clock.schedule(at, () => seen.push([at, i]));
    }
    await clock.runUntil(1000);
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(seen).toEqual(expected);
  });

  it('refuses to schedule in the past', async () => {
    const clock = new VirtualClock({ start: 100 });
    expect(() => clock.schedule(99, () => {})).toThrow(RangeError);
  });

  it('cancels timeouts and intervals, including an interval from its own callback', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const t = clock.setTimeout(() => seen.push(-1), 10);
    t.cancel();
    t.cancel();
    let n = 0;
    const iv = clock.setInterval(() => {
      seen.push(clock.now());
      if (++n === 3) iv.cancel();
    }, 100);
    const other = clock.setInterval(() => seen.push(clock.now() + 0.5), 250);
    await clock.runUntil(600);
    expect(seen).toEqual([100, 200, 250.5, 300, 500.5]);
    other.cancel();
    expect(clock.pendingCount).toBe(0);
    await clock.runFor(1000);
    expect(clock.now()).toBe(1600);
    expect(seen).toHaveLength(5);
  });

  it('does not keep cancelled timers around', async () => {
    const clock = new VirtualClock();
    // A heartbeat-style timer reset 100,000 times: the heap must not grow with the resets.
    let timer = clock.setTimeout(() => {}, 1000);
    for (let i = 0; i < 100_000; i++) {
      timer.cancel();
      timer = clock.setTimeout(() => {}, 1000);
    }
    expect(clock.pendingCount).toBe(1);
    expect((clock as unknown as { heap: unknown[] }).heap.length).toBeLessThan(5000);
    await clock.runUntil(2000);
    expect(clock.eventCount).toBe(1);
  });

  it('runUntilCondition stops when the condition holds, or at the deadline', async () => {
    const clock = new VirtualClock();
    let x = 0;
    clock.setInterval(() => x++, 10);
    expect(await clock.runUntilCondition(() => x === 5, 1000)).toBe(true);
    expect(clock.now()).toBe(50);
    expect(await clock.runUntilCondition(() => x === 5, 1000)).toBe(true); // already true: no event
    expect(clock.now()).toBe(50);
    expect(await clock.runUntilCondition(() => x < 0, 200)).toBe(false);
    expect(clock.now()).toBe(200);
    expect(x).toBe(20);
  });

  it('throws on a zero-delay livelock and on too many events', async () => {
    const clock = new VirtualClock({ maxEventsAtOneInstant: 1000 });
    const spin = (): void => void clock.setTimeout(spin, 0, 'spin');
    spin();
    await expect(clock.runFor(10)).rejects.toThrow(/without time advancing.*spin/);

    const capped = new VirtualClock({ maxEvents: 100 });
    capped.setInterval(() => {}, 1, 'tick');
    await expect(capped.runFor(1000)).rejects.toThrow(/more than 100 events.*tick/);
  });

  it('runs every promise continuation released by an event before the next event', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    void (async () => {
      await gate;
      for (let i = 0; i < 50; i++) await null; // a deep chain
      seen.push(`chain done at ${clock.now()}`);
      await clock.sleep(5);
      seen.push(`slept until ${clock.now()}`);
    })();
    clock.schedule(10, release);
    clock.schedule(10, () => seen.push('second event at 10'));
    await clock.runUntil(100);
    expect(seen).toEqual(['chain done at 10', 'second event at 10', 'slept until 15']);
  });

  it("in 'on-demand' mode, drains when asked to", async () => {
    const clock = new VirtualClock({ drain: 'on-demand' });
    const seen: string[] = [];
    void (async () => {
      await clock.sleep(10);
      seen.push(`after sleep at ${clock.now()}`);
    })();
    let release!: () => void;
    void new Promise<void>((r) => (release = r)).then(() => seen.push(`flagged at ${clock.now()}`));
    clock.schedule(20, () => {
      release();
      clock.markAsync();
    });
    clock.schedule(20, () => seen.push('next event'));
    await clock.runUntil(30);
    expect(seen).toEqual(['after sleep at 10', 'flagged at 20', 'next event']);
  });
});

describe('SimNetwork', () => {
  function setup(seed: number, faults: Partial<LinkFaults> = {}) {
    const clock = new VirtualClock();
    const net = new SimNetwork<string>({ clock, random: seededRandom(seed), faults });
    const got: string[] = [];
    for (const id of ['a', 'b', 'c']) net.attach(id, (from, msg) => got.push(`${from}->${id}:${msg}`));
    return { clock, net, got };
  }

  function balanced(net: SimNetwork<string>): boolean {
    const s = net.stats;
    return s.sent + s.duplicated === s.delivered + s.dropped + s.inFlight;
  }

  it('delivers after a latency within the range', async () => {
    const { clock, net } = setup(1, { latencyMs: [3, 7] });
    const times: number[] = [];
    net.detach('b');
    net.attach('b', () => times.push(clock.now()));
    for (let i = 0; i < 200; i++) net.send('a', 'b', 'x');
    expect(net.stats.inFlight).toBe(200);
    await clock.runFor(100);
    expect(times).toHaveLength(200);
    expect(Math.min(...times)).toBe(3);
    expect(Math.max(...times)).toBe(7);
    expect(net.stats).toMatchObject({ sent: 200, delivered: 200, dropped: 0, inFlight: 0 });
  });

  it('drops, duplicates and delays at the configured rates', async () => {
    const { clock, net, got } = setup(2, { dropRate: 0.2, duplicateRate: 0.1 });
    for (let i = 0; i < 5000; i++) net.send('a', 'b', String(i));
    await clock.runFor(1000);
    const s = net.stats;
    expect(s.droppedBy.random / 5000).toBeGreaterThan(0.17);
    expect(s.droppedBy.random / 5000).toBeLessThan(0.23);
    expect(s.duplicated / (5000 - s.dropped)).toBeGreaterThan(0.08);
    expect(s.duplicated / (5000 - s.dropped)).toBeLessThan(0.12);
    expect(got).toHaveLength(s.delivered);
    expect(new Set(got).size).toBe(5000 - s.dropped);
    expect(balanced(net)).toBe(true);

    // Extra delay pushes messages behind ones sent later.
    const slow = setup(3, { latencyMs: [1, 1], delayRate: 0.5, extraDelayMs: [5, 50] });
    for (let i = 0; i < 100; i++) slow.net.send('a', 'b', String(i).padStart(3, '0'));
    await slow.clock.runFor(100);
    expect(slow.got).toHaveLength(100);
    expect(slow.got).not.toEqual([...slow.got].sort());
  });

  it('applies per-link overrides', async () => {
    const { clock, net, got } = setup(4);
    net.setLinkFaults('a', 'b', { dropRate: 1 }, { oneWay: true });
    for (let i = 0; i < 10; i++) {
      net.send('a', 'b', 'x');
      net.send('b', 'a', 'y');
      net.send('a', 'c', 'z');
    }
    await clock.runFor(100);
    expect(got.filter((g) => g.startsWith('a->b'))).toHaveLength(0);
    expect(got.filter((g) => g.startsWith('b->a'))).toHaveLength(10);
    expect(got.filter((g) => g.startsWith('a->c'))).toHaveLength(10);
    net.setLinkFaults('a', 'b', undefined, { oneWay: true });
    net.send('a', 'b', 'x');
    await clock.runFor(100);
    expect(got.filter((g) => g.startsWith('a->b'))).toHaveLength(1);
  });

  it('partitions, isolates, cuts links one way, and heals', async () => {
    const { clock, net, got } = setup(5, { latencyMs: [1, 1] });
    const sendAll = async (): Promise<string[]> => {
      got.length = 0;
      for (const from of ['a', 'b', 'c']) for (const to of ['a', 'b', 'c']) if (from !== to) net.send(from, to, 'm');
      await clock.runFor(10);
      return got.map((g) => g.slice(0, 4)).sort();
    };
    expect(await sendAll()).toHaveLength(6);

    net.partition([['a'], ['b', 'c']]);
    expect(await sendAll()).toEqual(['b->c', 'c->b']);
    net.partition([['a', 'b']]); // c, unnamed, is in the "rest" group alone
    expect(await sendAll()).toEqual(['a->b', 'b->a']);
    net.heal();

    net.isolate('b');
    expect(await sendAll()).toEqual(['a->c', 'c->a']);
    net.heal();

    net.cutLink('a', 'b', { oneWay: true });
    expect(await sendAll()).toEqual(['a->c', 'b->a', 'b->c', 'c->a', 'c->b']);
    net.cutLink('a', 'c');
    expect(await sendAll()).toEqual(['b->a', 'b->c', 'c->b']);
    net.heal();
    expect(await sendAll()).toHaveLength(6);
    expect(net.stats.droppedBy.partition).toBe(4 + 4 + 4 + 1 + 3);
    expect(balanced(net)).toBe(true);
  });

  it('drops messages in flight when a partition starts before they arrive', async () => {
    const { clock, net, got } = setup(6, { latencyMs: [10, 10] });
    net.send('a', 'b', 'x');
    await clock.runFor(5);
    net.isolate('b');
    await clock.runFor(10);
    expect(got).toEqual([]);
    expect(net.stats.droppedBy.partition).toBe(1);
  });

  it("drops messages to a detached node, including a restarted node's old ones", async () => {
    const { clock, net, got } = setup(7, { latencyMs: [10, 10] });
    net.send('a', 'b', 'before crash');
    await clock.runFor(5);
    net.detach('b');
    net.send('a', 'b', 'while down');
    net.attach('b', (from, msg) => got.push(`${from}->b':${msg}`));
    net.send('a', 'b', 'after restart');
    await clock.runFor(20);
    expect(got).toEqual(["a->b':after restart"]);
    expect(net.stats.droppedBy.detached).toBe(2);
    expect(() => net.attach('b', () => {})).toThrow(/already attached/);
  });

  it('clones on delivery when asked to, and calls the tracing hooks', async () => {
    const clock = new VirtualClock();
    const events: string[] = [];
    const received: Uint8Array[] = [];
    const net = new SimNetwork<Uint8Array>({
      clock,
      random: seededRandom(8),
      faults: { duplicateRate: 1 },
      clone: (m) => m.slice(),
      onSend: (f, t) => events.push(`send ${f}->${t}`),
      onDeliver: (f, t) => events.push(`deliver ${f}->${t}`),
      onDrop: (f, t, _m, reason: DropReason) => events.push(`drop ${f}->${t} ${reason}`),
    });
    net.attach('b', (_from, msg) => received.push(msg));
    const sent = new Uint8Array([1, 2, 3]);
    net.send('a', 'b', sent);
    net.send('a', 'nobody', sent);
    await clock.runFor(100);
    expect(received).toHaveLength(2);
    expect(received[0]).toEqual(sent);
    expect(received[0]).not.toBe(sent);
    expect(received[0]).not.toBe(received[1]);
    expect(events).toEqual(['send a->b', 'send a->nobody', 'drop a->nobody detached', 'deliver a->b', 'deliver a->b']);
  });

  it('gives the same deliveries for the same seed, others for another', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const { clock, net } = setup(seed, { dropRate: 0.1, duplicateRate: 0.1, delayRate: 0.2 });
      const log: string[] = [];
      net.onDeliver = (f, t, m) => log.push(`${clock.now()} ${f}->${t} ${m}`);
      net.onDrop = (f, t, m, r) => log.push(`${clock.now()} drop ${f}->${t} ${m} ${r}`);
      for (let i = 0; i < 300; i++) net.send(['a', 'b', 'c'][i % 3] as string, ['b', 'c', 'a'][i % 3] as string, `m${i}`);
      await clock.runFor(1000);
      return log;
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
  });
});

describe('SimNetwork reliable messages', () => {
  it('are never dropped, duplicated or reordered at random, but partitions still cut them', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork<string>({
      clock,
      random: seededRandom(5),
      faults: { latencyMs: [1, 50], dropRate: 0.9, duplicateRate: 0.9, delayRate: 0.9 },
      reliable: (m) => m.startsWith('tcp'),
    });
    const got: string[] = [];
    net.attach('a', () => {});
    net.attach('b', (_from, m) => got.push(m));
    for (let i = 0; i < 200; i++) net.send('a', 'b', `tcp${i}`);
    for (let i = 0; i < 200; i++) net.send('a', 'b', `udp${i}`);
    await clock.runFor(1_000);
    const tcp = got.filter((m) => m.startsWith('tcp'));
    expect(tcp).toEqual(Array.from({ length: 200 }, (_, i) => `tcp${i}`));
    expect(got.filter((m) => m.startsWith('udp')).length).toBeLessThan(200);
    net.isolate('b');
    net.send('a', 'b', 'tcp-cut');
    await clock.runFor(1_000);
    expect(got).not.toContain('tcp-cut');
  });
});

describe('determinism of a whole async workload', () => {
  // Nodes written with async/await: each pings a random peer, awaits the reply with a timeout,
  // sleeps a random while, repeats. The trace must depend on the seed alone.
  async function workload(seed: number): Promise<string[]> {
    const clock = new VirtualClock();
    const random = seededRandom(seed);
    const lines: string[] = [];
    const trace = new Trace({ now: () => clock.now(), capacity: 100_000, out: () => {} });
    type Msg = { kind: 'ping' | 'pong'; id: number };
    const net = new SimNetwork<Msg>({ clock, random, faults: { dropRate: 0.1, duplicateRate: 0.05, delayRate: 0.1 } });
    const ids = ['n1', 'n2', 'n3', 'n4'];
    const waiting = new Map<string, (ok: boolean) => void>();
    for (const id of ids) {
      net.attach(id, (from, msg) => {
        if (msg.kind === 'ping') net.send(id, from, { kind: 'pong', id: msg.id });
        else waiting.get(`${id}:${msg.id}`)?.(true);
      });
    }
    let nextId = 0;
    const ask = (id: string, to: string): Promise<boolean> =>
      new Promise((resolve) => {
        const rid = nextId++;
        const key = `${id}:${rid}`;
        const t = clock.setTimeout(() => resolve(false), 30);
        waiting.set(key, (ok) => {
          t.cancel();
          waiting.delete(key);
          resolve(ok);
        });
        net.send(id, to, { kind: 'ping', id: rid });
      });
    const loop = async (id: string): Promise<void> => {
      for (let round = 0; round < 40; round++) {
        const peers = ids.filter((p) => p !== id);
        const to = peers[random.int(peers.length)] as string;
        const ok = await ask(id, to);
        trace.log(id, `${ok ? 'pong from' : 'timeout on'} ${to}`);
        await clock.sleep(random.int(20));
      }
    };
    const done = Promise.all(ids.map(loop));
    clock.schedule(300, () => net.partition([['n1', 'n2']]));
    clock.schedule(600, () => net.heal());
    let finished = false;
    void done.then(() => (finished = true));
    expect(await clock.runUntilCondition(() => finished, 100_000)).toBe(true);
    lines.push(...trace.lines(), `events=${clock.eventCount}`);
    return lines;
  }

  it('same seed, same trace; another seed, another trace', async () => {
    const first = await workload(1);
    expect(first.length).toBeGreaterThan(160);
    expect(first.some((l) => l.includes('timeout'))).toBe(true);
    expect(await workload(1)).toEqual(first);
    expect(await workload(2)).not.toEqual(first);
  });
});

describe('SimStorage', () => {
  const entry = (index: number, term: number, byte = index): Entry => ({
    index,
    term,
    type: 'normal',
    data: new Uint8Array([byte]),
  });
  const snapshot = (index: number, term: number): Snapshot => ({
    metadata: { index, term, confState: { voters: ['a', 'b', 'c'] } },
    data: new Uint8Array([index]),
  });
  const hs = (term: number, commit = 0): HardState => ({ term, vote: 'a', commit });
  const indexes = (disk: SimDisk): string =>
    disk.durable.entries.map((e) => `${e.index}/${e.term}`).join(' ');

  it('starts empty and saves synchronously without latency', () => {
    const disk = new SimDisk();
    const storage = new SimStorage(disk);
    expect(storage.load()).toEqual({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
    expect(storage.save(hs(1), [entry(1, 1), entry(2, 1)])).toBeUndefined();
    expect(disk.durable.hardState).toEqual(hs(1));
    expect(indexes(disk)).toBe('1/1 2/1');
    expect(disk.durable.lastIndex).toBe(2);
  });

  it('replaces a conflicting suffix and rejects gaps', () => {
    const disk = new SimDisk();
    const storage = new SimStorage(disk);
    storage.save(undefined, [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]);
    storage.save(hs(2), [entry(3, 2)]);
    expect(indexes(disk)).toBe('1/1 2/1 3/2');
    storage.save(undefined, [entry(2, 3), entry(3, 3), entry(4, 3), entry(5, 3)]);
    expect(indexes(disk)).toBe('1/1 2/3 3/3 4/3 5/3');
    expect(() => storage.save(undefined, [entry(7, 3)])).toThrow(/gap/);
    expect(() => storage.save(undefined, [entry(6, 3), entry(8, 3)])).toThrow(/contiguous/);
  });

  it('compacts the log with the application snapshot', () => {
    const disk = new SimDisk();
    const storage = new SimStorage(disk);
    storage.save(undefined, [1, 2, 3, 4, 5].map((i) => entry(i, 1)));
    storage.saveSnapshot(snapshot(3, 1));
    expect(disk.durable.snapshot?.metadata.index).toBe(3);
    expect(indexes(disk)).toBe('4/1 5/1');
    storage.saveSnapshot(snapshot(2, 1)); // older: ignored
    expect(indexes(disk)).toBe('4/1 5/1');
    // Entries already in the snapshot are skipped; the rest still replace the suffix.
    storage.save(undefined, [entry(3, 1), entry(4, 2)]);
    expect(indexes(disk)).toBe('4/2');
    expect(storage.load()).toMatchObject({ snapshot: { metadata: { index: 3 } }, entries: [{ index: 4, term: 2 }] });
  });

  it("installs a leader's snapshot: keeps the log after it only if the log agrees", () => {
    const disk = new SimDisk();
    const storage = new SimStorage(disk);
    storage.save(undefined, [1, 2, 3, 4].map((i) => entry(i, 1)));
    storage.save(hs(2), [], snapshot(2, 1));
    expect(indexes(disk)).toBe('3/1 4/1');
    storage.save(hs(3), [], snapshot(3, 2)); // conflicts with entry 3/1
    expect(indexes(disk)).toBe('');
    expect(disk.durable.lastIndex).toBe(3);
    storage.save(undefined, [entry(4, 3)], snapshot(10, 3)); // beyond the log; then entries ≤ 10 skipped
    expect(disk.durable.lastIndex).toBe(10);
    expect(indexes(disk)).toBe('');
  });

  it('load returns deep copies, and save copies what it is given', () => {
    const disk = new SimDisk();
    const storage = new SimStorage(disk);
    const given = entry(1, 1, 7);
    storage.save(hs(1), [given], undefined);
    given.data[0] = 99;
    given.term = 5;
    const loaded = storage.load();
    expect(loaded.entries[0]).toEqual(entry(1, 1, 7));
    (loaded.entries[0] as Entry).data[0] = 42;
    loaded.entries.push(entry(2, 1));
    loaded.hardState.term = 9;
    expect(storage.load()).toEqual({ hardState: hs(1), entries: [entry(1, 1, 7)] });
    expect(disk.durable.entries[0]?.data[0]).toBe(7);
  });

  it('with fsync latency, a write is durable only once synced, in order', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk({ clock, fsyncLatencyMs: 5 });
    const storage = new SimStorage(disk);
    const done: string[] = [];
    const p1 = storage.save(hs(1), [entry(1, 1)]);
    expect(p1).toBeInstanceOf(Promise);
    void (p1 as Promise<void>).then(() => done.push(`w1 ${clock.now()}`));
    await clock.runFor(2);
    const p2 = storage.save(hs(1, 1), [entry(2, 1)]);
    void (p2 as Promise<void>).then(() => done.push(`w2 ${clock.now()}`));
    expect(disk.durable.lastIndex).toBe(0);
    expect(disk.unsyncedWrites).toBe(2);
    await clock.runFor(3);
    expect(done).toEqual(['w1 5']);
    expect(disk.durable.lastIndex).toBe(1);
    await clock.runFor(10);
    expect(done).toEqual(['w1 5', 'w2 7']);
    expect(disk.durable.hardState).toEqual(hs(1, 1));
  });

  it('a crash before fsync loses the write, and its promise never settles', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk({ clock, fsyncLatencyMs: () => 5 });
    const storage = new SimStorage(disk);
    void storage.save(hs(1), [entry(1, 1)]);
    await clock.runFor(5);
    let settled = false;
    (storage.save(hs(2, 1), [entry(2, 2)]) as Promise<void>).then(
      () => (settled = true),
      () => (settled = true),
    );
    await clock.runFor(2);
    disk.crash();
    await clock.runFor(100);
    expect(settled).toBe(false);
    expect(disk.stats).toEqual({ synced: 1, lost: 1, crashes: 1 });
    expect(() => storage.save(hs(3), [])).toThrow(/after crash/);
    const restarted = new SimStorage(disk);
    expect(restarted.load()).toEqual({ hardState: hs(1), entries: [entry(1, 1)] });
    expect(() => new SimStorage(disk)).toThrow(/already open/);
  });

  it('a torn write keeps a prefix of the unsynced records', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const clock = new VirtualClock();
      const disk = new SimDisk({ clock, fsyncLatencyMs: 5, tornWrites: seededRandom(seed) });
      const storage = new SimStorage(disk);
      void storage.save(hs(2), [entry(1, 2), entry(2, 2)]);
      void storage.save(hs(2, 2), [entry(3, 2)]);
      disk.crash();
      const { hardState, entries } = new SimStorage(disk).load();
      const state = `${hardState.term}/${hardState.commit}: ${entries.map((e) => e.index).join(',')}`;
      outcomes.add(state);
    }
    // Records in order: e1 e2 hs(2) e3 hs(2,2); any prefix, nothing else.
    const legal = ['0/0: ', '0/0: 1', '0/0: 1,2', '2/0: 1,2', '2/0: 1,2,3', '2/2: 1,2,3'];
    for (const o of outcomes) expect(legal).toContain(o);
    expect(outcomes.size).toBeGreaterThan(3);
  });
});

describe('Trace', () => {
  it('keeps the last lines in a ring buffer and prints all of them when verbose', () => {
    let t = 0;
    const printed: string[] = [];
    const trace = new Trace({ now: () => t, capacity: 3, out: (l) => printed.push(l) });
    for (let i = 0; i < 5; i++) {
      t = i * 1500;
      trace.log(`n${i}`, `event ${i}`);
    }
    expect(trace.count).toBe(5);
    expect(trace.lines()).toEqual([formatLine(3000, 'n2', 'event 2'), formatLine(4500, 'n3', 'event 3'), formatLine(6000, 'n4', 'event 4')]);
    expect(formatLine(6000, 'n4', 'event 4')).toBe('      6.000 n4 event 4');
    expect(printed).toEqual([]);
    trace.print();
    expect(printed[0]?.split('\n')[0]).toBe('... 2 earlier lines not kept');
    trace.verbose = true;
    trace.log('sim', 'hello');
    expect(printed[1]).toBe('      6.000 sim hello');
    trace.clear();
    expect(trace.lines()).toEqual([]);
  });
});
