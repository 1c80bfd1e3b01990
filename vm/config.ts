// A machine's config.json: what the store knows about a machine between two `swarmlab` commands.
// Read through zod, so a hand-edited or truncated file is named in the error instead of crashing a
// driver later.

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MachineError } from './errors.ts';

export const MACHINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/;

export const DRIVERS = ['local'] as const;
export const ISOLATIONS = ['process', 'netns'] as const;

export const MachineConfigSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(MACHINE_NAME),
  driver: z.enum(DRIVERS),
  isolation: z.enum(ISOLATIONS),
  created: z.iso.datetime(),
  /** The machine's place in the store's address plan (see address.ts). */
  slot: z.number().int().min(1).max(254),
  ip: z.ipv4(),
  /** The swarm cluster port (Docker's 2377 where the machine has an address of its own). */
  swarmPort: z.number().int().min(1).max(65535),
  /** Where the machine's SSH server listens (started by the machine's process; see vm/local). */
  sshPort: z.number().int().min(1).max(65535),
  /** With netns isolation: the machine's namespace and its link to the lab's bridge (vm/netns). */
  netns: z
    .strictObject({
      namespace: z.string().min(1),
      /** The host end of the machine's veth pair. */
      veth: z.string().min(1).max(15),
      bridge: z.string().min(1).max(15),
      /** The host's address on the bridge. */
      hostIp: z.ipv4(),
    })
    .optional(),
});

export type MachineConfig = z.infer<typeof MachineConfigSchema>;
export type DriverName = MachineConfig['driver'];
export type Isolation = MachineConfig['isolation'];

export async function readMachineConfig(file: string): Promise<MachineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MachineError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MachineError(`${file} is corrupt: ${(err as Error).message}`);
  }
  const r = MachineConfigSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const where = first.path.length ? `${first.path.join('.')}: ` : '';
    throw new MachineError(`${file} is corrupt: ${where}${first.message}`);
  }
  return r.data;
}
