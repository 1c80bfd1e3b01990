// Takes a lab down: exactly the machines its record names, removed side by side (process tree,
// state and files), then the record. Machines removed by hand meanwhile are skipped; if one cannot
// be removed, the record keeps it so that `down` can be run again.

import type { Machines } from '../../vm/machines.ts';
import { LabError } from './errors.ts';
import { LabRecords } from './lab-records.ts';

export interface DownOptions {
  machines: Machines;
  /** The lab; without it, the only one there is. */
  name?: string;
  progress?: (line: string) => void;
}

export interface DownResult {
  name: string;
  removed: string[];
  /** Machines of the lab that no longer existed. */
  missing: string[];
}

export async function downLab(o: DownOptions): Promise<DownResult> {
  const records = new LabRecords(o.machines.store.home);
  const name = o.name ?? (await onlyLab(records));
  const record = await records.load(name);
  o.progress?.(`Removing lab "${name}" (${record.machines.length} machines)...`);
  const outcome = await Promise.all(
    record.machines.map(async (m) => {
      if (!(await o.machines.store.exists(m))) return { m, state: 'missing' as const };
      try {
        await o.machines.remove(m, true);
        o.progress?.(`(${m}) removed`);
        return { m, state: 'removed' as const };
      } catch (err) {
        return { m, state: 'failed' as const, why: (err as Error).message };
      }
    }),
  );
  const failed = outcome.filter((r) => r.state === 'failed');
  if (failed.length > 0) {
    await records.save({ ...record, machines: failed.map((f) => f.m) });
    throw new LabError(`lab "${name}": ${failed.map((f) => `cannot remove ${f.m}: ${f.why}`).join('; ')} (run swarmlab down ${name} again)`);
  }
  await records.remove(name);
  return { name, removed: outcome.filter((r) => r.state === 'removed').map((r) => r.m), missing: outcome.filter((r) => r.state === 'missing').map((r) => r.m) };
}

async function onlyLab(records: LabRecords): Promise<string> {
  const names = await records.names();
  if (names.length === 1) return names[0]!;
  if (names.length === 0) throw new LabError('there is no lab to take down (swarmlab up makes one; swarmlab rm removes single machines)');
  throw new LabError(`${names.length} labs are up (${names.join(', ')}): name the one to take down, e.g. swarmlab down ${names[0]}`);
}
