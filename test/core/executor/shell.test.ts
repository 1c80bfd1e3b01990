// The sh -c subset: what it parses, which scripts it takes from the real shell, and how it runs
// them — loops over the network commands on the task clock, statuses, variables, errors.
import { afterEach, describe, expect, it } from 'vitest';
import { parseScript, shellAccepts, shellProgram } from '../../../core/executor/programs/shell.ts';
import { whoamiProgram } from '../../../core/executor/programs/whoami.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { executor, lines, task, until } from './helpers.ts';
import { killAll, LoopbackNetwork, run, type RunOptions } from './test-network.ts';

afterEach(() => killAll());

const sh = (script: string, opts: RunOptions = {}, extra: string[] = []) => run(shellProgram, ['sh', '-c', script, ...extra], opts);

async function result(script: string, opts: RunOptions = {}): Promise<{ code: number; out: string; err: string }> {
  const p = sh(script, opts);
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe('parsing', () => {
  it('builds lists, and-or chains, loops and ifs', () => {
    expect(parseScript('echo a; echo b && false || echo c')).toMatchObject([
      { first: { command: { type: 'simple', words: [[{ text: 'echo' }], [{ text: 'a' }]] } }, rest: [] },
      { rest: [{ op: '&&' }, { op: '||' }] },
    ]);
    expect(parseScript('while true; do wget -qO- http://api; sleep 1; done')).toMatchObject([{ first: { command: { type: 'loop', until: false } } }]);
    expect(parseScript('for i in 1 2 3\ndo\n  echo $i\ndone')).toMatchObject([{ first: { command: { type: 'for', name: 'i' } } }]);
    expect(parseScript('if false; then echo a; elif true; then echo b; else echo c; fi')).toMatchObject([{ first: { command: { type: 'if' } } }]);
    expect(parseScript('X=1 Y="a b" echo "$X" \'$Y\' ${Z:-z} # comment')[0]!.first.command).toMatchObject({
      type: 'simple',
      assignments: [{ name: 'X' }, { name: 'Y' }],
    });
  });

  it('refuses what is not in the subset, and syntax errors', () => {
    for (const bad of ['echo a | cat', 'sleep 1 &', 'echo a > f', 'echo $(hostname)', 'echo `x`', '{ echo; }', 'case x in esac']) {
      expect(() => parseScript(bad), bad).toThrow(/unsupported/);
    }
    for (const bad of ['while true; do echo', 'do', 'if true; then echo; ', 'echo "open', 'for 1 in a; do echo; done', '; echo']) {
      expect(() => parseScript(bad), bad).toThrow(/syntax error|unterminated|bad for/);
    }
  });

  it("takes over only the scripts that need the swarm's network or the task's files", () => {
    for (const ok of [['sh'], ['sh', '-c', 'while true; do wget -qO- http://api; sleep 1; done'], ['/bin/sh', '-c', 'until nslookup db; do sleep 1; done; echo up'], ['sh', '-c', 'cat /run/secrets/x']]) {
      expect(shellAccepts(ok), ok.join(' ')).toBe(true);
    }
    for (const real of [
      ['sh', '-c', 'sleep 1000'],
      ['sh', '-c', 'echo hi; echo oops >&2; exit 3'],
      ['sh', '-c', 'trap "" TERM; sleep 1000 & echo $!; wait'],
      ['sh', '-c', 'env; pwd'],
      ['sh', '-c', 'wget -qO- http://api | grep Hostname'],
      ['sh', 'script.sh'],
    ]) {
      expect(shellAccepts(real), real.join(' ')).toBe(false);
    }
  });
});

describe('running', () => {
  it('; && || ! and $?', async () => {
    expect(await result('echo a && echo b; false && echo no || echo c; ! false && echo d; false; echo $?')).toEqual({ code: 0, out: 'a\nb\nc\nd\n1\n', err: '' });
    expect(await result('true; false')).toMatchObject({ code: 1 });
    expect(await result('echo x; exit 3; echo never')).toEqual({ code: 3, out: 'x\n', err: '' });
  });

  it('variables: the environment, assignments, quotes, ${VAR:-default}, positional parameters, field splitting', async () => {
    const r = await result('A=1; B="two words"; echo "$A-${B}" $HOME \'$A\' ${NOPE:-dflt} "${NOPE:-$A}" "$0" $1; for w in $B; do echo "<$w>"; done', { env: { HOME: '/root' } });
    expect(r).toEqual({ code: 0, out: '1-two words /root $A dflt 1 sh\n<two>\n<words>\n', err: '' });
    const p = run(shellProgram, ['sh', '-c', 'echo $0 $1 $2 $#', 'name', 'x', 'y'], {});
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toBe('name x y 2\n');
  });

  it('for, if/elif/else, until, break and continue', async () => {
    expect((await result('for i in 1 2 3; do echo $i; done')).out).toBe('1\n2\n3\n');
    expect((await result('if false; then echo a; elif true; then echo b; else echo c; fi; if false; then echo x; fi; echo $?')).out).toBe('b\n0\n');
    expect((await result('for i in 1 2 3 4; do if [ $i ]; then :; fi; done')).err).toBe('sh: [: not found\nsh: [: not found\nsh: [: not found\nsh: [: not found\n');
    expect((await result('for i in a b c d; do if echo $i && false; then :; elif true; then continue; fi; done; for i in 1 2 3; do echo $i; break; done')).out).toBe('a\nb\nc\nd\n1\n');
    expect((await result('until true; do echo never; done; echo after')).out).toBe('after\n');
  });

  it('an unknown command: sh: X: not found, status 127', async () => {
    expect(await result('nosuch arg; echo $?')).toEqual({ code: 0, out: '127\n', err: 'sh: nosuch: not found\n' });
    expect(await result('/usr/bin/apk add curl')).toEqual({ code: 127, out: '', err: 'sh: /usr/bin/apk: not found\n' });
  });

  it('a syntax error: exit 2 with the reason', async () => {
    expect(await result('while true; do echo')).toEqual({ code: 2, out: '', err: 'sh: syntax error: unexpected end of file (expecting "done")\n' });
  });

  it('while true; do wget -qO- http://api/; sleep 1; done: a request a second on the task clock, through the network', async () => {
    const clock = new VirtualClock({ start: 1_700_000_000_000 });
    const net = new LoopbackNetwork().service('api', '10.0.1.2', ['10.0.1.5']);
    const api = run(whoamiProgram, ['/whoami'], { net: net.forTask(['10.0.1.5']), identity: { hostname: 'api-1' } });
    net.expose('10.0.1.5', 80, await api.listening);
    const loop = sh('while true; do wget -qO- http://api/api; echo; sleep 1; done', { net: net.forTask(), clock });
    const requests = () => loop.stdout().split('\n').filter((l) => l.startsWith('{')).length;
    await until(() => requests() === 1);
    for (let n = 2; n <= 3; n++) {
      await clock.runFor(1000);
      await until(() => requests() === n);
    }
    expect(JSON.parse(loop.stdout().split('\n')[0]!)).toMatchObject({ hostname: 'api-1', ip: ['10.0.1.5'] });
    // PID 1 without handlers: SIGTERM does nothing; the kill ends the loop and its sleep
    loop.vp.signal('SIGTERM');
    await clock.runFor(1000);
    await until(() => requests() === 4);
    loop.vp.kill();
    expect(await loop.exited).toBe(137);
    await clock.runFor(5000);
    expect(requests()).toBe(4);
  });

  it('until nslookup db; do sleep 1; done waits for the name to appear', async () => {
    const clock = new VirtualClock({ start: 1_700_000_000_000 });
    const net = new LoopbackNetwork();
    const wait = sh('until nslookup db; do echo waiting; sleep 1; done; echo up', { net: net.forTask(), clock });
    await until(() => wait.stdout().includes('waiting'));
    await clock.runFor(1000);
    await until(() => wait.stdout().split('waiting').length === 3);
    net.service('db', '10.0.2.2', ['10.0.2.5']);
    await clock.runFor(1000);
    expect(await wait.exited).toBe(0);
    expect(wait.stdout()).toMatch(/NXDOMAIN[^]*Name:\tdb\nAddress: 10\.0\.2\.2\n\nup\n$/);
  });

  it('a loop of instant commands does not starve the event loop', async () => {
    const p = sh('while true; do true; done');
    let ticks = 0;
    const t = setInterval(() => ticks++, 1);
    await new Promise((r) => setTimeout(r, 50));
    clearInterval(t);
    expect(ticks).toBeGreaterThan(0);
    p.vp.kill();
    expect(await p.exited).toBe(137);
  });

  it('in a task: alpine sh -c with wget runs built in (no network here: bad address), plain scripts stay real', async () => {
    const ex = await executor();
    try {
      const t = task({ Image: 'alpine', Args: ['sh', '-c', 'wget -qO- http://api/ || echo "api is down: $?"'] });
      await ex.prepare(t);
      const info = await ex.start(t);
      expect(info.pid).toBeUndefined();
      expect(await ex.wait(t)).toEqual({ exitCode: 0 });
      expect(await lines(ex, t.ID)).toEqual(["wget: bad address 'api'", 'api is down: 1']);
      const secret = task({ Image: 'busybox', Args: ['cat', '/run/secrets/none'] });
      await ex.prepare(secret);
      await ex.start(secret);
      expect(await ex.wait(secret)).toEqual({ exitCode: 1 });
      expect(await lines(ex, secret.ID, 'stderr')).toEqual(["cat: can't open '/run/secrets/none': No such file or directory"]);
    } finally {
      await ex.close();
    }
  });
});
