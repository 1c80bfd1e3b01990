// The networking tutorials' programs, each run as a virtual process on a test network of real
// loopback sockets: wget, curl, nslookup, ping, cat of a secret, whoami (server IPs, client mode)
// and web calling an API by name.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { curlProgram, catProgram, nslookupProgram, wgetProgram } from '../../../core/executor/programs/net-tools.ts';
import { pingProgram } from '../../../core/executor/programs/ping.ts';
import { webProgram } from '../../../core/executor/programs/web.ts';
import { whoamiProgram, parseGoDuration } from '../../../core/executor/programs/whoami.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { httpGet, until } from './helpers.ts';
import { killAll, LoopbackNetwork, run } from './test-network.ts';

const servers: Server[] = [];
afterEach(() => {
  killAll();
  for (const s of servers.splice(0)) s.close();
});

/** Two whoami tasks behind the service "api" (VIP 10.0.1.2), each on its real loopback port. */
async function apiNetwork() {
  const net = new LoopbackNetwork().service('api', '10.0.1.2', ['10.0.1.5', '10.0.1.6']);
  for (const [slot, ip] of [[1, '10.0.1.5'], [2, '10.0.1.6']] as const) {
    const t = run(whoamiProgram, ['/whoami'], {
      net: net.forTask([ip]),
      identity: { serviceName: 'api', slot, taskName: `api.${slot}.task${slot}`, hostname: `api-${slot}` },
      options: { version: '2' },
    });
    net.expose(ip, 80, await t.listening);
  }
  return net;
}

/** A server that accepts and never answers. */
async function silentServer(): Promise<number> {
  const s = createServer(() => {});
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

describe('wget', () => {
  it('wget -qO- http://api/ prints the body, balanced across the tasks behind the name', async () => {
    const net = await apiNetwork();
    const bodies: string[] = [];
    for (let i = 0; i < 2; i++) {
      const w = run(wgetProgram, ['wget', '-qO-', 'http://api/'], { net: net.forTask(['10.0.9.9']) });
      expect(await w.exited).toBe(0);
      expect(w.stderr()).toBe('');
      bodies.push(w.stdout());
    }
    expect(bodies[0]).toMatch(/^Hostname: api-1\nIP: 10\.0\.1\.5\n/);
    expect(bodies[1]).toMatch(/^Hostname: api-2\nIP: 10\.0\.1\.6\n/);
    expect(bodies[0]).toContain('GET / HTTP/1.1');
    expect(bodies[0]).toContain('User-Agent: Wget');
    expect(bodies[0]).toContain('Host: api');
    expect(net.log).toEqual(['api:80 → 10.0.1.5', 'api:80 → 10.0.1.6']);
  });

  it('other spellings: -q -O - URL, tasks.NAME, an overlay address, a port', async () => {
    const net = await apiNetwork();
    for (const argv of [
      ['wget', '-q', '-O', '-', 'http://tasks.api/'],
      ['wget', '--quiet', '--output-document=-', '10.0.1.6'],
      ['wget', '-qO', '-', 'http://api:80/x?y=1'],
    ]) {
      const w = run(wgetProgram, argv, { net: net.forTask() });
      expect(await w.exited).toBe(0);
      expect(w.stdout()).toMatch(/^Hostname: api-\d/);
    }
  });

  it("without -O it 'saves' index.html (no file system: the body goes nowhere) with BusyBox's messages; -S shows headers", async () => {
    const net = await apiNetwork();
    const w = run(wgetProgram, ['wget', 'http://api/'], { net: net.forTask() });
    expect(await w.exited).toBe(0);
    expect(w.stdout()).toBe('');
    const err = w.stderr().split('\n');
    expect(err[0]).toBe('Connecting to api (10.0.1.2:80)');
    expect(err[1]).toBe("saving to 'index.html'");
    expect(err[2]).toMatch(/^index\.html +100% \|\*+\| +\d+ +0:00:00 ETA$/);
    expect(err[3]).toBe("'index.html' saved");
    const s = run(wgetProgram, ['wget', '-S', '-O', '-', 'http://api/'], { net: net.forTask() });
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toContain('  HTTP/1.1 200 OK\n  Content-Type: text/plain; charset=utf-8\n');
    expect(s.stderr()).toContain('writing to stdout\n');
    expect(s.stdout()).toMatch(/^Hostname: /);
  });

  it('fails as BusyBox does: bad address, refused, server error, usage', async () => {
    const net = await apiNetwork();
    net.name('ghost', ['10.0.1.99']);
    const cases: [string[], string][] = [
      [['wget', '-qO-', 'http://nope/'], "wget: bad address 'nope'\n"],
      [['wget', '-qO-', 'http://ghost/'], "wget: can't connect to remote host (10.0.1.99): Connection refused\n"],
      [['wget', '-qO-', 'http://api:8080/'], "wget: can't connect to remote host (10.0.1.2): Connection refused\n"],
      [['wget', '-qO-', 'https://api/'], 'wget: https is not supported here (no TLS in swarmlab): https://api/\n'],
    ];
    for (const [argv, message] of cases) {
      const w = run(wgetProgram, argv, { net: net.forTask() });
      expect(await w.exited, argv.join(' ')).toBe(1);
      expect(w.stderr()).toBe(message);
      expect(w.stdout()).toBe('');
    }
    const web = run(webProgram, ['/web'], { options: { colour: 'blue' } });
    net.service('front', '10.0.1.3', ['10.0.1.7']).expose('10.0.1.7', 80, await web.listening);
    const notFound = run(wgetProgram, ['wget', '-qO-', 'http://front/missing'], { net: net.forTask() });
    expect(await notFound.exited).toBe(1);
    expect(notFound.stderr()).toBe('wget: server returned error: HTTP/1.1 404 Not Found\n');
    const loud = run(wgetProgram, ['wget', 'http://ghost/'], { net: net.forTask() });
    expect(await loud.exited).toBe(1);
    expect(loud.stderr()).toBe("Connecting to ghost (10.0.1.99:80)\nwget: can't connect to remote host (10.0.1.99): Connection refused\n");
    const usage = run(wgetProgram, ['wget'], { net: net.forTask() });
    expect(await usage.exited).toBe(1);
    expect(usage.stderr()).toMatch(/^BusyBox v[\d.]+ multi-call binary\.\n\nUsage: wget /);
  });

  it('-T gives up on the task clock: "download timed out"', async () => {
    const clock = new VirtualClock({ start: 1_700_000_000_000 });
    const net = new LoopbackNetwork().service('slow', '10.0.3.2', ['10.0.3.5']).expose('10.0.3.5', 80, await silentServer());
    const w = run(wgetProgram, ['wget', '-T', '2', '-qO-', 'http://slow/'], { net: net.forTask(), clock });
    await until(() => net.log.length === 1);
    await new Promise((r) => setTimeout(r, 50)); // the request is on the wire
    await clock.runFor(1999);
    expect(await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('running'), 50))])).toBe('running');
    await clock.runFor(1);
    expect(await w.exited).toBe(1);
    expect(w.stderr()).toBe('wget: download timed out\n');
    // a dropped connection (no answer at all) times out the same way
    const dropped = run(wgetProgram, ['wget', '-T', '1', '-qO-', 'http://10.0.3.9/'], { net: new LoopbackNetwork().drop('10.0.3.9').forTask(), clock });
    await new Promise((r) => setTimeout(r, 20));
    await clock.runFor(1000);
    expect(await dropped.exited).toBe(1);
    expect(dropped.stderr()).toBe('wget: download timed out\n');
  });
});

describe('curl', () => {
  it('-s prints the body; -i the status line and headers first; -w the status code', async () => {
    const net = await apiNetwork();
    const s = run(curlProgram, ['curl', '-s', 'http://api/'], { net: net.forTask() });
    expect(await s.exited).toBe(0);
    expect(s.stdout()).toMatch(/^Hostname: api-1\n/);
    expect(s.stdout()).toContain('User-Agent: curl/');
    const i = run(curlProgram, ['curl', '-si', 'api/api'], { net: net.forTask() });
    expect(await i.exited).toBe(0);
    expect(i.stdout()).toMatch(/^HTTP\/1\.1 200 OK\nContent-Type: application\/json\n[^]*\n\n\{"hostname":"api-2"/);
    const w = run(curlProgram, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code} %{remote_ip}\\n', 'http://api/'], { net: net.forTask() });
    expect(await w.exited).toBe(0);
    expect(w.stdout()).toBe('200 10.0.1.2\n');
  });

  it("fails with curl's codes and words; -s alone keeps quiet", async () => {
    const net = await apiNetwork();
    net.name('ghost', ['10.0.1.99']);
    const cases: [string[], number, RegExp | string][] = [
      [['curl', '-sS', 'http://nope/'], 6, 'curl: (6) Could not resolve host: nope\n'],
      [['curl', 'http://ghost:81/'], 7, /^curl: \(7\) Failed to connect to ghost port 81 after \d+ ms: Couldn't connect to server\n$/],
      [['curl', '-s', 'http://nope/'], 6, ''],
    ];
    for (const [argv, code, err] of cases) {
      const c = run(curlProgram, argv, { net: net.forTask() });
      expect(await c.exited).toBe(code);
      if (typeof err === 'string') expect(c.stderr()).toBe(err);
      else expect(c.stderr()).toMatch(err);
    }
    const web = run(webProgram, ['/web'], { options: { colour: 'blue' } });
    net.service('front', '10.0.1.3', ['10.0.1.7']).expose('10.0.1.7', 80, await web.listening);
    const f = run(curlProgram, ['curl', '-fsS', 'http://front/nothing'], { net: net.forTask() });
    expect(await f.exited).toBe(22);
    expect(f.stderr()).toBe('curl: (22) The requested URL returned error: 404\n');
  });
});

describe('nslookup', () => {
  it("answers from Docker's embedded DNS: a service's VIP, tasks.NAME's addresses", async () => {
    const net = new LoopbackNetwork().service('api', '10.0.1.2', ['10.0.1.5', '10.0.1.6']);
    const a = run(nslookupProgram, ['nslookup', 'api'], { net: net.forTask() });
    expect(await a.exited).toBe(0);
    expect(a.stdout()).toBe('Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\tapi\nAddress: 10.0.1.2\n\n');
    const t = run(nslookupProgram, ['nslookup', 'tasks.api'], { net: net.forTask() });
    expect(await t.exited).toBe(0);
    expect(t.stdout()).toContain('Name:\ttasks.api\nAddress: 10.0.1.5\nName:\ttasks.api\nAddress: 10.0.1.6\n');
  });

  it("an unknown name: ** server can't find NAME: NXDOMAIN, exit 1 (also with no network at all)", async () => {
    for (const net of [new LoopbackNetwork().forTask(), undefined]) {
      const n = run(nslookupProgram, ['nslookup', 'db'], net ? { net } : {});
      expect(await n.exited).toBe(1);
      expect(n.stdout()).toBe("Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n** server can't find db: NXDOMAIN\n\n");
    }
  });
});

describe('ping and cat', () => {
  it('ping NAME goes through the network: the VIP answers (refused on port 80 is a reply too)', async () => {
    const net = await apiNetwork();
    net.service('db', '10.0.2.2', ['10.0.2.5']);
    for (const name of ['api', 'db']) {
      const p = run(pingProgram, ['ping', '-c', '2', '-i', '0.1', name], { net: net.forTask() });
      expect(await p.exited).toBe(0);
      const out = p.stdout().split('\n');
      const vip = name === 'api' ? '10.0.1.2' : '10.0.2.2';
      expect(out[0]).toBe(`PING ${name} (${vip}): 56 data bytes`);
      expect(out[1]).toMatch(new RegExp(`^64 bytes from ${vip.replace(/\./g, '\\.')}: seq=0 ttl=64 time=[\\d.]+ ms$`));
      expect(out).toContain('2 packets transmitted, 2 packets received, 0% packet loss');
    }
    const lost = run(pingProgram, ['ping', '-c', '1', '10.0.4.4'], { net: new LoopbackNetwork().drop('10.0.4.4').forTask() });
    expect(await lost.exited).toBe(1);
    expect(lost.stdout()).toContain('1 packets transmitted, 0 packets received, 100% packet loss');
  });

  it('cat shows a mounted secret; anything else is not there', async () => {
    const c = run(catProgram, ['cat', '/run/secrets/db_password'], { files: { '/run/secrets/db_password': 's3cret\n' } });
    expect(await c.exited).toBe(0);
    expect(c.stdout()).toBe('s3cret\n');
    const missing = run(catProgram, ['cat', '/etc/passwd'], {});
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toBe("cat: can't open '/etc/passwd': No such file or directory\n");
  });
});

describe('swarmlab/whoami', () => {
  it("IP lines are the task's overlay addresses when it has some", async () => {
    const w = run(whoamiProgram, ['/whoami'], { net: new LoopbackNetwork().forTask(['10.0.1.5', '10.0.2.7']) });
    const port = await w.listening;
    const res = await httpGet(port);
    expect(res.body).toMatch(/^Hostname: \w+\nIP: 10\.0\.1\.5\nIP: 10\.0\.2\.7\nRemoteAddr: /);
    expect(JSON.parse((await httpGet(port, '/api')).body).ip).toEqual(['10.0.1.5', '10.0.2.7']);
    const bare = run(whoamiProgram, ['/whoami'], {});
    expect((await httpGet(await bare.listening)).body).toMatch(/^Hostname: \w+\nIP: 127\.0\.0\.1\n/);
  });

  it('--client URL logs who answered each request, every interval on the task clock', async () => {
    const net = await apiNetwork();
    const clock = new VirtualClock({ start: 1_700_000_000_000 });
    const c = run(whoamiProgram, ['/whoami', '--client', 'http://api/', '--interval', '500ms', '--count', '3'], { net: net.forTask(), clock });
    for (let n = 1; n <= 3; n++) {
      await until(() => c.stdout().split('\n').length > n);
      await clock.runFor(500);
    }
    expect(await c.exited).toBe(0);
    const lines = c.stdout().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^GET http:\/\/api\/ 200 from api\.1\.task1 \(10\.0\.1\.5\) in \d+ ms$/);
    expect(lines[1]).toMatch(/^GET http:\/\/api\/ 200 from api\.2\.task2 \(10\.0\.1\.6\) in \d+ ms$/);
    expect(lines[2]).toMatch(/^GET http:\/\/api\/ 200 from api\.1\.task1 /);
  });

  it('client mode: the /api JSON, a plain server, failures, and `whoami client URL`', async () => {
    const net = await apiNetwork();
    const web = run(webProgram, ['/web'], { options: { colour: 'blue' } });
    net.service('front', '10.0.1.3', ['10.0.1.7']).expose('10.0.1.7', 80, await web.listening);
    const j = run(whoamiProgram, ['/whoami', '--client=http://api/api', '--count=1'], { net: net.forTask() });
    expect(await j.exited).toBe(0);
    expect(j.stdout()).toMatch(/^GET http:\/\/api\/api 200 from api\.1\.task1 \(10\.0\.1\.5\) in \d+ ms\n$/);
    const plain = run(whoamiProgram, ['whoami', 'client', 'http://front/', '--count', '1'], { net: net.forTask() });
    expect(await plain.exited).toBe(0);
    expect(plain.stdout()).toMatch(/^GET http:\/\/front\/ 200 OK in \d+ ms\n$/);
    const bad = run(whoamiProgram, ['/whoami', '--client', 'http://nope/', '--count', '2', '--interval', '10ms'], { net: net.forTask() });
    expect(await bad.exited).toBe(0);
    expect(bad.stderr()).toMatch(/^GET http:\/\/nope\/ failed: bad address 'nope' \(after \d+ ms\)\nGET http:\/\/nope\/ failed: bad address 'nope' \(after \d+ ms\)\n$/);
    const noUrl = run(whoamiProgram, ['/whoami', '--client'], {});
    expect(await noUrl.exited).toBe(2);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('soon')).toBeUndefined();
  });
});

describe('swarmlab/web with API_URL', () => {
  it('each page shows which task behind the API name answered, or why nothing did', async () => {
    const net = await apiNetwork();
    const web = run(webProgram, ['/web'], { net: net.forTask(['10.0.1.7']), env: { API_URL: 'http://api/' }, options: { colour: 'green' } });
    const port = await web.listening;
    const first = await httpGet(port);
    expect(first.status).toBe(200);
    expect(first.body).toContain('<tr><td>api</td><td><code>http://api/</code></td></tr>');
    expect(first.body).toContain('<tr><td>answered</td><td><code>200 from api.1.task1 (10.0.1.5)</code></td></tr>');
    expect((await httpGet(port)).body).toContain('200 from api.2.task2 (10.0.1.6)');
    const lonely = run(webProgram, ['/web'], { net: new LoopbackNetwork().forTask(), env: { API_URL: 'http://api/' } });
    const page = await httpGet(await lonely.listening);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<tr><td>failed</td><td><code>error: bad address &#39;api&#39;</code></td></tr>');
    const plain = run(webProgram, ['/web'], {});
    expect((await httpGet(await plain.listening)).body).not.toContain('<td>api</td>');
  });
});
