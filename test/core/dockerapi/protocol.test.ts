// The pieces of the Engine API's protocol, without a server: filters, API versions, the log
// stream's framing, event filters and the event log's replay and follow.

import { describe, expect, it } from 'vitest';
import { splitVersion } from '../../../core/dockerapi/api-version.ts';
import { eventAt, eventMatches, EventLog, type EngineEvent } from '../../../core/dockerapi/events.ts';
import { nodeFilters, parseFilters, taskFilters } from '../../../core/dockerapi/filters.ts';
import { formatLine, frame, timestamp } from '../../../core/dockerapi/log-stream.ts';
import { leaveRefusal } from '../../../core/dockerapi/messages.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

describe('filters', () => {
  it('reads both of Docker’s encodings, and labels with and without values', () => {
    expect(parseFilters('{"name":{"web":true,"api":true}}')).toEqual(new Map([['name', ['web', 'api']]]));
    expect(parseFilters('{"name":["web"]}')).toEqual(new Map([['name', ['web']]]));
    expect(parseFilters(null)).toEqual(new Map());
    expect(nodeFilters(parseFilters('{"node.label":["zone=east","ssd"],"role":["Manager"]}'))).toMatchObject({
      nodeLabels: { zone: 'east', ssd: '' },
      roles: ['manager'],
    });
    expect(taskFilters(parseFilters('{"_up-to-date":{"true":true},"service":["web"]}')).filters).toMatchObject({ upToDate: true, services: ['web'] });
    expect(() => parseFilters('{"name":{"web":"yes"}}')).toThrow(/the values of "name" must be/);
    expect(() => parseFilters('[1]')).toThrow(/expected a JSON object/);
  });
});

describe('API versions', () => {
  it('splits the prefix off, defaults to the newest, and refuses those out of range', () => {
    expect(splitVersion('/v1.41/services')).toEqual({ version: '1.41', path: '/services' });
    expect(splitVersion('/services')).toEqual({ version: '1.50', path: '/services' });
    expect(splitVersion('/v1.50')).toEqual({ version: '1.50', path: '/' });
    expect(() => splitVersion('/v2.0/info')).toThrow('client version 2.0 is too new. Maximum supported API version is 1.50');
    expect(() => splitVersion('/v1.9/info')).toThrow(/client version 1\.9 is too old/);
  });
});

describe('the log stream', () => {
  const line = {
    stream: 'stdout' as const,
    time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 60)),
    line: 'hello world',
    taskId: 't1',
    nodeId: 'n1',
    serviceId: 's1',
  };

  it('frames each line with stdcopy’s 8-byte header', () => {
    const f = frame('stderr', 'hé\n');
    expect([...f.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 4]);
    expect(f.subarray(8).toString()).toBe('hé\n');
  });

  it('prefixes the timestamp (Go’s RFC3339NanoFixed) and the details the CLI parses', () => {
    expect(timestamp(line.time)).toBe('2026-01-02T03:04:05.060000000Z');
    expect(formatLine(line, { timestamps: false, details: false })).toBe('hello world\n');
    expect(formatLine(line, { timestamps: true, details: true })).toBe(
      '2026-01-02T03:04:05.060000000Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello world\n',
    );
    // url.QueryEscape: a space in a detail must not split the CLI's parsing of the line.
    expect(formatLine({ ...line, nodeId: "a b!'" }, { timestamps: false, details: true })).toMatch(/^com\.docker\.swarm\.node\.id=a\+b%21%27,/);
  });
});

describe('events', () => {
  const svc = eventAt('service', 'update', 'abc123', { name: 'web', 'image.new': 'alpine:3.19' }, 1_000);
  const task = eventAt('task', 'update', 't1', { name: 'web.1.t1' }, 2_000);
  const f = (json: string) => parseFilters(json);

  it('filter as Docker’s: exact type and action, name or ID prefix, labels; task events only when asked for', () => {
    expect(eventMatches(svc, f(''))).toBe(true);
    expect(eventMatches(svc, f('{"type":["service"],"event":["update"]}'))).toBe(true);
    expect(eventMatches(svc, f('{"event":["create"]}'))).toBe(false);
    expect(eventMatches(svc, f('{"service":["we"]}'))).toBe(true);
    expect(eventMatches(svc, f('{"service":["abc"]}'))).toBe(true);
    expect(eventMatches(svc, f('{"node":["db"]}'))).toBe(false);
    // Docker matches every name filter against any event's ID and name, whatever its type.
    expect(eventMatches(svc, f('{"node":["web"]}'))).toBe(true);
    expect(eventMatches(svc, f('{"label":["image.new=alpine:3.19"]}'))).toBe(true);
    expect(eventMatches(svc, f('{"scope":["local"]}'))).toBe(false);
    expect(eventMatches(task, f(''))).toBe(false);
    expect(eventMatches(task, f('{"type":["task"]}'))).toBe(true);
    expect(svc.timeNano).toBe(1_000_000_000);
    expect(svc.time).toBe(1);
  });

  it('replay from `since`, follow live events, stop at `until` or on abort', async () => {
    const clock = new VirtualClock({ start: 10_000 });
    const log = new EventLog({ clock, capacity: 3 });
    for (let i = 1; i <= 4; i++) log.publish(eventAt('node', 'update', `n${i}`, {}, i * 1_000));
    const seen: string[] = [];
    const abort = new AbortController();
    const done = (async () => {
      for await (const e of log.stream({ since: new Date(0), filters: new Map() }, abort.signal)) seen.push(e.Actor.ID);
    })();
    await clock.runFor(1);
    log.publish(eventAt('node', 'update', 'n5', {}, 5_000));
    await clock.runFor(1);
    expect(seen).toEqual(['n2', 'n3', 'n4', 'n5']);
    abort.abort();
    await done;

    const bounded: EngineEvent[] = [];
    const until = (async () => {
      for await (const e of log.stream({ until: new Date(clock.now() + 1_000), filters: new Map() }, new AbortController().signal)) bounded.push(e);
    })();
    await clock.runFor(1);
    log.publish(eventAt('node', 'create', 'n6', {}, clock.now()));
    await clock.runFor(2_000);
    await until;
    expect(bounded.map((e) => e.Actor.ID)).toEqual(['n6']);
  });
});

describe('messages', () => {
  it('leave refusals as Docker words them', () => {
    expect(leaveRefusal(1, 0)).toBe(
      'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ',
    );
    expect(leaveRefusal(2, 0)).toMatch(/participating as a manager\. Removing this node leaves 1 managers out of 2\. Without a Raft quorum/);
    expect(leaveRefusal(3, 1)).toMatch(/Removing this node leaves 2 managers out of 4\./);
    expect(leaveRefusal(3, 0)).toBe(
      'You are attempting to leave the swarm on a node that is participating as a manager. The only way to restore a swarm that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message.',
    );
  });
});
