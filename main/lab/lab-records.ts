// Which machines belong to which lab: $SWARMLAB_HOME/labs/NAME.json, written before the first
// machine is made (so that a crashed `up` still leaves a record `down` can clean up after) and
// removed by `down`. Claiming the file exclusively keeps two `up`s of one lab apart. The machines
// themselves stay plain machines: `swarmlab ls`, `rm` and the rest work on them as before.

import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MACHINE_NAME } from '../../vm/config.ts';
import { LabError } from './errors.ts';

const LabRecordSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(MACHINE_NAME),
  /** The lab file it came from (labs/default.yaml for a template). */
  source: z.string(),
  created: z.iso.datetime(),
  /** `creating` until every node is ready: a record left in that state is an `up` that died. */
  state: z.enum(['creating', 'up']),
  machines: z.array(z.string().regex(MACHINE_NAME)),
});

export type LabRecord = z.infer<typeof LabRecordSchema>;

export class LabRecords {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, 'labs');
  }

  file(name: string): string {
    if (!MACHINE_NAME.test(name)) throw new LabError(`invalid lab name "${name}": names start with a letter or digit and hold only letters, digits, dots and hyphens`);
    return path.join(this.dir, `${name}.json`);
  }

  /** Writes a new lab's record; refused if the lab already has one. */
  async claim(record: LabRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    try {
      await writeFile(this.file(record.name), JSON.stringify(LabRecordSchema.parse(record), null, 2) + '\n', { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = await this.load(record.name).catch(() => undefined);
      const what = existing?.state === 'creating' ? 'is being brought up (or an earlier `swarmlab up` of it died)' : 'is already up';
      throw new LabError(`lab "${record.name}" ${what}: remove it first with swarmlab down ${record.name}, or run another copy with swarmlab up --name NAME`);
    }
  }

  async save(record: LabRecord): Promise<void> {
    const file = this.file(record.name);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify(LabRecordSchema.parse(record), null, 2) + '\n');
    await rename(tmp, file);
  }

  async load(name: string): Promise<LabRecord> {
    const file = this.file(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LabError(`no lab named "${name}" (${await this.describe()})`);
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new LabError(`${file} is corrupt: ${(err as Error).message}`);
    }
    const r = LabRecordSchema.safeParse(json);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new LabError(`${file} is corrupt: ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    }
    return r.data;
  }

  async names(): Promise<string[]> {
    try {
      return (await readdir(this.dir))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length))
        .filter((n) => MACHINE_NAME.test(n))
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }

  /** "the labs are a, b" or "there is no lab", for messages. */
  async describe(): Promise<string> {
    const names = await this.names();
    return names.length === 0 ? 'there is no lab: swarmlab up makes one' : `the labs are ${names.join(', ')}`;
  }
}
