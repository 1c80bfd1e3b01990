// Every catalog image's built-in behaviour through the Executor interface: what it prints, how it
// exits, and how it takes a stop. Timing-dependent programs run on a virtual clock.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskObject } from '../../../core/api/objects.ts';
import type { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { collect, executor, httpGet, lines, listeningPort, task, tcpExchange, until } from './helpers.ts';

const open: ProcessExecutor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.close()));
});

async function setup(virtual = false) {
  const clock = new VirtualClock({ start: 1_700_000_000_000 });
  const ex = await executor(virtual ? { clock } : {});
  open.push(ex);
  const run = async (t: TaskObject) => {
    await ex.prepare(t);
    return ex.start(t);
  };
  const runFor = (ms: number) => clock.runFor(ms);
  return { ex, clock, run, runFor };
}

/** Whether the task has exited, without waiting. */
async function exitedWith(ex: ProcessExecutor, t: TaskObject): Promise<number | undefined> {
  const s = await ex.inspect(t);
  return s.state === 'exited' ? s.exitCode : undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('alpine and busybox', () => {
  it('with no command run /bin/sh, which exits 0 at once without a terminal', async () => {
    const { ex, run } = await setup();
    for (const image of ['alpine', 'alpine:3.19', 'docker.io/library/alpine:3.19', `alpine@sha256:${'0'.repeat(64)}`, 'busybox']) {
      const t = task({ Image: image });
      const info = await run(t);
      expect(info.containerId).toMatch(/^[0-9a-f]{64}$/);
      expect(info.pid).toBeUndefined(); // a built-in program has no process of its own
      expect(await ex.wait(t)).toEqual({ exitCode: 0 });
      expect(await lines(ex, t.ID)).toEqual([]);
    }
  });

  it('echo, true and false', async () => {
    const { ex, run } = await setup();
    const cases: [string[], number, string[]][] = [
      [['echo', 'hello', 'world'], 0, ['hello world']],
      [['echo', '-n', 'no newline'], 0, ['no newline']],
      [['echo', '-e', 'a\\tb\\nc'], 0, ['a\tb', 'c']],
      [['echo', '-x'], 0, ['-x']],
      [['/bin/true'], 0, []],
      [['false'], 1, []],
    ];
    for (const [args, code, out] of cases) {
      const t = task({ Image: 'alpine', Args: args });
      await run(t);
      expect(await ex.wait(t)).toEqual({ exitCode: code });
      expect(await lines(ex, t.ID, 'stdout')).toEqual(out);
    }
  });

  it('sleep N exits 0 after N (s/m/h suffixes, sums of arguments)', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'busybox', Args: ['sleep', '1m', '0.5'] });
    await run(t);
    await runFor(60_499);
    expect(await exitedWith(ex, t)).toBeUndefined();
    await runFor(1);
    expect(await exitedWith(ex, t)).toBe(0);
    const bad = task({ Image: 'busybox', Args: ['sleep', 'soon'] });
    await run(bad);
    await runFor(0);
    expect(await exitedWith(ex, bad)).toBe(1);
    expect(await lines(ex, bad.ID, 'stderr')).toEqual(["sleep: invalid number 'soon'"]);
  });

  it('sleep ignores the stop signal, as PID 1 does, and is killed after the grace period (137)', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'alpine', Args: ['sleep', 'infinity'] });
    await run(t);
    let stopped = false;
    void ex.stop(t, 3_000).then(() => (stopped = true));
    await runFor(2_999);
    expect(stopped).toBe(false);
    expect((await ex.inspect(t)).state).toBe('running');
    await runFor(1);
    expect(stopped).toBe(true);
    expect(await ex.wait(t)).toEqual({ exitCode: 137 });
  });

  it('a stop signal of SIGKILL ends it at once', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'alpine', Args: ['sleep', '100'], StopSignal: 'KILL' });
    await run(t);
    const stopping = ex.stop(t, 10_000);
    await runFor(0);
    await stopping;
    expect(await ex.wait(t)).toEqual({ exitCode: 137 });
  });

  it('ping prints BusyBox lines each interval and its statistics with -c', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'alpine', Args: ['ping', '-c', '2', '-i', '0.2', 'localhost'] });
    await run(t);
    expect(await ex.wait(t)).toEqual({ exitCode: 0 });
    const out = await lines(ex, t.ID);
    expect(out[0]).toBe('PING localhost (127.0.0.1): 56 data bytes');
    expect(out[1]).toMatch(/^64 bytes from 127\.0\.0\.1: seq=0 ttl=64 time=\d+\.\d{3} ms$/);
    expect(out[2]).toMatch(/^64 bytes from 127\.0\.0\.1: seq=1 ttl=64 time=\d+\.\d{3} ms$/);
    expect(out.slice(3, 6)).toEqual(['', '--- localhost ping statistics ---', '2 packets transmitted, 2 packets received, 0% packet loss']);
    expect(out[6]).toMatch(/^round-trip min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms$/);
  });

  it('ping ignores SIGTERM (killed after the grace) and a bad name fails as in BusyBox', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'alpine', Args: ['ping', '127.0.0.1'] });
    await run(t);
    await until(async () => (await lines(ex, t.ID)).length >= 2);
    await ex.stop(t, 200);
    expect(await ex.wait(t)).toEqual({ exitCode: 137 });
    const bad = task({ Image: 'alpine', Args: ['ping', 'no-such-host.invalid'] });
    await run(bad);
    expect(await ex.wait(bad)).toEqual({ exitCode: 1 });
    expect(await lines(ex, bad.ID, 'stderr')).toEqual(["ping: bad address 'no-such-host.invalid'"]);
    const usage = task({ Image: 'alpine', Args: ['ping', '-z', 'x'] });
    await run(usage);
    expect(await ex.wait(usage)).toEqual({ exitCode: 1 });
    expect((await lines(ex, usage.ID, 'stderr'))[0]).toBe("ping: unrecognized option '-z'");
  });
});

describe('swarmlab/crash', () => {
  it('exits with code 1 after 5 s by default', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'swarmlab/crash' });
    await run(t);
    await runFor(4_999);
    expect(await exitedWith(ex, t)).toBeUndefined();
    await runFor(1);
    expect(await ex.wait(t)).toEqual({ exitCode: 1 });
    expect(await lines(ex, t.ID, 'stderr')).toEqual(['crash: exiting with code 1 after 5s, as asked']);
  });

  it('takes CRASH_AFTER and EXIT_CODE from the environment', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'swarmlab/crash:latest', Env: ['CRASH_AFTER=2.5', 'EXIT_CODE=42'] });
    await run(t);
    const exit = ex.wait(t);
    await runFor(2_499);
    expect(await exitedWith(ex, t)).toBeUndefined();
    await runFor(1);
    expect(await exit).toEqual({ exitCode: 42 });
    const bad = task({ Image: 'swarmlab/crash', Env: ['CRASH_AFTER=soon'] });
    await run(bad);
    await runFor(0);
    expect(await exitedWith(ex, bad)).toBe(2);
    expect(await lines(ex, bad.ID, 'stderr')).toEqual(["crash: CRASH_AFTER must be a number of seconds, not 'soon'"]);
  });

  it('honours SIGTERM before the crash: 143 at once', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'swarmlab/crash', Env: ['CRASH_AFTER=60'] });
    await run(t);
    const stopping = ex.stop(t, 10_000);
    await runFor(0);
    await stopping;
    expect(await ex.wait(t)).toEqual({ exitCode: 143 });
  });

  it('logs can be followed until the task exits', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'swarmlab/crash', Env: ['CRASH_AFTER=1'] });
    await run(t);
    const followed = collect(ex.logs(t.ID, { follow: true }));
    await runFor(1_000);
    const got = await followed;
    expect(got.map((e) => [e.stream, e.line])).toEqual([
      ['stdout', 'crash: running; will exit with code 1 in 1s (CRASH_AFTER, EXIT_CODE)'],
      ['stderr', 'crash: exiting with code 1 after 1s, as asked'],
    ]);
    expect(got.map((e) => e.time.getTime())).toEqual([1_700_000_000_000, 1_700_000_001_000]);
    expect((await collect(ex.logs(t.ID, { tail: 1 }))).map((e) => e.line)).toEqual(['crash: exiting with code 1 after 1s, as asked']);
  });
});

describe('swarmlab/whoami', () => {
  it('answers over HTTP with whoami lines, swarmlab lines, the request line and headers', async () => {
    const { ex, run } = await setup();
    for (const version of ['1', '2']) {
      const t = task({ Image: `swarmlab/whoami:${version}` }, { Slot: 3 });
      const info = await run(t);
      const port = await listeningPort(ex, t.ID);
      expect(ex.endpoints(t.ID)).toEqual([{ containerPort: 80, host: '127.0.0.1', port }]);
      const res = await httpGet(port, '/hello?x=1');
      expect(res.status).toBe(200);
      const body = res.body.split('\n');
      expect(body.slice(0, 3)).toEqual([`Hostname: ${info.containerId!.slice(0, 12)}`, 'IP: 127.0.0.1', expect.stringMatching(/^RemoteAddr: 127\.0\.0\.1:\d+$/)]);
      expect(body).toContain('Node: worker-1');
      expect(body).toContain('NodeID: node1');
      expect(body).toContain('Service: web');
      expect(body).toContain(`Task: web.3.${t.ID}`);
      expect(body).toContain('Slot: 3');
      expect(body).toContain(`Version: ${version}`);
      expect(body).toContain('GET /hello?x=1 HTTP/1.1');
      expect(body).toContain('User-Agent: swarmlab-test');
      expect(body).toContain(`Host: 127.0.0.1:${port}`);
      const api = JSON.parse((await httpGet(port, '/api')).body);
      expect(api).toMatchObject({ hostname: info.containerId!.slice(0, 12), version, node: 'worker-1', slot: 3, method: 'GET' });
      expect((await httpGet(port, '/health')).status).toBe(200);
    }
  });

  it('listens on the port PORT names; stops on SIGTERM (143) and frees the port', async () => {
    const { ex, run } = await setup();
    const port = await freePort();
    const t = task({ Image: 'swarmlab/whoami:1', Env: [`PORT=${port}`], Hostname: 'who-{{.Task.Slot}}' });
    await run(t);
    expect(await listeningPort(ex, t.ID)).toBe(port);
    expect((await httpGet(port)).body).toMatch(/^Hostname: who-1\n/);
    await ex.stop(t, 10_000);
    expect(await ex.wait(t)).toEqual({ exitCode: 143 });
    expect(ex.endpoints(t.ID)).toEqual([]);
    await expect(httpGet(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a port already taken fails the task with Go-like wording', async () => {
    const { ex, run } = await setup();
    const port = await freePort();
    const first = task({ Image: 'swarmlab/whoami:1', Env: [`PORT=${port}`] });
    await run(first);
    await listeningPort(ex, first.ID);
    const second = task({ Image: 'swarmlab/whoami:1', Env: [`PORT=${port}`] });
    await run(second);
    expect(await ex.wait(second)).toEqual({ exitCode: 1 });
    expect(await lines(ex, second.ID, 'stderr')).toEqual([`whoami: listen tcp 127.0.0.1:${port}: bind: address already in use`]);
  });
});

describe('swarmlab/web', () => {
  it('serves a page in its colour and logs each request', async () => {
    const { ex, run } = await setup();
    for (const colour of ['blue', 'green']) {
      const t = task({ Image: `swarmlab/web:${colour}` });
      await run(t);
      const res = await httpGet(await listeningPort(ex, t.ID));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain(`<h1>${colour}</h1>`);
      expect(res.body).toContain('<code>worker-1</code>');
      await until(async () => (await lines(ex, t.ID)).some((l) => l.includes('"GET / HTTP/1.1" 200')));
    }
  });

  it('red fails at start: non-zero exit at once, a readable error on stderr', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'swarmlab/web:red' });
    await run(t);
    expect(await ex.wait(t)).toEqual({ exitCode: 1 });
    const err = await lines(ex, t.ID, 'stderr');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^web: cannot start: .*broken on purpose/);
    expect(ex.endpoints(t.ID)).toEqual([]);
  });
});

describe('nginx', () => {
  it('serves the welcome page, 404s, and logs as the image does', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'nginx:latest' });
    await run(t);
    const port = await listeningPort(ex, t.ID);
    const res = await httpGet(port);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Welcome to nginx!</title>');
    expect(Buffer.byteLength(res.body)).toBe(615);
    expect(res.headers.server).toBe('nginx/1.27.3');
    const missing = await httpGet(port, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('<center><h1>404 Not Found</h1></center>');
    expect((await httpGet(port, '/', 'POST')).status).toBe(405);
    const out = await lines(ex, t.ID, 'stdout');
    expect(out[0]).toBe('/docker-entrypoint.sh: Configuration complete; ready for start up');
    expect(out.some((l) => /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 615 "-" "swarmlab-test"$/.test(l))).toBe(true);
    expect(await lines(ex, t.ID, 'stderr')).toContainEqual(expect.stringMatching(/\[notice\] 1#1: nginx\/1\.27\.3$/));
  });

  it('stops gracefully on SIGQUIT, its image stop signal, with exit code 0', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'nginx' });
    await run(t);
    await listeningPort(ex, t.ID);
    await ex.stop(t, 10_000);
    expect(await ex.wait(t)).toEqual({ exitCode: 0 });
    expect(await lines(ex, t.ID, 'stderr')).toContainEqual(expect.stringMatching(/signal 3 \(SIGQUIT\) received, shutting down$/));
  });
});

describe('redis', () => {
  it('answers RESP and inline commands as redis-cli expects', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'redis:7' });
    await run(t);
    const port = await listeningPort(ex, t.ID);
    const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const ask = (payload: string, replies: number) => tcpExchange(port, payload, (text) => text.split('\r\n').length > replies);
    expect(await ask(resp('PING'), 1)).toBe('+PONG\r\n');
    expect(await ask(resp('SET', 'hits', '41') + resp('INCR', 'hits') + resp('GET', 'hits'), 4)).toBe('+OK\r\n:42\r\n$2\r\n42\r\n');
    expect(await ask('SET greeting "hello world"\r\nGET greeting\r\n', 3)).toBe('+OK\r\n$11\r\nhello world\r\n');
    expect(await ask(resp('KEYS', 'h*'), 3)).toBe('*1\r\n$4\r\nhits\r\n');
    expect(await ask(resp('DEL', 'hits', 'nope') + resp('GET', 'hits'), 2)).toBe(':1\r\n$-1\r\n');
    expect(await ask(resp('INCR', 'greeting'), 1)).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await ask(resp('GET'), 1)).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await ask(resp('FOO', 'bar'), 1)).toBe("-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n");
    expect(await lines(ex, t.ID)).toContainEqual(expect.stringMatching(/^1:M .* \* Ready to accept connections tcp$/));
  });

  it('expires keys on the task clock', async () => {
    const { ex, run, runFor } = await setup(true);
    const t = task({ Image: 'redis' });
    await run(t);
    let port: number | undefined;
    await until(async () => {
      await runFor(0);
      port = ex.endpoints(t.ID)[0]?.port;
      return port !== undefined;
    });
    const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;
    expect(await tcpExchange(port!, resp('SET', 'k', 'v', 'EX', '10') + resp('TTL', 'k'), (s) => s.split('\r\n').length > 2)).toBe('+OK\r\n:10\r\n');
    await runFor(10_000);
    expect(await tcpExchange(port!, resp('GET', 'k'), (s) => s.split('\r\n').length > 1)).toBe('$-1\r\n');
  });

  it('shuts down on SIGTERM with exit code 0', async () => {
    const { ex, run } = await setup();
    const t = task({ Image: 'redis' });
    await run(t);
    await listeningPort(ex, t.ID);
    await ex.stop(t, 10_000);
    expect(await ex.wait(t)).toEqual({ exitCode: 0 });
    expect((await lines(ex, t.ID)).at(-1)).toMatch(/# Redis is now ready to exit, bye bye\.\.\.$/);
  });
});
