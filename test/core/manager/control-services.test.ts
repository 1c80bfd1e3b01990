import { describe, expect, it } from 'vitest';
import { createService, removeService, resolveService, updateService } from '../../../core/manager/control/services.ts';
import { ManagerHarness } from './harness.ts';

function control() {
  const h = new ManagerHarness();
  h.autoPlace = false;
  h.autoRun = false;
  return { h, c: { store: h.store, random: h.random } };
}

const spec = (extra: Record<string, unknown> = {}) => ({
  Name: 'web',
  TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
  Mode: { Replicated: { Replicas: 2 } },
  ...extra,
});

describe('service control operations', () => {
  it('creates a validated service, and refuses an invalid one with the validator message', async () => {
    const { c } = control();
    const s = await createService(c, spec());
    expect(s.Spec.Name).toBe('web');
    expect(s.ID).toMatch(/^[0-9a-z]{25}$/);
    const err = await createService(c, spec({ Name: 'api', Mode: { Replicated: { Replicas: -1 } } })).catch((e) => e);
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toMatch(/^invalid replicas: must be ≥ 0/);
  });

  it('names an unnamed service, and refuses a name that is taken', async () => {
    const { c } = control();
    const s = await createService(c, spec({ Name: undefined }));
    expect(s.Spec.Name).toMatch(/^[a-z]+_[a-z]+$/);
    const first = await createService(c, spec());
    const err = await createService(c, spec()).catch((e) => e);
    expect(err.code).toBe('AlreadyExists');
    expect(err.message).toBe(`name conflicts with an existing object: service web exists with ID ${first.ID}`);
  });

  it('resolves by ID, name and unique ID prefix', async () => {
    const { c, h } = control();
    const s = await createService(c, spec());
    expect(resolveService(h.store, s.ID).ID).toBe(s.ID);
    expect(resolveService(h.store, 'web').ID).toBe(s.ID);
    expect(resolveService(h.store, s.ID.slice(0, 5)).ID).toBe(s.ID);
    expect(() => resolveService(h.store, 'nope')).toThrow('service nope not found');
  });

  it('updates with the version read, refuses a stale one, and rolls back to the previous spec', async () => {
    const { c } = control();
    const s = await createService(c, spec());
    const v2 = await updateService(c, 'web', s.Version.Index, spec({ TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:2' } } }));
    expect(v2.Spec.TaskTemplate.ContainerSpec.Image).toBe('swarmlab/whoami:2');
    await expect(updateService(c, 'web', s.Version.Index, spec())).rejects.toThrow(/update out of sequence/);
    const back = await updateService(c, 'web', v2.Version.Index, undefined, { rollback: 'previous' });
    expect(back.Spec.TaskTemplate.ContainerSpec.Image).toBe('swarmlab/whoami:1');
    expect(back.PreviousSpec?.TaskTemplate.ContainerSpec.Image).toBe('swarmlab/whoami:2');
    expect(back.UpdateStatus).toEqual({ State: 'rollback_started', Message: 'manually requested rollback' });
  });

  it('refuses a rollback without a previous spec, and a mode change', async () => {
    const { c } = control();
    const s = await createService(c, spec());
    await expect(updateService(c, 'web', s.Version.Index, undefined, { rollback: 'previous' })).rejects.toThrow(
      `service ${s.ID} does not have a previous spec`,
    );
    await expect(updateService(c, 'web', s.Version.Index, spec({ Mode: { Global: {} } }))).rejects.toThrow(
      'service mode change is not allowed',
    );
  });

  it('removes a service', async () => {
    const { c, h } = control();
    await createService(c, spec());
    await removeService(c, 'web');
    expect(h.store.view((tx) => tx.find('services'))).toEqual([]);
    await expect(removeService(c, 'web')).rejects.toThrow('service web not found');
  });
});
