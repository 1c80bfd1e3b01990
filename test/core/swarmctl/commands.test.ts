import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../core/swarmctl/args.ts';
import { parseScale, runningByService } from '../../../core/swarmctl/commands/service.ts';
import { node, task } from './fixtures.ts';

describe('service command helpers', () => {
  it('counts running tasks on nodes that are not down, as SwarmKit does without ServiceStatus', () => {
    const nodes = [node('n1'), node('n2', { Status: { State: 'down' } })];
    const tasks = [
      task('a', { ServiceID: 's1', NodeID: 'n1' }),
      task('b', { ServiceID: 's1', NodeID: 'n2' }),
      task('c', { ServiceID: 's1', NodeID: 'n1', Status: { Timestamp: '', State: 'starting', Message: '' } }),
      task('d', { ServiceID: 's2', NodeID: 'n1' }),
      task('e', { ServiceID: 's2', NodeID: undefined }),
    ];
    expect(runningByService(tasks, nodes)).toEqual(new Map([['s1', 1], ['s2', 1]]));
  });

  it('reads SERVICE=REPLICAS', () => {
    expect(parseScale('web=5')).toEqual({ ref: 'web', replicas: 5 });
    expect(parseScale('a=b=0')).toEqual({ ref: 'a=b', replicas: 0 });
    for (const bad of ['web', '=3', 'web=', 'web=-1', 'web=two']) expect(() => parseScale(bad)).toThrow(UsageError);
  });
});
