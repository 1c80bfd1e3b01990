// Requests no client should send, and the answers Docker gives them: the right status, a message
// that says what was wrong — and after every one of them the server still answers /_ping.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_A_MANAGER_NO_SWARM, NOT_A_MANAGER_WORKER } from '../../../core/dockerapi/messages.ts';
import type { ControlApi } from '../../../core/manager/control/api.ts';
import { startServer, startTestEngine, type TestServer } from './fixture.ts';
import { http, rawSocket } from './http.ts';
import { TestEngine } from './test-engine.ts';

const spec = (extra: Record<string, unknown> = {}) => ({
  Name: 'web',
  TaskTemplate: { ContainerSpec: { Image: 'alpine:latest', Args: ['ping', 'docker.com'] } },
  Mode: { Replicated: { Replicas: 1 } },
  ...extra,
});

describe('bad input to the Docker API', { timeout: 30_000 }, () => {
  let t: TestServer;
  const req = (method: string, path: string, opts?: Parameters<typeof http>[3]) => http(t.socketPath, method, path, opts);
  const alive = async () => {
    const r = await req('GET', '/_ping');
    expect(r.status).toBe(200);
    expect(r.text).toBe('OK');
  };
  const expectError = async (p: Promise<{ status: number; json: unknown }>, status: number, message: string | RegExp) => {
    const r = await p;
    expect(r.status).toBe(status);
    const m = (r.json as { message?: string } | undefined)?.message;
    if (typeof message === 'string') expect(m).toBe(message);
    else expect(m).toMatch(message);
    await alive();
  };

  beforeAll(async () => {
    t = await startTestEngine({ workers: 0 });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('before init: manager endpoints answer 503 with Docker’s message; leave says not part of a swarm', async () => {
    await expectError(req('GET', '/services'), 503, NOT_A_MANAGER_NO_SWARM);
    await expectError(req('GET', '/v1.50/swarm'), 503, NOT_A_MANAGER_NO_SWARM);
    await expectError(req('POST', '/swarm/leave'), 503, 'This node is not part of a swarm');
    const ping = await req('HEAD', '/_ping');
    expect(ping.headers.swarm).toBe('inactive');
    expect(ping.headers['api-version']).toBe('1.50');
  });

  it('an init request with a misspelt field names it and suggests the right one', async () => {
    await expectError(req('POST', '/swarm/init', { body: { ListenAdr: '0.0.0.0:2377' } }), 400, 'unknown field "ListenAdr" in InitRequest (did you mean "ListenAddr"?)');
    await expectError(req('POST', '/swarm/init', { body: { ForceNewCluster: 'yes' } }), 400, 'invalid ForceNewCluster in InitRequest: expected boolean, got "yes"');
    await expectError(
      req('POST', '/swarm/init', { body: { Spec: { Raft: { ElectionTick: 1, HeartbeatTick: 1 } } } }),
      400,
      'rpc error: code = InvalidArgument desc = invalid election tick: must be greater than the heartbeat tick (1), got 1',
    );
    const ok = await req('POST', '/swarm/init', { body: { AdvertiseAddr: '127.0.0.1' } });
    expect(ok.status).toBe(200);
    expect(ok.json).toBe(t.backend.swarm!.nodeId);
    expect((await req('GET', '/_ping')).headers.swarm).toBe('active/manager');
  });

  it('malformed JSON and a body that is not JSON', async () => {
    await expectError(req('POST', '/services/create', { raw: '{"Name": "web",' }), 400, /^invalid JSON: /);
    await expectError(req('POST', '/services/create', { raw: 'Name=web', headers: { 'Content-Type': 'text/plain' } }), 400, "unsupported Content-Type header (text/plain): must be 'application/json'");
  });

  it('an unknown field in a spec is named, with the field it probably meant', async () => {
    await expectError(
      req('POST', '/services/create', { body: spec({ Mode: { Replicated: { Replica: 2 } } }) }),
      400,
      'rpc error: code = InvalidArgument desc = unknown field "Replica" in Mode.Replicated (did you mean "Replicas"?)',
    );
  });

  it('an invalid spec gets the validator’s message', async () => {
    await expectError(
      req('POST', '/services/create', { body: spec({ Mode: { Replicated: { Replicas: -1 } } }) }),
      400,
      'rpc error: code = InvalidArgument desc = invalid replicas: must be ≥ 0, got -1',
    );
    await expectError(req('POST', '/services/create', { body: {} }), 400, /^rpc error: code = InvalidArgument desc = invalid image: an image is required/);
  });

  it('a name that is taken, and an update based on a stale version, are conflicts', async () => {
    const created = await req('POST', '/services/create', { body: spec() });
    expect(created.status).toBe(201);
    const id = (created.json as { ID: string }).ID;
    await expectError(
      req('POST', '/services/create', { body: spec() }),
      409,
      `rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web exists with ID ${id}`,
    );
    const svc = (await req('GET', `/services/${id}`)).json as { Version: { Index: number } };
    const next = await req('POST', `/services/web/update?version=${svc.Version.Index}`, { body: spec({ Mode: { Replicated: { Replicas: 2 } } }) });
    expect(next.status).toBe(200);
    expect(next.json).toEqual({ Warnings: [] });
    await expectError(req('POST', `/services/web/update?version=${svc.Version.Index}`, { body: spec() }), 409, /^rpc error: code = Aborted desc = update out of sequence: service \w+ is at version \d+, the update was based on version \d+/);
    await expectError(req('POST', '/services/web/update', { body: spec() }), 400, "invalid service version '': the version is required (the Version.Index the object was read at)");
    await expectError(req('POST', '/services/web/update?version=x1', { body: spec() }), 400, "invalid service version 'x1': expected a whole number");
    await expectError(req('POST', `/services/web/update?version=1&rollback=later`, { body: spec() }), 400, 'unrecognized rollback option later');
  });

  it('what does not exist is 404, in Docker’s words', async () => {
    await expectError(req('GET', '/services/nope'), 404, 'service nope not found');
    await expectError(req('DELETE', '/services/nope'), 404, 'service nope not found');
    await expectError(req('POST', '/services/nope/update?version=1', { body: spec() }), 404, 'service nope not found');
    await expectError(req('GET', '/services/nope/logs?stdout=1'), 404, 'service nope not found');
    await expectError(req('GET', '/nodes/nope'), 404, 'node nope not found');
    await expectError(req('GET', '/tasks/nope'), 404, 'task nope not found');
    await expectError(req('GET', '/networks/nope'), 404, 'network nope not found');
  });

  it('an unknown endpoint is 501 and names itself; versions outside 1.24–1.50 are refused', async () => {
    await expectError(req('GET', '/containers/json'), 501, /^swarmlab does not implement GET \/containers\/json: /);
    await expectError(req('POST', '/v1.50/images/create?fromImage=alpine'), 501, /^swarmlab does not implement POST \/images\/create: /);
    await expectError(req('GET', '/v1.51/info'), 400, 'client version 1.51 is too new. Maximum supported API version is 1.50');
    await expectError(
      req('GET', '/v1.12/info'),
      400,
      'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    );
    expect((await req('GET', '/v1.24/_ping')).status).toBe(200);
  });

  it('bad filters and parameters', async () => {
    await expectError(req('GET', '/services?filters=%7Bname'), 400, /^invalid filters: /);
    await expectError(req('GET', `/services?filters=${encodeURIComponent('{"colour":{"red":true}}')}`), 400, "invalid filter 'colour'");
    await expectError(req('GET', `/nodes?filters=${encodeURIComponent('{"role":["boss"]}')}`), 400, "Invalid role filter: 'boss'");
    await expectError(req('GET', `/tasks?filters=${encodeURIComponent('{"desired-state":{"sleeping":true}}')}`), 400, "Invalid desired-state filter: 'sleeping'");
    await expectError(req('GET', '/services?status=maybe'), 400, 'invalid value for status: maybe');
    await expectError(req('GET', '/services/web/logs'), 400, 'Bad parameters: you must choose at least one stream');
    await expectError(req('GET', '/services/%E0%A4%A'), 400, /^invalid id in the path/);
    await expectError(req('POST', '/swarm/update?version=1&rotateWorkerToken=maybe', { body: {} }), 400, 'invalid value for rotateWorkerToken: maybe');
    const node = (await req('GET', '/nodes')).json as { ID: string; Version: { Index: number } }[];
    await expectError(
      req('POST', `/nodes/${node[0]!.ID}/update?version=${node[0]!.Version.Index}`, { body: { Role: 'manager', Availability: 'asleep' } }),
      400,
      'rpc error: code = InvalidArgument desc = invalid availability "asleep": expected active, pause or drain',
    );
  });

  it('a body over the limit, garbage bytes, and a client that hangs up mid-body', async () => {
    await expectError(req('POST', '/services/create', { raw: `{"Name":"${'x'.repeat(5 * 1024 * 1024)}"}` }), 413, /^request body too large/);
    const reply = await rawSocket(t.socketPath, 'THIS IS NOT HTTP\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    await alive();
    await new Promise<void>((resolve) => {
      const s = connect(t.socketPath, () => {
        s.write('POST /services/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Name":');
        s.destroy();
        resolve();
      });
    });
    await alive();
  });

  it('the swarm endpoints check their parameters too', async () => {
    await expectError(req('POST', '/swarm/join', { body: { JoinToken: 'x' } }), 400, 'at least 1 RemoteAddr is required to join');
    await expectError(req('POST', '/swarm/init', { body: {} }), 503, 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
    const swarm = (await req('GET', '/swarm')).json as { Version: { Index: number }; JoinTokens: { Worker: string } };
    await expectError(req('POST', `/swarm/update?version=${swarm.Version.Index}`, { body: { Name: 'other' } }), 400, 'rpc error: code = InvalidArgument desc = swarm spec must be named "default"');
    await expectError(req('POST', `/swarm/update?version=${swarm.Version.Index}&rotateManagerUnlockKey=true`, { body: {} }), 400, /^rpc error: code = FailedPrecondition desc = swarmlab does not lock managers yet/);
    await expectError(req('POST', '/swarm/unlock', { body: { UnlockKey: 'SWMKEY-1-x' } }), 409, 'swarm is not locked');
    await expectError(req('POST', '/swarm/leave'), 403, /^You are attempting to leave the swarm on a node that is participating as a manager\. Removing the last manager/);
  });
});

describe('a node that is not a manager', () => {
  it('a worker gets Docker’s worker message; /_ping says active/worker', async () => {
    const engine = new TestEngine({ workers: 0 });
    const info = engine.info();
    engine.info = () => ({ ...info, Swarm: { ...info.Swarm, NodeID: 'w1', LocalNodeState: 'active', ControlAvailable: false } });
    const t = await startServer(engine);
    try {
      const r = await http(t.socketPath, 'GET', '/v1.50/nodes');
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ message: NOT_A_MANAGER_WORKER });
      expect((await http(t.socketPath, 'HEAD', '/_ping')).headers.swarm).toBe('active/worker');
      const cli = await t.cli.run(['service', 'ls']);
      expect(cli.stderr.trim()).toBe(`Error response from daemon: ${NOT_A_MANAGER_WORKER}`);
    } finally {
      await t.close();
    }
  });
});

describe('a bug behind the API', () => {
  it('answers 500 with the error, logs it, and the server goes on', async () => {
    const engine = new TestEngine({ workers: 0 });
    const broken: ControlApi = new Proxy({} as ControlApi, {
      // Not a thenable: only the API's methods exist.
      get: (_t, key) => (key === 'then' ? undefined : () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'Spec')"))),
    });
    engine.control = () => broken;
    const t = await startServer(engine);
    try {
      const r = await http(t.socketPath, 'GET', '/services');
      expect(r.status).toBe(500);
      expect((r.json as { message: string }).message).toBe("internal error in swarmlab's Docker API: Cannot read properties of undefined (reading 'Spec')");
      expect(t.logged.join('\n')).toMatch(/GET \/services failed: TypeError: Cannot read properties of undefined/);
      expect((await http(t.socketPath, 'GET', '/_ping')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
