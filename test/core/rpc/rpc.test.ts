import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.ts';
import { RpcClient } from '../../../core/rpc/client.ts';
import { RpcError } from '../../../core/rpc/errors.ts';
import { listen, type Listening } from '../../../core/rpc/listener.ts';
import { RpcServer, type Peer, type StreamSink } from '../../../core/rpc/server.ts';
import { encodeFrame, FrameReader } from '../../../core/rpc/codec.ts';

// The RPC layer over plain TCP; who the peer is comes from `identity` (TLS supplies it in swarmd).
let identity: Peer | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(configure: (s: RpcServer) => void): Promise<{ client: RpcClient; l: Listening; server: RpcServer; connect: () => RpcClient }> {
  const server = new RpcServer({ identify: () => identity, refuse: (p) => (p.nodeId === 'removed' ? 'node removed was removed from the swarm' : undefined) });
  configure(server);
  const l = await listen(server, '127.0.0.1:0', undefined);
  cleanups.push(() => l.close());
  const [host, port] = [l.addr.split(':')[0]!, Number(l.addr.split(':')[1])];
  const connect = () => {
    const c = new RpcClient({ dial: () => net.connect(port, host), readyEvent: 'connect', clock: systemClock, callTimeoutMs: 2_000 });
    cleanups.push(() => c.close());
    return c;
  };
  return { client: connect(), l, server, connect };
}

describe('cluster-port RPC', () => {
  it('answers calls, carrying byte arrays intact', async () => {
    identity = { nodeId: 'n1', role: 'worker', clusterId: 'c' };
    const { client } = await setup((s) => s.call('echo', 'node', (p, ctx) => ({ p, who: ctx.peer?.nodeId })));
    const data = new Uint8Array([0, 1, 2, 255]);
    const r = await client.call<{ p: { data: Uint8Array }; who: string }>('echo', { data });
    expect(r.who).toBe('n1');
    expect(r.p.data).toEqual(data);
  });

  it('keeps a handler error\'s code, message and data', async () => {
    identity = { nodeId: 'n1', role: 'worker', clusterId: 'c' };
    class CodedError extends Error {
      code = 'not-leader';
      toWire() {
        return { code: 'not-leader', message: this.message, leader: { nodeId: 'm2', addr: 'x:1' } };
      }
    }
    const { client } = await setup((s) => s.call('fail', 'node', () => {
      throw new CodedError('go to m2');
    }));
    const err = await client.call('fail', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe('not-leader');
    expect((err as RpcError).message).toBe('go to m2');
    expect((err as RpcError).data).toMatchObject({ leader: { nodeId: 'm2' } });
  });

  it('refuses manager methods to workers and node methods to peers without a certificate', async () => {
    // The identity is read once per connection (a TLS certificate cannot change): a new peer is a new connection.
    const { connect } = await setup((s) => {
      s.call('raft', 'manager', () => 'ok');
      s.call('dispatch', 'node', () => 'ok');
      s.call('ca', 'anyone', () => 'ok');
    });
    identity = { nodeId: 'w1', role: 'worker', clusterId: 'c' };
    const worker = connect();
    await expect(worker.call('raft', {})).rejects.toMatchObject({ code: 'permission-denied', message: 'raft is for managers; node w1 has a worker certificate' });
    expect(await worker.call('dispatch', {})).toBe('ok');
    identity = undefined;
    const anonymous = connect();
    await expect(anonymous.call('dispatch', {})).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(await anonymous.call('ca', {})).toBe('ok');
    // Still the worker on its own connection.
    expect(await worker.call('dispatch', {})).toBe('ok');
    identity = { nodeId: 'removed', role: 'manager', clusterId: 'c' };
    const removed = connect();
    await expect(removed.call('raft', {})).rejects.toMatchObject({ code: 'permission-denied', message: 'node removed was removed from the swarm' });
    await expect(removed.call('nope', {})).rejects.toMatchObject({ code: 'unimplemented', message: 'unknown method nope' });
  });

  it('streams items until the server ends, and stops the server side when the client closes', async () => {
    identity = { nodeId: 'n1', role: 'worker', clusterId: 'c' };
    let sink: StreamSink | undefined;
    let closed = false;
    const { client } = await setup((s) =>
      s.stream('watch', 'node', (_p, _c, k) => {
        sink = k;
        return { close: () => (closed = true) };
      }),
    );
    const items: unknown[] = [];
    let ended: RpcError | undefined | 'no' = 'no';
    const sub = client.open('watch', {}, { item: (v) => items.push(v), end: (e) => (ended = e) });
    await until(() => sink !== undefined);
    sink!.next(1);
    sink!.next(2);
    await until(() => items.length === 2);
    expect(items).toEqual([1, 2]);
    sub.close();
    await until(() => closed);
    expect(ended).toBe('no');
  });

  it('fails calls and streams in flight with `unavailable` when the server goes away, and reconnects after', async () => {
    identity = { nodeId: 'n1', role: 'worker', clusterId: 'c' };
    let hang = true;
    let reached = false;
    const { client, server } = await setup((s) => {
      s.call('slow', 'node', () => {
        reached = true;
        return hang ? new Promise(() => {}) : 'fast';
      });
      s.stream('watch', 'node', () => ({ close() {} }));
    });
    let ended: RpcError | undefined;
    client.open('watch', {}, { item() {}, end: (e) => (ended = e) });
    const p = client.call('slow', {});
    await until(() => reached);
    server.closeAll();
    await expect(p).rejects.toMatchObject({ code: 'unavailable' });
    await until(() => ended !== undefined);
    expect(ended!.code).toBe('unavailable');
    hang = false;
    expect(await client.call('slow', {})).toBe('fast');
  });

  it('times out a call that gets no answer', async () => {
    identity = { nodeId: 'n1', role: 'worker', clusterId: 'c' };
    const { client } = await setup((s) => s.call('hang', 'node', () => new Promise(() => {})));
    await expect(client.call('hang', {}, 100)).rejects.toMatchObject({ code: 'deadline-exceeded' });
  });

  it('delivers casts in order', async () => {
    identity = { nodeId: 'm1', role: 'manager', clusterId: 'c' };
    const got: number[] = [];
    const { client } = await setup((s) => s.cast('step', 'manager', (p) => got.push(p as number)));
    for (let i = 0; i < 100; i++) client.cast('step', i);
    await until(() => got.length === 100);
    expect(got).toEqual([...Array(100).keys()]);
  });

  it('drops a connection that sends garbage, and keeps serving others', async () => {
    identity = { nodeId: 'n1', role: 'worker', clusterId: 'c' };
    const { client, l } = await setup((s) => s.call('echo', 'node', (p) => p));
    const [host, port] = [l.addr.split(':')[0]!, Number(l.addr.split(':')[1])];
    const bad = net.connect(port, host);
    const closed = new Promise((r) => bad.on('close', r));
    bad.on('error', () => {});
    bad.write(Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b]));
    await closed;
    const bad2 = net.connect(port, host);
    const closed2 = new Promise((r) => bad2.on('close', r));
    bad2.on('error', () => {});
    bad2.write(encodeFrame({ k: 'call', id: -1, m: 'echo' }));
    await closed2;
    expect(await client.call('echo', 'still here')).toBe('still here');
  });
});

describe('frames', () => {
  it('reassemble across arbitrary chunk boundaries', () => {
    const docs = [{ a: 1 }, { b: new Uint8Array([9, 8]) }, 'x'.repeat(1000)];
    const bytes = Buffer.concat(docs.map((d) => encodeFrame(d)));
    for (const size of [1, 3, 7, 100]) {
      const r = new FrameReader();
      const out: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...r.push(bytes.subarray(i, i + size)));
      expect(out).toEqual(docs);
    }
  });

  it('refuse a frame larger than the limit', () => {
    const r = new FrameReader();
    expect(() => r.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/larger than/);
  });
});

async function until(pred: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
