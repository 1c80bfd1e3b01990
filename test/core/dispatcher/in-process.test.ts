// The in-process transport: asynchronous on the clock, copies like a wire, cuts like a network.
import { describe, expect, it } from 'vitest';
import { InProcessDispatcherNetwork } from '../../../core/dispatcher/in-process.ts';
import { DispatcherError, type AssignmentsMessage, type AssignmentsObserver, type DispatcherApi } from '../../../core/dispatcher/protocol.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

function server(over: Partial<DispatcherApi> = {}): DispatcherApi & { observers: AssignmentsObserver[] } {
  const observers: AssignmentsObserver[] = [];
  return {
    observers,
    session: async (req) => ({ sessionId: `s-${req.nodeId}`, heartbeatPeriodMs: 500, managers: [] }),
    heartbeat: async () => ({ periodMs: 500 }),
    updateTaskStatus: async () => ({ ignored: [] }),
    assignments: (_req, observer) => {
      observers.push(observer);
      return { close: () => observers.splice(observers.indexOf(observer), 1) };
    },
    ...over,
  };
}

const ref = { nodeId: 'w1', sessionId: 's' };

describe('in-process dispatcher transport', () => {
  it('delivers on the clock, after the latency, and copies what it carries', async () => {
    const clock = new VirtualClock();
    const net = new InProcessDispatcherNetwork({ clock, latencyMs: 5 });
    const api = server();
    net.serve('m1', api);
    const c = net.connect('m1');
    let got: string | undefined;
    void c.session({ nodeId: 'w1', description: { Hostname: 'w1', Platform: {}, Resources: {}, Engine: {} }, addr: 'a' }).then((r) => (got = r.sessionId));
    await clock.runFor(9);
    expect(got).toBeUndefined();
    await clock.runFor(1);
    expect(got).toBe('s-w1');

    const received: AssignmentsMessage[] = [];
    c.assignments(ref, { message: (m) => received.push(m), end: () => {} });
    await clock.runFor(5);
    const sent: AssignmentsMessage = { type: 'complete', seq: 1, tasks: [] };
    api.observers[0]!.message(sent);
    await clock.runFor(5);
    expect(received).toEqual([sent]);
    expect(received[0]).not.toBe(sent);
  });

  it('a cut link ends streams with an error and refuses requests until restored', async () => {
    const clock = new VirtualClock();
    const net = new InProcessDispatcherNetwork({ clock });
    net.serve('m1', server());
    const c = net.connect('m1');
    let ended: DispatcherError | undefined;
    c.assignments(ref, { message: () => {}, end: (e) => (ended = e) });
    await clock.runFor(1);
    expect(net.openStreams('m1')).toBe(1);
    net.disconnect('m1');
    await clock.runFor(1);
    expect(ended?.code).toBe('unavailable');
    expect(net.openStreams()).toBe(0);
    const hb = c.heartbeat(ref).catch((e: DispatcherError) => e.code);
    await clock.runFor(1);
    expect(await hb).toBe('unavailable');
    net.restore('m1');
    const ok = c.heartbeat(ref);
    await clock.runFor(1);
    expect((await ok).periodMs).toBe(500);
  });

  it('a request that is never answered times out', async () => {
    const clock = new VirtualClock();
    const net = new InProcessDispatcherNetwork({ clock, requestTimeoutMs: 3_000 });
    net.serve('m1', server({ heartbeat: () => new Promise(() => {}) }));
    const c = net.connect('m1');
    let err: DispatcherError | undefined;
    c.heartbeat(ref).catch((e: DispatcherError) => (err = e));
    await clock.runFor(2_999);
    expect(err).toBeUndefined();
    await clock.runFor(1);
    expect(err?.code).toBe('unavailable');
    expect(err?.message).toMatch(/timed out/);
  });

  it('errors keep their code and leader across the transport; closing a client fails what is pending', async () => {
    const clock = new VirtualClock();
    const net = new InProcessDispatcherNetwork({ clock });
    net.serve(
      'm2',
      server({ session: () => Promise.reject(new DispatcherError('not-leader', 'go to m1', { nodeId: 'm1', addr: 'm1' })) }),
    );
    const c = net.connect('m2');
    const p = c.session({ nodeId: 'w1', description: { Hostname: 'w1', Platform: {}, Resources: {}, Engine: {} }, addr: 'a' }).catch((e: DispatcherError) => e);
    await clock.runFor(1);
    const e = (await p) as DispatcherError;
    expect(e).toBeInstanceOf(DispatcherError);
    expect(e.code).toBe('not-leader');
    expect(e.leader).toEqual({ nodeId: 'm1', addr: 'm1' });

    net.serve('m3', server({ heartbeat: () => new Promise(() => {}) }));
    const c3 = net.connect('m3');
    const pending = c3.heartbeat(ref).catch((x: DispatcherError) => x.message);
    await clock.runFor(1);
    c3.close();
    expect(await pending).toBe('client closed');
  });
});
