// Network faults on cluster links: the timing of delayed and lost frames on a virtual clock, then
// partitions and delays on a real plain-TCP RpcServer/RpcClient pair whose ends have addresses of
// their own (127.0.0.1 serves, the client leaves from 127.0.0.2).

import net, { type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.ts';
import { seededRandom, type Random } from '../../../core/random.ts';
import { RpcClient } from '../../../core/rpc/client.ts';
import { LinkFaults, MIN_RETRANSMIT_MS } from '../../../core/rpc/link-faults.ts';
import { listen } from '../../../core/rpc/listener.ts';
import { RpcServer } from '../../../core/rpc/server.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { waitFor } from '../../vm/helpers.ts';

/** What a link needs of a socket, with its destruction recorded. */
function fakeSocket(remote: string, local = '127.0.0.1'): Socket {
  const s = { remoteAddress: remote, localAddress: local, destroyed: false, destroy() { s.destroyed = true; return s; } };
  return s as unknown as Socket;
}

/** A Random whose next() values are given in turn (then 0.99: no loss). */
function scripted(values: number[]): Random {
  return { next: () => values.shift() ?? 0.99, int: (n) => Math.floor((values.shift() ?? 0.99) * n) };
}

describe('frame timing on a virtual clock', () => {
  it('delays every outgoing frame and keeps their order across a change of delay', async () => {
    const clock = new VirtualClock({ start: 1_000 });
    const faults = new LinkFaults({ clock, random: seededRandom(1) });
    const link = faults.link(fakeSocket('127.0.0.2'));
    const sent: [string, number][] = [];
    const send = (name: string) => link.send(() => sent.push([name, clock.now()]));

    send('undelayed');
    expect(sent).toEqual([['undelayed', 1_000]]);
    faults.set({ delayMs: 300 });
    send('a');
    await clock.runFor(100);
    // A shorter delay does not let a frame overtake the one ahead of it.
    faults.set({ delayMs: 50 });
    send('b');
    await clock.runFor(400);
    send('c');
    await clock.runFor(100);
    expect(sent).toEqual([['undelayed', 1_000], ['a', 1_300], ['b', 1_300], ['c', 1_550]]);
  });

  it('a lost frame comes after a retransmission timeout and holds up those behind it', async () => {
    const clock = new VirtualClock();
    // The second frame is lost (0.01 < 5%), the others are not.
    const faults = new LinkFaults({ clock, random: scripted([0.5, 0.01, 0.5]) });
    faults.set({ delayMs: 40, lossPercent: 5 });
    const link = faults.link(fakeSocket('127.0.0.2'));
    const sent: [number, number][] = [];
    for (const n of [1, 2, 3]) link.send(() => sent.push([n, clock.now()]));
    await clock.runFor(1_000);
    expect(sent).toEqual([[1, 40], [2, 40 + MIN_RETRANSMIT_MS], [3, 40 + MIN_RETRANSMIT_MS]]);

    // With a long delay the timeout is twice the delay.
    const slow = new LinkFaults({ clock, random: scripted([0]) });
    slow.set({ delayMs: 500, lossPercent: 100 });
    const at: number[] = [];
    const start = clock.now();
    slow.link(fakeSocket('127.0.0.2')).send(() => at.push(clock.now() - start));
    await clock.runFor(2_000);
    expect(at).toEqual([500 + 1_000]);
  });

  it('loss alone never loses a frame nor reorders them', async () => {
    const clock = new VirtualClock();
    const faults = new LinkFaults({ clock, random: seededRandom(7) });
    faults.set({ lossPercent: 20 });
    const link = faults.link(fakeSocket('127.0.0.2'));
    const got: number[] = [];
    for (let i = 0; i < 500; i++) {
      link.send(() => got.push(i));
      await clock.runFor(10);
    }
    await clock.runFor(1_000);
    expect(got).toEqual([...Array(500).keys()]);
  });

  it('a partition drops frames both ways with the peers named, or all; the node itself is never cut', () => {
    const clock = new VirtualClock();
    const faults = new LinkFaults({ clock, random: seededRandom(1) });
    const toB = faults.link(fakeSocket('127.0.0.2'));
    const toC = faults.link(fakeSocket('::ffff:127.0.0.3'));
    const self = faults.link(fakeSocket('127.0.0.1', '127.0.0.1'));
    faults.set({ partition: ['127.0.0.3'] });
    const sent: string[] = [];
    toB.send(() => sent.push('b'));
    toC.send(() => sent.push('c'));
    expect(sent).toEqual(['b']);
    expect([toB.admit(), toC.admit(), self.admit()]).toEqual([true, false, true]);
    faults.set({ partition: 'all', delayMs: 100 });
    expect([toB.admit(), self.admit()]).toEqual([false, true]);
    self.send(() => sent.push('self, undelayed'));
    expect(sent).toEqual(['b', 'self, undelayed']);
    expect(faults.settings).toEqual({ partition: 'all', delayMs: 100, lossPercent: 0 });
  });

  it('a connection that lost frames to a partition is reset when it heals; one that lost none carries on', () => {
    const clock = new VirtualClock();
    const faults = new LinkFaults({ clock, random: seededRandom(1) });
    const tornSocket = fakeSocket('127.0.0.2');
    const idleSocket = fakeSocket('127.0.0.2');
    const torn = faults.link(tornSocket);
    const idle = faults.link(idleSocket);
    faults.set({ partition: ['127.0.0.2'] });
    torn.send(() => {});
    faults.set({});
    expect(tornSocket.destroyed).toBe(true);
    expect(torn.admit()).toBe(false);
    expect(idleSocket.destroyed).toBe(false);
    expect(idle.admit()).toBe(true);
  });

  it('refuses settings that make no sense', () => {
    const faults = new LinkFaults({ clock: new VirtualClock(), random: seededRandom(1) });
    expect(() => faults.set({ delayMs: -1 })).toThrow('delay must be a number of milliseconds >= 0, got -1');
    expect(() => faults.set({ lossPercent: 101 })).toThrow('loss must be a percentage from 0 to 100, got 101');
  });
});

describe('a real connection with faults', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** The server on 127.0.0.1, the client from 127.0.0.2; each side with its own faults. */
  async function pair(): Promise<{ client: RpcClient; serverFaults: LinkFaults; clientFaults: LinkFaults; served: string[] }> {
    const served: string[] = [];
    const serverFaults = new LinkFaults({ clock: systemClock, random: seededRandom(1) });
    const clientFaults = new LinkFaults({ clock: systemClock, random: seededRandom(2) });
    const server = new RpcServer({ identify: () => ({ nodeId: 'n', role: 'manager', clusterId: 'c' }), faults: serverFaults });
    server.call('echo', 'node', (p, ctx) => {
      served.push(ctx.remoteAddress);
      return p;
    });
    const l = await listen(server, '127.0.0.1:0', undefined);
    cleanups.push(() => l.close());
    const port = Number(l.addr.split(':')[1]);
    const client = new RpcClient({
      dial: () => net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }),
      readyEvent: 'connect',
      clock: systemClock,
      callTimeoutMs: 300,
      faults: clientFaults,
    });
    cleanups.push(() => client.close());
    return { client, serverFaults, clientFaults, served };
  }

  it('a partition on the server side: calls from the cut-off peer time out; healed, the next call gets through', async () => {
    const { client, serverFaults, served } = await pair();
    expect(await client.call('echo', 1)).toBe(1);
    expect(served).toEqual(['127.0.0.2']);
    serverFaults.set({ partition: ['127.0.0.2'] });
    await expect(client.call('echo', 2)).rejects.toMatchObject({ code: 'deadline-exceeded' });
    expect(served).toHaveLength(1);
    serverFaults.set({});
    // The connection lost a frame: it is reset, and the client dials again.
    let answer: unknown;
    await waitFor(async () => (answer = await client.call('echo', 3).catch(() => undefined)) === 3, 5_000, 'a call after healing');
    expect(answer).toBe(3);
  });

  it('a partition on the client side cuts new connections too', async () => {
    const { client, clientFaults, served } = await pair();
    clientFaults.set({ partition: 'all' });
    await expect(client.call('echo', 1)).rejects.toMatchObject({ code: 'deadline-exceeded' });
    expect(served).toEqual([]);
    clientFaults.set({ partition: ['127.0.0.9'] });
    await waitFor(async () => (await client.call('echo', 2).catch(() => undefined)) === 2, 5_000, 'a call after healing');
  });

  it('a delay on one side lengthens the round trip by about that much', async () => {
    const { client, serverFaults } = await pair();
    await client.call('echo', 0);
    serverFaults.set({ delayMs: 120 });
    const t0 = performance.now();
    expect(await client.call('echo', 'slow', 2_000)).toBe('slow');
    const rtt = performance.now() - t0;
    expect(rtt).toBeGreaterThanOrEqual(115);
    expect(rtt).toBeLessThan(1_000);
    // Many calls in flight come back in order, each about one delay late (not one delay each after the other).
    const order: number[] = [];
    const t1 = performance.now();
    await Promise.all([1, 2, 3, 4, 5].map((n) => client.call('echo', n, 2_000).then((r) => order.push(r as number))));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(performance.now() - t1).toBeLessThan(500);
  });
});
