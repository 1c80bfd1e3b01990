// The controller's boundary: each method's params are checked before the controller sees them,
// and a wrong request is refused with the method, the field and what was expected.

import { describe, expect, it } from 'vitest';
import { LAB_METHODS, type LabApi } from '../../../main/lab/protocol.ts';
import { dispatch, RequestError } from '../../../main/lab/requests.ts';

/** An API that records what reached it. */
function recorder(): { api: LabApi; calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const api = Object.fromEntries(
    LAB_METHODS.map((m) => [
      m,
      async function (this: unknown, p: unknown) {
        calls.push([m, p]);
        return m === 'createService' ? { id: 'svc1' } : undefined;
      },
    ]),
  ) as unknown as LabApi;
  return { api, calls };
}

async function refusal(method: unknown, params: unknown): Promise<string> {
  const { api, calls } = recorder();
  const err = await dispatch(api, method, params).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RequestError);
  expect(calls).toEqual([]);
  return (err as Error).message;
}

describe('dispatch', () => {
  it('passes valid params through and answers with the result', async () => {
    const { api, calls } = recorder();
    const req = { name: 'web', image: 'swarmlab/whoami:1', mode: 'replicated', replicas: 6, ports: [{ published: 8080, target: 80 }], update: { parallelism: 2, delay: '1s' } };
    expect(await dispatch(api, 'createService', req)).toEqual({ id: 'svc1' });
    expect(await dispatch(api, 'templates', undefined)).toBeUndefined();
    await dispatch(api, 'images', {});
    await dispatch(api, 'createLab', { template: 'default' });
    await dispatch(api, 'checkNodeChange', { nodeId: 'n1', action: 'partition' });
    expect(calls).toEqual([
      ['createService', req],
      ['templates', undefined],
      ['images', undefined],
      ['createLab', { template: 'default' }],
      ['checkNodeChange', { nodeId: 'n1', action: 'partition' }],
    ]);
  });

  it('calls the method on the API object (this is the controller)', async () => {
    class Api {
      seen: unknown;
      async heal(p: unknown) {
        this.seen = p;
      }
    }
    const api = new Api();
    await dispatch(api as unknown as LabApi, 'heal', { machine: 'worker1' });
    expect(api.seen).toEqual({ machine: 'worker1' });
  });

  it('refuses an unknown method, naming the ones there are', async () => {
    expect(await refusal('createServce', {})).toMatch(/^unknown method "createServce" \(did you mean createService\?\): the methods are templates, createLab, /);
    expect(await refusal('subscribe', {})).toMatch(/^unknown method "subscribe"/);
    expect(await refusal(42, {})).toMatch(/^unknown method 42/);
    expect(await refusal('constructor', {})).toMatch(/^unknown method/);
  });

  it('names the method, the field and what was expected', async () => {
    expect(await refusal('createService', { name: 'web', image: 'alpine', mode: 'replicated', replicas: -1 })).toBe('createService: replicas: expected a number from 0 to 10000, got -1');
    expect(await refusal('scaleService', { serviceId: 'web', replicas: 'six' })).toBe('scaleService: replicas: expected a number from 0 to 10000, got "six"');
    expect(await refusal('scaleService', { serviceId: 'web', replicas: 2.5 })).toBe('scaleService: replicas: expected a number from 0 to 10000, got 2.5');
    expect(await refusal('scaleService', { serviceId: 'web' })).toBe('scaleService: replicas: required: a number from 0 to 10000');
    expect(await refusal('createService', { name: 'web', image: 'alpine', mode: 'replicated', ports: [{ target: 0 }] })).toBe('createService: ports[0].target: expected a port from 1 to 65535, got 0');
    expect(await refusal('createService', { name: 'web', image: 'alpine', mode: 'sometimes' })).toBe('createService: mode: expected replicated or global, got "sometimes"');
    expect(await refusal('updateService', { serviceId: 'web', policy: { delay: '5 seconds' } })).toBe('updateService: policy.delay: expected a duration such as 500ms, 5s or 1m30s, got "5 seconds"');
    expect(await refusal('setNodeRole', { nodeId: 'n1', role: 'boss' })).toBe('setNodeRole: role: expected manager or worker, got "boss"');
    expect(await refusal('openConsole', { machine: 'manager1', cols: 80 })).toBe('openConsole: rows: required: a row count from 1 to 1000');
  });

  it('refuses unknown fields, with the one that was meant', async () => {
    expect(await refusal('scaleService', { serviceId: 'web', replica: 3 })).toMatch(/^scaleService: (replicas: required.*; )?unknown field "replica" \(did you mean "replicas"\?\)/);
    expect(await refusal('destroyLab', { force: true })).toBe('destroyLab: unknown field "force" (it takes none)');
  });

  it('refuses params that are not an object, and contradictions', async () => {
    expect(await refusal('heal', 'worker1')).toBe('heal: expected an object with machine, got "worker1"');
    expect(await refusal('heal', undefined)).toBe('heal: required: an object with machine');
    expect(await refusal('createLab', { template: 'default', file: 'x.yaml' })).toMatch(/^createLab: give either template .* or file/);
    expect(await refusal('createLab', {})).toMatch(/^createLab: give either template/);
    expect(await refusal('createService', { name: 'web', image: 'alpine', mode: 'global', replicas: 3 })).toBe(
      'createService: replicas: a global service runs one task on every node: leave replicas out, or use mode replicated',
    );
  });

  it('reports several wrong fields at once', async () => {
    const msg = await refusal('createService', { name: '', image: 7, mode: 'replicated' });
    expect(msg).toBe('createService: name: expected a service name such as web, got ""; image: expected an image from the catalog, such as swarmlab/whoami:1, got 7');
  });
});
