// The lab's terminals: one SSH session per console (vm/ssh-console.ts), its output sent as
// console-data events. Flow control keeps a flood (`yes`, a big `cat`) from burying the renderer:
// past a window of output the renderer has not acknowledged, the controller stops reading the
// channel, so SSH's own window stops the machine's program; it reads again once the renderer has
// caught up to a low-water mark.

import { StringDecoder } from 'node:string_decoder';
import type { SshEndpoint } from '../../vm/driver.ts';
import { openConsole, type ConsoleSession } from '../../vm/ssh-console.ts';
import { LabError } from './errors.ts';
import type { LabEvent } from './protocol.ts';

export type ConsoleOpener = (ep: SshEndpoint, size: { cols: number; rows: number }) => Promise<ConsoleSession>;

export interface ConsolesOptions {
  /** Unacknowledged output (in string length) past which reading stops (default 256 Ki). */
  highWater?: number;
  /** Reading resumes when the unacknowledged output falls below this (default 64 Ki). */
  lowWater?: number;
  open?: ConsoleOpener;
}

interface Console {
  id: string;
  machine: string;
  session: ConsoleSession;
  sent: number;
  acked: number;
  paused: boolean;
}

const defaultOpener: ConsoleOpener = (ep, size) => openConsole(ep, { pty: { term: 'xterm-256color', cols: size.cols, rows: size.rows, width: 0, height: 0 } });

export class Consoles {
  private readonly open_: ConsoleOpener;
  private readonly high: number;
  private readonly low: number;
  private readonly consoles = new Map<string, Console>();
  private counter = 0;

  constructor(
    private readonly emit: (e: LabEvent) => void,
    opts: ConsolesOptions = {},
  ) {
    this.open_ = opts.open ?? defaultOpener;
    this.high = opts.highWater ?? 256 * 1024;
    this.low = opts.lowWater ?? 64 * 1024;
  }

  async open(machine: string, ep: SshEndpoint, size: { cols: number; rows: number }): Promise<string> {
    const session = await this.open_(ep, size);
    const id = `console-${++this.counter}-${machine}`;
    const c: Console = { id, machine, session, sent: 0, acked: 0, paused: false };
    this.consoles.set(id, c);
    const decoder = new StringDecoder('utf8');
    const out = (chunk: Buffer | string) => {
      const data = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      if (!data) return;
      c.sent += data.length;
      this.emit({ type: 'console-data', consoleId: id, data });
      if (!c.paused && c.sent - c.acked > this.high) {
        c.paused = true;
        session.channel.pause();
      }
    };
    session.channel.on('data', out);
    session.channel.stderr?.on('data', out);
    void session.exited.then(({ code, signal }) => {
      const rest = decoder.end();
      if (rest) this.emit({ type: 'console-data', consoleId: id, data: rest });
      this.consoles.delete(id);
      this.emit({ type: 'console-exit', consoleId: id, code, ...(signal ? { message: `ended by signal ${signal}` } : {}) });
    });
    return id;
  }

  input(id: string, data: string): void {
    this.get(id).session.channel.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    this.get(id).session.channel.setWindow(rows, cols, 0, 0);
  }

  ack(id: string, count: number): void {
    const c = this.get(id);
    c.acked = Math.min(c.sent, c.acked + count);
    if (c.paused && c.sent - c.acked < this.low) {
      c.paused = false;
      c.session.channel.resume();
    }
  }

  close(id: string): void {
    this.get(id).session.close();
  }

  /** Ends the consoles of a machine (it was removed), or all of them. */
  closeAll(machine?: string): void {
    for (const c of this.consoles.values()) if (machine === undefined || c.machine === machine) c.session.close();
  }

  private get(id: string): Console {
    const c = this.consoles.get(id);
    if (!c) throw new LabError(`no console ${id}: it was closed, or its machine stopped (open a new one)`);
    return c;
  }
}
