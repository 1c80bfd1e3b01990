// Small helpers the command groups share.

import { UsageError } from '../args.ts';

/** The one argument a command takes, with SwarmKit's messages when it is missing or repeated. */
export function exactlyOne(args: string[], missing: string, command = 'inspect'): string {
  if (args.length === 0) throw new UsageError(missing);
  if (args.length > 1) throw new UsageError(`${command} command takes exactly 1 argument`);
  return args[0]!;
}

/** SwarmKit lists objects in its store's order, which is by ID. */
export const byId = <T extends { ID: string }>(objects: readonly T[]): T[] => [...objects].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
