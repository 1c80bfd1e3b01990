// Lab records ($SWARMLAB_HOME/labs/NAME.json): claimed once, read back checked, listed.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LabRecords, type LabRecord } from '../../../main/lab/lab-records.ts';

let home: string;
let records: LabRecords;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'swarmlab-records-'));
  records = new LabRecords(home);
});
afterEach(() => rm(home, { recursive: true, force: true }));

const record = (name: string, state: LabRecord['state'] = 'up'): LabRecord => ({
  version: 1,
  name,
  source: 'labs/default.yaml',
  created: '2026-01-02T03:04:05.000Z',
  state,
  machines: ['manager1', 'worker1'],
});

it('a lab is claimed once; a second claim says whether it is up or an up of it died', async () => {
  expect(await records.describe()).toBe('there is no lab: swarmlab up makes one');
  await records.claim(record('a', 'creating'));
  await expect(records.claim(record('a'))).rejects.toThrow('lab "a" is being brought up (or an earlier `swarmlab up` of it died): remove it first with swarmlab down a, or run another copy with swarmlab up --name NAME');
  await records.save(record('a'));
  await expect(records.claim(record('a'))).rejects.toThrow('lab "a" is already up: remove it first with swarmlab down a');
  await records.claim(record('b'));
  expect(await records.names()).toEqual(['a', 'b']);
  expect(await records.load('b')).toEqual(record('b'));
  await records.remove('a');
  expect(await records.describe()).toBe('the labs are b');
});

it('a missing or corrupt record is named', async () => {
  await expect(records.load('nope')).rejects.toThrow('no lab named "nope" (there is no lab: swarmlab up makes one)');
  await records.claim(record('a'));
  await writeFile(records.file('a'), '{"version": 1, "name": "a"}');
  await expect(records.load('a')).rejects.toThrow(`${records.file('a')} is corrupt: source: `);
  await writeFile(records.file('a'), '{');
  await expect(records.load('a')).rejects.toThrow(`${records.file('a')} is corrupt: `);
  expect(() => records.file('../x')).toThrow('invalid lab name "../x"');
});
