// Signal names as a container's StopSignal gives them ("SIGTERM", "TERM", "15"), and the exit code
// a process gets when one ends it (128 + its number, as a shell and Docker report it).

import { constants } from 'node:os';

export type SignalName = NodeJS.Signals;

const NUMBERS = constants.signals as Readonly<Record<string, number>>;

/** The signal a spec names, or undefined when it names none we know. */
export function parseSignal(spec: string): SignalName | undefined {
  const s = spec.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return Object.keys(NUMBERS).find((name) => NUMBERS[name] === n) as SignalName | undefined;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  return name in NUMBERS ? (name as SignalName) : undefined;
}

export function signalNumber(signal: SignalName): number {
  return NUMBERS[signal] ?? 0;
}

/** The exit code of a process that a signal ended. */
export function signalExitCode(signal: SignalName): number {
  return 128 + signalNumber(signal);
}

export const SIGKILL_EXIT_CODE = 137;
