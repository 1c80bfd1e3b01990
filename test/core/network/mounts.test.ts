// The files a task mounts, as the dispatcher sends them: secrets under /run/secrets (or at an
// absolute target), configs at /NAME by default (or their target); data decoded from base64; a
// reference whose data has not arrived left out; a new list replaces the old.
import { describe, expect, it } from 'vitest';
import type { TaskObject } from '../../../core/api/objects.ts';
import { FileMounts } from '../../../core/executor/mounts.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function task(spec: Partial<TaskObject['Spec']['ContainerSpec']>): TaskObject {
  return {
    ID: 't1',
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    ServiceID: 's1',
    Spec: { ContainerSpec: { Image: 'swarmlab/whoami:1', ...spec } },
    Status: { State: 'running', Message: '', Timestamp: '' },
    DesiredState: 'running',
  } as TaskObject;
}

const text = (m: Map<string, Buffer>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));

describe('FileMounts', () => {
  it('puts secrets at /run/secrets/NAME or at an absolute target, configs at /NAME or their target', () => {
    const m = new FileMounts();
    m.setSecrets([
      { id: 's-db', name: 'db_password', data: b64('hunter2') },
      { id: 's-key', name: 'key', data: b64('k3y') },
      { id: 's-rel', name: 'rel', data: b64('relative') },
    ]);
    m.setConfigs([
      { id: 'c-site', name: 'site.conf', data: b64('server {}') },
      { id: 'c-app', name: 'app', data: b64('{"a":1}') },
    ]);
    const t = task({
      Secrets: [
        { SecretID: 's-db', SecretName: 'db_password' },
        { SecretID: 's-key', SecretName: 'key', File: { Name: '/etc/ssl/key.pem', UID: '0', GID: '0', Mode: 0o400 } },
        { SecretID: 's-rel', SecretName: 'rel', File: { Name: 'other', UID: '0', GID: '0', Mode: 0o400 } },
      ],
      Configs: [
        { ConfigID: 'c-site', ConfigName: 'site.conf' },
        { ConfigID: 'c-app', ConfigName: 'app', File: { Name: '/etc/app/config.json', UID: '0', GID: '0', Mode: 0o444 } },
      ],
    });
    expect(text(m.files(t))).toEqual({
      '/run/secrets/db_password': 'hunter2',
      '/etc/ssl/key.pem': 'k3y',
      '/run/secrets/other': 'relative',
      '/site.conf': 'server {}',
      '/etc/app/config.json': '{"a":1}',
    });
  });

  it('leaves out references whose data has not arrived, and a new list replaces the old', () => {
    const m = new FileMounts();
    const t = task({ Secrets: [{ SecretID: 's1', SecretName: 'one' }], Configs: [{ ConfigID: 'c1', ConfigName: 'cfg' }] });
    expect(m.files(t).size).toBe(0);
    m.setSecrets([{ id: 's1', name: 'one', data: b64('v1') }]);
    expect(text(m.files(t))).toEqual({ '/run/secrets/one': 'v1' });
    m.setSecrets([{ id: 's1', name: 'one', data: b64('v2') }]);
    m.setConfigs([{ id: 'c1', name: 'cfg', data: b64('binary\u0000ok') }]);
    expect(text(m.files(t))).toEqual({ '/run/secrets/one': 'v2', '/cfg': 'binary\u0000ok' });
    m.setSecrets([]);
    expect([...m.files(t).keys()]).toEqual(['/cfg']);
    // A task without references mounts nothing.
    expect(m.files(task({})).size).toBe(0);
  });
});
