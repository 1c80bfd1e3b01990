// swarmlab fault: breaks a machine on purpose for a demonstration — cuts it off from the others,
// slows its network down, freezes it — and heals it again. Network faults last until healed, across
// restarts of the machine, like an unplugged cable.

import { parseDuration } from '../../../core/swarmctl/duration.ts';
import type { MachineState } from '../../../vm/driver.ts';
import { MachineError } from '../../../vm/errors.ts';
import type { ActiveFaults } from '../../../vm/faults.ts';
import type { Machine } from '../../../vm/machines.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { expectArgs, UsageError } from '../usage.ts';

const FAULTS = ['partition', 'delay', 'heal', 'pause', 'resume'] as const;
type Fault = (typeof FAULTS)[number];

/** As the machine's faults file allows: a longer delay is a typo, not a demonstration. */
const MAX_DELAY_MS = 60_000;

export const fault: Command = {
  name: 'fault',
  summary: "Break a machine's network or freeze it, and heal it again",
  args: 'partition|delay|heal|pause|resume NAME [OPTIONS]',
  description: [
    'Faults:',
    '  partition NAME [--from NAME,...]   cut NAME off from the other machines (from all without --from);',
    '                                     partitions add up until healed',
    '  delay NAME DURATION [--loss PCT]   delay what NAME sends (e.g. 200ms), and lose some of it',
    '                                     (e.g. 5%: a lost packet comes after a retransmission)',
    '  heal NAME                          end NAME\'s partition, delay and loss',
    '  pause NAME                         freeze NAME: it misses its heartbeats but keeps its connections',
    '  resume NAME                        unfreeze NAME',
    '',
    'Network faults last until healed, across restarts of the machine; one set while the machine is',
    'paused or stopped applies when it runs again.',
  ].join('\n'),
  options: { from: { type: 'string' }, loss: { type: 'string' } },
  optionHelp: [
    '      --from string        partition: the machines to cut NAME off from, comma-separated (default: all)',
    '      --loss string        delay: the share of packets lost, e.g. 5% (default 0%)',
  ],
  async run(ctx, p) {
    const [what, ...args] = p.positionals;
    if (what === undefined) throw new UsageError(`"swarmlab fault" requires a fault: ${FAULTS.join(', ')}`, 'fault');
    if (!(FAULTS as readonly string[]).includes(what)) throw new UsageError(`unknown fault "${what}": expected ${FAULTS.join(', ')}`, 'fault');
    const f = what as Fault;
    if (p.values.from !== undefined && f !== 'partition') throw new UsageError('--from goes with partition only', 'fault');
    if (p.values.loss !== undefined && f !== 'delay') throw new UsageError('--loss goes with delay only', 'fault');
    if (f === 'delay') {
      if (args.length !== 2) throw new UsageError('"swarmlab fault delay" takes a NAME and a DURATION, e.g. swarmlab fault delay NAME 200ms', 'fault');
      const ms = parseDelay(args[1]!);
      const loss = p.values.loss === undefined ? 0 : parseLoss(String(p.values.loss));
      return delay(ctx, args[0]!, ms, loss);
    }
    expectArgs(`fault ${f}`, args, 1, 1);
    const name = args[0]!;
    switch (f) {
      case 'partition':
        return partition(ctx, name, p.values.from === undefined ? 'all' : parseFrom(String(p.values.from), name));
      case 'heal':
        return heal(ctx, name);
      case 'pause':
        return pause(ctx, name);
      case 'resume':
        return resume(ctx, name);
    }
  },
};

// ---- the faults ---------------------------------------------------------------------------------

async function partition(ctx: CliContext, name: string, from: string[] | 'all'): Promise<number> {
  const m = await ctx.machines.get(name);
  // Every name is checked before anything changes.
  const peers = from === 'all' ? 'all' : await Promise.all(from.map((n) => ctx.machines.get(n)));
  const cut = need(m, 'partition');
  await cut(peers === 'all' ? 'all' : peers.map((peer) => peer.driver.address()));
  const whom = peers === 'all' ? 'every other machine' : peers.map((peer) => peer.config.name).join(', ');
  ctx.out.write(await applies(m, `Machine "${name}" is cut off from ${whom}`, `swarmlab fault heal ${name} ends it`));
  return 0;
}

async function delay(ctx: CliContext, name: string, ms: number, loss: number): Promise<number> {
  const m = await ctx.machines.get(name);
  await need(m, 'delay')(ms, loss);
  const what = `${ms} ms of delay${loss > 0 ? ` and ${loss}% loss` : ''}`;
  ctx.out.write(await applies(m, `Machine "${name}" sends with ${what}`, `swarmlab fault heal ${name} ends it`));
  return 0;
}

async function heal(ctx: CliContext, name: string): Promise<number> {
  const m = await ctx.machines.get(name);
  await need(m, 'heal')();
  ctx.out.write(await applies(m, `Machine "${name}" is healed: no partition, delay or loss`));
  return 0;
}

async function pause(ctx: CliContext, name: string): Promise<number> {
  const m = await ctx.machines.get(name);
  const state = await m.driver.status();
  if (state === 'Paused') ctx.out.write(`Machine "${name}" is already paused.\n`);
  else {
    if (state !== 'Running') throw new MachineError(`cannot pause machine "${name}": it is not running (${state})`);
    await m.driver.pause();
    ctx.out.write(`Machine "${name}" is paused: it misses its heartbeats but keeps its connections (swarmlab fault resume ${name})\n`);
  }
  return 0;
}

async function resume(ctx: CliContext, name: string): Promise<number> {
  const m = await ctx.machines.get(name);
  const state = await m.driver.status();
  if (state === 'Running') ctx.out.write(`Machine "${name}" is not paused.\n`);
  else {
    if (state !== 'Paused') throw new MachineError(`cannot resume machine "${name}": it is not paused (${state}): swarmlab start ${name}`);
    await m.driver.resume();
    ctx.out.write(`Machine "${name}" runs again.\n`);
  }
  return 0;
}

type NetworkFault = 'partition' | 'delay' | 'heal';

function need<F extends NetworkFault>(m: Machine, f: F): NonNullable<Machine['driver'][F]> {
  const fn = m.driver[f];
  if (!fn) throw new MachineError(`machine "${m.config.name}": the ${m.config.driver} driver cannot ${f} a machine's network`);
  return fn.bind(m.driver) as NonNullable<Machine['driver'][F]>;
}

/** The line to print: what was done, and when the machine does not run, that it applies when it does. */
async function applies(m: Machine, done: string, hint?: string): Promise<string> {
  const state: MachineState = await m.driver.status();
  if (state !== 'Running') return `${done} when it runs again (it is ${state.toLowerCase()}).\n`;
  return `${done}.${hint ? ` (${hint})` : ''}\n`;
}

// ---- arguments ----------------------------------------------------------------------------------

function parseFrom(text: string, name: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new UsageError(`invalid --from "${text}": expected machine names separated by commas`, 'fault');
  if (names.includes(name)) throw new UsageError(`--from names ${name} itself: a machine is not cut off from itself`, 'fault');
  return [...new Set(names)];
}

export function parseDelay(text: string): number {
  let ns: number;
  try {
    ns = parseDuration(text);
  } catch {
    throw new UsageError(`invalid duration "${text}": expected a duration such as 200ms or 1.5s`, 'fault');
  }
  const ms = Math.round(ns / 1e6);
  if (ns < 0 || ms > MAX_DELAY_MS) throw new UsageError(`invalid duration "${text}": a delay goes from 0s to ${MAX_DELAY_MS / 1000}s`, 'fault');
  return ms;
}

export function parseLoss(text: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 100)) throw new UsageError(`invalid --loss "${text}": expected a percentage from 0 to 100, such as 5%`, 'fault');
  return n;
}

// ---- showing faults (ls, inspect) ---------------------------------------------------------------

/** A machine's faults in a few words, naming the machines it is cut off from when they are known. */
export function describeFaults(f: ActiveFaults | undefined, nameOf: (ip: string) => string | undefined = () => undefined): string {
  if (!f) return '';
  const parts: string[] = [];
  if (f.partition === 'all') parts.push('cut off from all');
  else if (f.partition?.length) parts.push(`cut off from ${f.partition.map((ip) => nameOf(ip) ?? ip).join(',')}`);
  if (f.delayMs) parts.push(`delay ${f.delayMs}ms`);
  if (f.lossPercent) parts.push(`loss ${f.lossPercent}%`);
  return `${parts.join(', ')}${f.applied ? '' : ' (when it runs)'}`;
}
