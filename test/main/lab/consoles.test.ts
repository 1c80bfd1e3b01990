// Consoles with a fake SSH session: output becomes console-data events (whole UTF-8 characters),
// reading stops past the window of unacknowledged output and resumes below the low-water mark,
// and the session's end is told. Log streams: lines labelled by task and node, in batches.

import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConsoleSession } from '../../../vm/ssh-console.ts';
import { Consoles } from '../../../main/lab/consoles.ts';
import { LogStreams } from '../../../main/lab/log-streams.ts';
import type { LabEvent } from '../../../main/lab/protocol.ts';
import { waitFor } from '../../vm/helpers.ts';

class FakeChannel extends EventEmitter {
  paused = false;
  written: string[] = [];
  window: [number, number] | undefined;
  stderr = new EventEmitter();
  pause() {
    this.paused = true;
    return this;
  }
  resume() {
    this.paused = false;
    return this;
  }
  write(s: string) {
    this.written.push(s);
    return true;
  }
  setWindow(rows: number, cols: number) {
    this.window = [rows, cols];
  }
}

function fakeSession() {
  const channel = new FakeChannel();
  let exit!: (s: { code: number | null; signal: string | undefined }) => void;
  const exited = new Promise<{ code: number | null; signal: string | undefined }>((r) => (exit = r));
  const session = { channel, exited, close: () => exit({ code: null, signal: 'HUP' }) } as unknown as ConsoleSession;
  return { channel, session, exit };
}

const ep = { host: '127.0.0.1', port: 2222, user: 'docker', keyPath: '/nonexistent' };

describe('Consoles', () => {
  it('sends output, takes input and resizes, and tells the end', async () => {
    const events: LabEvent[] = [];
    const fake = fakeSession();
    let size: unknown;
    const consoles = new Consoles((e) => events.push(e), {
      open: async (_ep, s) => {
        size = s;
        return fake.session;
      },
    });
    const id = await consoles.open('manager1', ep, { cols: 100, rows: 30 });
    expect(size).toEqual({ cols: 100, rows: 30 });
    // A character split between two chunks arrives whole.
    const euro = Buffer.from('€', 'utf8');
    fake.channel.emit('data', Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]));
    fake.channel.emit('data', Buffer.concat([euro.subarray(1), Buffer.from('5\r\n')]));
    fake.channel.stderr.emit('data', Buffer.from('oops\r\n'));
    consoles.input(id, 'docker node ls\r');
    consoles.resize(id, 120, 40);
    expect(fake.channel.written).toEqual(['docker node ls\r']);
    expect(fake.channel.window).toEqual([40, 120]);
    fake.exit({ code: 0, signal: undefined });
    await waitFor(() => events.some((e) => e.type === 'console-exit'), 1_000, 'exit');
    expect(events).toEqual([
      { type: 'console-data', consoleId: id, data: 'price: ' },
      { type: 'console-data', consoleId: id, data: '€5\r\n' },
      { type: 'console-data', consoleId: id, data: 'oops\r\n' },
      { type: 'console-exit', consoleId: id, code: 0 },
    ]);
    expect(() => consoles.input(id, 'x')).toThrow(/no console .*: it was closed, or its machine stopped/);
  });

  it('stops reading past the window of unacknowledged output, reads again below the low-water mark', async () => {
    const fake = fakeSession();
    const consoles = new Consoles(() => {}, { open: async () => fake.session, highWater: 1000, lowWater: 200 });
    const id = await consoles.open('worker1', ep, { cols: 80, rows: 24 });
    const chunk = Buffer.alloc(300, 'y');
    for (let i = 0; i < 3; i++) fake.channel.emit('data', chunk);
    expect(fake.channel.paused).toBe(false); // 900 unacknowledged
    fake.channel.emit('data', chunk);
    expect(fake.channel.paused).toBe(true); // 1200
    consoles.ack(id, 900);
    expect(fake.channel.paused).toBe(true); // 300 left: above the low-water mark
    consoles.ack(id, 200);
    expect(fake.channel.paused).toBe(false); // 100
    // Acknowledging more than was sent does not open a credit for later.
    consoles.ack(id, 10_000);
    for (let i = 0; i < 4; i++) fake.channel.emit('data', chunk);
    expect(fake.channel.paused).toBe(true);
  });
});

describe('LogStreams', () => {
  it('labels each line by task and node, batches them, and ends', async () => {
    const events: LabEvent[] = [];
    const logs = new LogStreams(
      (e) => events.push(e),
      (ids) => (ids.taskId === 't1' ? 'web.1@worker1' : `${ids.taskId}@?`),
    );
    const raw = new PassThrough();
    let signal: AbortSignal | undefined;
    const id = await logs.open('web', {
      open: async (s) => {
        signal = s;
        return raw;
      },
      // The test's stream carries plain text: stdout is all of it.
      demux: (stream, stdout) => stream.pipe(stdout as NodeJS.WritableStream & PassThrough),
    });
    raw.write('com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello\ncom.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 wor');
    raw.write('ld\nplain line\n');
    await waitFor(() => events.length > 0, 2_000, 'a batch');
    expect(events).toEqual([{ type: 'logs', streamId: id, lines: ['web.1@worker1 | hello', 'web.1@worker1 | world', 'plain line'] }]);
    logs.close(id);
    expect(signal?.aborted).toBe(true);
    raw.end();
    await waitFor(() => events.some((e) => e.type === 'logs-end'), 2_000, 'the end');
    expect(events.at(-1)).toEqual({ type: 'logs-end', streamId: id });
    expect(() => logs.close(id)).toThrow(/no log stream/);
  });
});
