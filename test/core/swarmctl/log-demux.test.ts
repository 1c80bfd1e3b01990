import { describe, expect, it } from 'vitest';
import { frame } from '../../../core/dockerapi/log-stream.ts';
import { errorDescription } from '../../../core/swarmctl/client.ts';
import { LogDemuxer, parseDetails } from '../../../core/swarmctl/log-demux.ts';

describe('multiplexed log stream', () => {
  it('reads frames split anywhere across chunks', () => {
    const bytes = Buffer.concat([frame('stdout', 'one\n'), frame('stderr', 'twö\n'), frame('system', 'Error grabbing logs: gone\n')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new LogDemuxer();
      const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(frames).toEqual([
        { stream: 'stdout', text: 'one\n' },
        { stream: 'stderr', text: 'twö\n' },
        { stream: 'system', text: 'Error grabbing logs: gone\n' },
      ]);
      expect(d.pending).toBe(0);
    }
  });

  it('refuses a stream that is not multiplexed rather than printing garbage', () => {
    expect(() => new LogDemuxer().push(Buffer.from('hello world\n'))).toThrow(/not Docker's multiplexed format/);
  });

  it("reads a line's details: the task, node and service it came from", () => {
    expect(parseDetails('com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello  world')).toEqual({
      nodeId: 'n1',
      serviceId: 's1',
      taskId: 't1',
      text: 'hello  world',
    });
    expect(parseDetails('com.docker.swarm.node.id=a%2Cb,com.docker.swarm.task.id=t+1 x').nodeId).toBe('a,b');
    expect(parseDetails('no details here')).toEqual({ taskId: '', nodeId: '', serviceId: '', text: 'no details here' });
  });
});

describe('error messages', () => {
  it("keeps gRPC's description only, as SwarmKit's swarmctl prints it", () => {
    expect(errorDescription('rpc error: code = InvalidArgument desc = name conflicts with an existing object')).toBe('name conflicts with an existing object');
    expect(errorDescription('service web not found')).toBe('service web not found');
  });
});
