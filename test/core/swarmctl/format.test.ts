import { describe, expect, it } from 'vitest';
import { formatClusterSummary } from '../../../core/swarmctl/format/cluster.ts';
import { formatNodeList, formatNodeSummary, managerStatus } from '../../../core/swarmctl/format/nodes.ts';
import { formatServiceList, formatServiceSummary, replicasText } from '../../../core/swarmctl/format/services.ts';
import { bySlot, formatTaskList, formatTaskSummary, formatTaskTable, taskParents } from '../../../core/swarmctl/format/tasks.ts';
import { makeNames } from '../../../core/swarmctl/names.ts';
import { ago, cluster, node, NOW, service, task } from './fixtures.ts';

const lines = (...l: string[]) => l.join('\n') + '\n';

const nodes = [
  node('n1', { hostname: 'manager-1', Spec: { Role: 'manager', Availability: 'active' }, ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:4242' } }),
  node('n2', { hostname: 'worker-1', Status: { State: 'down' }, Spec: { Role: 'worker', Availability: 'drain', Name: 'w1' } }),
  node('n3', { hostname: 'm-2', Spec: { Role: 'manager', Availability: 'pause' } }),
];

const web = service('svc1', 'web', {
  Spec: {
    Name: 'web',
    Labels: { tier: 'front' },
    TaskTemplate: {
      ContainerSpec: { Image: 'swarmlab/whoami:1', Args: ['--port', '80'], Env: ['A=1', 'B=2'], Command: ['/whoami', '-v'] },
      Placement: { Constraints: ['node.role==worker'] },
      Resources: { Limits: { MemoryBytes: 512 * 1024 ** 2, NanoCPUs: 5e8 } },
    },
    Mode: { Replicated: { Replicas: 3 } },
  },
  UpdateStatus: { State: 'updating', StartedAt: ago(12), Message: 'update in progress' },
  Endpoint: { Ports: [{ Name: 'http', Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080 }] },
});
const agent = service('svc2', 'agent', { Spec: { Name: 'agent', TaskTemplate: { ContainerSpec: { Image: 'alpine' } }, Mode: { Global: {} } } });

const tasks = [
  task('t1', { Slot: 1, NodeID: 'n1' }),
  task('t2', { Slot: 2, NodeID: 'n2', Status: { Timestamp: ago(75), State: 'preparing', Message: 'preparing' } }),
  task('t0', { Slot: 1, NodeID: 'n1', DesiredState: 'shutdown', Status: { Timestamp: ago(3700), State: 'shutdown', Message: 'shutdown' }, CreatedAt: ago(7200) }),
  task('t3', { Slot: 3, NodeID: undefined, Status: { Timestamp: ago(1), State: 'pending', Message: 'pending' } }),
];
const names = makeNames({ nodes, services: [web, agent] });

describe('node ls / node inspect', () => {
  it("prints SwarmKit's table: name or hostname, upper-case states, the leader starred", () => {
    expect(formatNodeList(nodes)).toBe(
      lines(
        'ID  Name       Membership  Status  Availability  Manager Status',
        '--  ----       ----------  ------  ------------  --------------',
        'n1  manager-1  ACCEPTED    READY   ACTIVE        REACHABLE *',
        'n2  w1         ACCEPTED    DOWN    DRAIN         ',
        'n3  m-2        ACCEPTED    READY   PAUSE         UNKNOWN',
      ),
    );
    expect(formatNodeList(nodes, true)).toBe('n1\nn2\nn3\n');
  });

  it('shows UNREACHABLE managers without a star, and nothing for workers', () => {
    expect(managerStatus(node('x', { Spec: { Role: 'manager', Availability: 'active' }, ManagerStatus: { Reachability: 'unreachable', Addr: 'a' } }))).toBe('UNREACHABLE');
    expect(managerStatus(node('y'))).toBe('');
  });

  it('prints the summary with manager, platform and resources sections', () => {
    expect(formatNodeSummary(nodes[0]!)).toBe(
      lines(
        'ID                        : n1',
        'Hostname                  : manager-1',
        'Status:                   ',
        '  State                   : READY',
        '  Availability            : ACTIVE',
        'Manager:                  ',
        '  Address                 : 127.0.0.1:4242',
        '  Raft status             : REACHABLE',
        '  Leader                  : yes',
        'Platform:                 ',
        '  Operating System        : linux',
        '  Architecture            : x86_64',
        'Resources:                ',
        '  CPUs                    : 4',
        '  Memory                  : 8.0 GiB',
        'Engine Version            : 27.0.0-swarmlab',
      ),
    );
  });

  it('shows a named node with its labels and a status message', () => {
    const n = node('n9', { Spec: { Role: 'worker', Availability: 'active', Name: 'edge', Labels: { zone: 'a' } }, Status: { State: 'down', Message: 'heartbeat failure' } });
    const text = formatNodeSummary(n);
    expect(text).toMatch(/^Name +: edge$/m);
    expect(text).toMatch(/^Labels *\n {2}zone +: a$/m);
    expect(text).toMatch(/^ {2}Message +: heartbeat failure$/m);
    expect(text).not.toContain('Manager:');
  });
});

describe('service ls / service inspect', () => {
  it('prints running/replicas, and "global" for a global service', () => {
    expect(formatServiceList([web, agent], new Map([['svc1', 2]]))).toBe(
      lines(
        'ID    Name   Image              Replicas',
        '--    ----   -----              --------',
        'svc1  web    swarmlab/whoami:1  2/3',
        'svc2  agent  alpine             global',
      ),
    );
    expect(replicasText(service('s', 'x', { Spec: { TaskTemplate: { ContainerSpec: { Image: 'i' } }, Mode: { Replicated: {} } } }), 0)).toBe('0/1');
  });

  it("prints SwarmKit's summary: replicas, update status, template, resources, ports", () => {
    expect(formatServiceSummary(web, 2, NOW)).toBe(
      lines(
        'ID                   : svc1',
        'Name                 : web',
        'Labels               ',
        '  tier               : front',
        'Replicas             : 2/3',
        'Update Status        ',
        ' State               : UPDATING',
        ' Started             : 12 seconds ago',
        ' Message             : update in progress',
        'Template             ',
        ' Container           ',
        '  Image              : swarmlab/whoami:1',
        '  Command            : "/whoami -v"',
        '  Args               : [--port, 80]',
        '  Env                : [A=1, B=2]',
        '  Constraints        : node.role==worker',
        '  Resources          ',
        '    Limits:          ',
        '      CPU            : 0.5',
        '      Memory         : 512 MiB',
        '',
        'Ports:',
        '    - Name             = http',
        '      Protocol         = tcp',
        '      Port             = 80',
        '      SwarmPort        = 8080',
      ),
    );
  });

  it('leaves out what a plain service does not have', () => {
    expect(formatServiceSummary(agent, 0, NOW)).toBe(
      // The key column: " Container" (10) plus 8.
      lines('ID                : svc2', 'Name              : agent', 'Replicas          : global', 'Template          ', ' Container        ', '  Image           : alpine'),
    );
  });

  it('says when a completed update completed', () => {
    const done = service('s', 'x', { UpdateStatus: { State: 'completed', StartedAt: ago(120), CompletedAt: ago(30), Message: 'update completed' } });
    expect(formatServiceSummary(done, 3, NOW)).toMatch(/ State +: COMPLETED\n Started +: 2 minutes ago\n Completed +: 30 seconds ago\n Message +: update completed\n/);
  });
});

describe('task ls / task tables / task inspect', () => {
  it('lists tasks meant to run as service.slot with their last state and when', () => {
    expect(formatTaskList(tasks, names, NOW)).toBe(
      lines(
        'ID  Service  Desired State  Last State              Node',
        '--  -------  -------------  ----------              ----',
        't1  web.1    RUNNING        RUNNING 5 seconds ago   manager-1',
        't2  web.2    RUNNING        PREPARING 1 minute ago  w1',
        't3  web.3    RUNNING        PENDING 1 second ago    ',
      ),
    );
  });

  it('with -a includes the ones told to stop; -q prints IDs only', () => {
    expect(formatTaskList(tasks, names, NOW, { all: true })).toContain('t0  web.1    SHUTDOWN       SHUTDOWN 1 hour ago     manager-1\n');
    expect(formatTaskList(tasks, names, NOW, { quiet: true })).toBe('t1\nt2\nt3\n');
  });

  it('shows IDs instead of names with --no-resolve', () => {
    const raw = makeNames({ nodes, services: [web] }, false);
    expect(formatTaskList([tasks[0]!], raw, NOW)).toContain('t1  svc1.1   RUNNING        RUNNING 5 seconds ago  n1\n');
  });

  it("prints task.Print's table by slot, the newest of a slot first", () => {
    expect(formatTaskTable(tasks, names, NOW, false)).toBe(
      lines(
        'Task ID    Service    Slot    Image                Desired State    Last State                Node',
        '-------    -------    ----    -----                -------------    ----------                ----',
        't1         web        1       swarmlab/whoami:1    RUNNING          RUNNING 5 seconds ago     manager-1',
        't2         web        2       swarmlab/whoami:1    RUNNING          PREPARING 1 minute ago    w1',
        't3         web        3       swarmlab/whoami:1    RUNNING          PENDING 1 second ago      ',
      ),
    );
    expect(bySlot(tasks).map((t) => t.ID)).toEqual(['t1', 't0', 't2', 't3']);
    expect(formatTaskTable(tasks, names, NOW, true)).toContain('\nt0         web        1');
  });

  it('prints the task summary with status, container status and spec', () => {
    const failed = task('t9', {
      Status: { Timestamp: '2024-05-01T11:59:55.123456789Z', State: 'failed', Message: 'started', Err: 'exit 1', ContainerStatus: { ContainerID: 'c1', PID: 42, ExitCode: 1 } },
      Spec: { ContainerSpec: { Image: 'swarmlab/crash', Env: ['EXIT_CODE=1'] } },
    });
    expect(formatTaskSummary(failed, names)).toBe(
      lines(
        'ID                     : t9',
        'Slot                   : 1',
        'Service                : web',
        'Status                 ',
        '  Desired State        : RUNNING',
        '  Last State           : FAILED',
        '  Timestamp            : 2024-05-01T11:59:55.123456789Z',
        '  Message              : started',
        '  Error                : exit 1',
        '  ContainerID          : c1',
        '  Pid                  : 42',
        '  ExitCode             : 1',
        'Node                   : node1',
        'Spec                   ',
        '  Image                : swarmlab/crash',
        '  Env                  : [EXIT_CODE=1]',
      ),
    );
  });

  it("finds a task's parents by slot, or by node for a global service's task", () => {
    expect(taskParents(tasks[0]!, tasks).map((t) => t.ID)).toEqual(['t1', 't0']);
    const g1 = task('g1', { Slot: undefined, NodeID: 'n1' });
    const g2 = task('g2', { Slot: undefined, NodeID: 'n2' });
    const g0 = task('g0', { Slot: undefined, NodeID: 'n1', DesiredState: 'shutdown' });
    expect(taskParents(g1, [g1, g2, g0]).map((t) => t.ID)).toEqual(['g1', 'g0']);
  });
});

describe('cluster inspect', () => {
  it('prints the settings as Go durations and both join tokens', () => {
    expect(formatClusterSummary(cluster())).toBe(
      lines(
        'ID          : clu1',
        'Name        : default',
        'Orchestration settings:',
        '  Task history entries: 5',
        'Dispatcher settings:',
        '  Dispatcher heartbeat period: 5s',
        'Certificate Authority settings:',
        '  Certificate Validity Duration: 2160h0m0s',
        '  Join Tokens:',
        '    Worker: SWMTKN-1-aaa-worker',
        '    Manager: SWMTKN-1-aaa-manager',
      ),
    );
  });
});
