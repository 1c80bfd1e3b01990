import { describe, expect, it } from 'vitest';
import {
  ConstraintError,
  matchConstraint,
  matchConstraints,
  parseConstraint,
  parseConstraints,
} from '../../../core/api/constraints.ts';
import type { NodeObject } from '../../../core/api/objects.ts';

function node(overrides: Partial<NodeObject> = {}): NodeObject {
  return {
    ID: 'n1abc',
    Version: { Index: 1 },
    CreatedAt: '2026-11-23T12:00:00.000Z',
    UpdatedAt: '2026-11-23T12:00:00.000Z',
    Spec: { Role: 'worker', Availability: 'active', Labels: { zone: 'East', Disk: 'ssd' } },
    Description: {
      Hostname: 'worker-1',
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 31 },
      Engine: { EngineVersion: '27.0.0', Labels: { storage: 'fast' } },
    },
    Status: { State: 'ready' },
    ...overrides,
  };
}

const matches = (text: string, n: NodeObject = node()) => matchConstraint(parseConstraint(text), n);

function parseError(text: string): string {
  try {
    parseConstraint(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConstraintError);
    return (err as Error).message;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseConstraint', () => {
  it('parses == and != with the spaces around them trimmed', () => {
    expect(parseConstraint('node.role == manager')).toEqual({
      key: 'node.role',
      op: '==',
      value: 'manager',
      text: 'node.role == manager',
    });
    expect(parseConstraint('node.labels.zone!=east')).toMatchObject({ key: 'node.labels.zone', op: '!=', value: 'east' });
  });

  it('lowercases fixed keys and label prefixes, but keeps the label name as written', () => {
    expect(parseConstraint('Node.Role==worker').key).toBe('node.role');
    expect(parseConstraint('NODE.PLATFORM.OS==linux').key).toBe('node.platform.os');
    expect(parseConstraint('Node.Labels.Zone==east').key).toBe('node.labels.Zone');
    expect(parseConstraint('ENGINE.labels.storage==fast').key).toBe('engine.labels.storage');
  });

  it('explains what is wrong', () => {
    expect(parseError('node.labels.zone=a')).toBe('invalid constraint "node.labels.zone=a": expected == or !=');
    expect(parseError('node.role')).toBe('invalid constraint "node.role": expected == or !=');
    expect(parseError('node.role==a==b')).toBe('invalid constraint "node.role==a==b": expected one operator, == or !=');
    expect(parseError('node.role==a!=b')).toBe('invalid constraint "node.role==a!=b": expected one operator, == or !=');
    expect(parseError('1node==a')).toBe('invalid constraint "1node==a": "1node" is not a valid key');
    expect(parseError('==a')).toBe('invalid constraint "==a": "" is not a valid key');
    expect(parseError('node.name==a')).toBe(
      'invalid constraint "node.name==a": unknown key "node.name" (use node.id, node.hostname, node.role, ' +
        'node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>)',
    );
    expect(parseError('node.labels.==a')).toMatch(/unknown key "node.labels."/);
    expect(parseError('node.role==')).toBe('invalid constraint "node.role==": the value is empty');
    expect(parseError('node.role==  ')).toBe('invalid constraint "node.role==  ": the value is empty');
  });

  it('parseConstraints parses a list, and nothing for none', () => {
    expect(parseConstraints(undefined)).toEqual([]);
    expect(parseConstraints(['node.role==worker', 'node.labels.zone!=west']).map((c) => c.op)).toEqual(['==', '!=']);
    expect(() => parseConstraints(['node.role==worker', 'bad'])).toThrow(ConstraintError);
  });
});

describe('matchConstraint', () => {
  it('== and != on node labels', () => {
    expect(matches('node.labels.zone==east')).toBe(true);
    expect(matches('node.labels.zone==west')).toBe(false);
    expect(matches('node.labels.zone!=west')).toBe(true);
    expect(matches('node.labels.zone!=east')).toBe(false);
  });

  it('compares values case-insensitively, as SwarmKit does', () => {
    expect(matches('node.labels.zone==EAST')).toBe(true);
    expect(matches('node.labels.zone!=eAsT')).toBe(false);
    expect(matches('node.hostname==WORKER-1')).toBe(true);
  });

  it('label names are case-sensitive, prefixes are not', () => {
    expect(matches('node.labels.Disk==ssd')).toBe(true);
    expect(matches('node.labels.disk==ssd')).toBe(false);
    expect(matches('Node.Labels.zone==east')).toBe(true);
    expect(matches('ENGINE.LABELS.storage==fast')).toBe(true);
  });

  it('a missing label satisfies only !=', () => {
    expect(matches('node.labels.rack==r1')).toBe(false);
    expect(matches('node.labels.rack!=r1')).toBe(true);
    const bare = node({ Spec: { Role: 'worker', Availability: 'active' } });
    expect(matches('node.labels.zone==east', bare)).toBe(false);
    expect(matches('node.labels.zone!=east', bare)).toBe(true);
    const noDescription = node({ Description: undefined });
    expect(matches('engine.labels.storage==fast', noDescription)).toBe(false);
    expect(matches('engine.labels.storage!=fast', noDescription)).toBe(true);
    expect(matches('node.hostname!=worker-1', noDescription)).toBe(true);
    expect(matches('node.platform.os==linux', noDescription)).toBe(false);
  });

  it('engine labels come from the engine, not the node spec', () => {
    expect(matches('engine.labels.storage==fast')).toBe(true);
    expect(matches('engine.labels.zone==east')).toBe(false);
    expect(matches('node.labels.storage==fast')).toBe(false);
  });

  it('node.role is the role the node has, falling back to its spec', () => {
    expect(matches('node.role==worker')).toBe(true);
    expect(matches('node.role!=manager')).toBe(true);
    expect(matches('node.role==manager', node({ Spec: { Role: 'manager', Availability: 'active' } }))).toBe(true);
    // Being demoted: the spec asks for worker, the node is still a manager.
    const demoting = node({ Spec: { Role: 'worker', Availability: 'active' }, Role: 'manager' });
    expect(matches('node.role==manager', demoting)).toBe(true);
    expect(matches('node.role==worker', demoting)).toBe(false);
  });

  it('node.platform.os, node.platform.arch, node.hostname and node.id', () => {
    expect(matches('node.platform.os==linux')).toBe(true);
    expect(matches('node.platform.os==windows')).toBe(false);
    expect(matches('node.platform.arch==x86_64')).toBe(true);
    expect(matches('node.platform.arch!=aarch64')).toBe(true);
    expect(matches('node.hostname==worker-1')).toBe(true);
    expect(matches('node.hostname==worker-2')).toBe(false);
    expect(matches('node.id==n1abc')).toBe(true);
    expect(matches('node.id!=n1abc')).toBe(false);
  });

  it('matchConstraints needs every constraint to hold', () => {
    const cs = parseConstraints(['node.role==worker', 'node.labels.zone==east']);
    expect(matchConstraints(cs, node())).toBe(true);
    expect(matchConstraints([...cs, parseConstraint('node.platform.os==windows')], node())).toBe(false);
    expect(matchConstraints([], node())).toBe(true);
  });
});
