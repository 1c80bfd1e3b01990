import { describe, expect, it } from 'vitest';
import { checkDuration, checkName, parseConstraints, parsePorts } from '../../renderer/dialogs/service-form.ts';

describe('the service form', () => {
  it('reads ports as docker does', () => {
    expect(parsePorts('8080:80, 53:53/udp 9000')).toEqual([
      { published: 8080, target: 80, protocol: 'tcp' },
      { published: 53, target: 53, protocol: 'udp' },
      { target: 9000, protocol: 'tcp' },
    ]);
    expect(parsePorts('')).toEqual([]);
    expect(parsePorts('80:http')).toMatch(/not a port/);
    expect(parsePorts('70000:80')).toMatch(/1 to 65535/);
  });

  it('reads constraints, and refuses what the scheduler would not understand', () => {
    expect(parseConstraints('node.role == worker\nnode.labels.zone!=a')).toEqual(['node.role==worker', 'node.labels.zone!=a']);
    expect(parseConstraints('node.role=worker')).toMatch(/not a constraint/);
  });

  it('checks names and durations', () => {
    expect(checkName('web-1')).toBeUndefined();
    expect(checkName('-web')).toMatch(/letters/);
    expect(checkDuration('1m30s')).toBeUndefined();
    expect(checkDuration('5 seconds')).toMatch(/not a duration/);
  });
});
