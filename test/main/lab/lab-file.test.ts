// Lab files: the templates are valid, and a bad file is refused with a message that names the
// file, the line and column, the path in the file, and what was expected.

import { beforeAll, describe, expect, it } from 'vitest';
import { SECOND } from '../../../core/api/defaults.ts';
import { ImageCatalog } from '../../../core/executor/catalog.ts';
import { defaultCatalogPath } from '../../../core/swarmd/catalog-path.ts';
import { LabError } from '../../../main/lab/errors.ts';
import { parseLabFile } from '../../../main/lab/lab-file.ts';
import { shellWords } from '../../../core/api/shell-words.ts';
import { loadLab, templateNames } from '../../../main/lab/templates.ts';

let catalog: ImageCatalog;
beforeAll(async () => {
  catalog = await ImageCatalog.load(defaultCatalogPath());
});

const parse = (text: string) => parseLabFile(text, 'labs/t.yaml', catalog);
/** The message of the LabError a file gets. */
function refusal(text: string): string {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

const MINIMAL = 'name: t\nmachines:\n  - { name: m1, role: manager }\n';

describe('the templates', () => {
  it('are all valid, with the machines the docs promise', async () => {
    expect(await templateNames()).toEqual(['default', 'ha', 'large', 'single']);
    const count = async (t: string) => {
      const lab = await loadLab(t, { catalog });
      return [lab.machines.filter((m) => m.role === 'manager').length, lab.machines.filter((m) => m.role === 'worker').length];
    };
    expect(await count('default')).toEqual([3, 2]);
    expect(await count('single')).toEqual([1, 2]);
    expect(await count('ha')).toEqual([5, 5]);
    expect(await count('large')).toEqual([3, 17]);
  });

  it('default: its machines, cluster settings and service as the API takes them', async () => {
    const lab = await loadLab(undefined, { catalog });
    expect(lab.source).toBe('labs/default.yaml');
    expect(lab.machines.map((m) => m.name)).toEqual(['manager1', 'manager2', 'manager3', 'worker1', 'worker2']);
    expect(lab.machines[3]).toEqual({ name: 'worker1', role: 'worker', labels: { zone: 'a' }, driver: 'local', isolation: 'process' });
    expect(lab.cluster).toEqual({
      profile: 'lab',
      spec: { Labels: { 'com.swarmlab.profile': 'lab' }, Dispatcher: { HeartbeatPeriod: SECOND / 2 }, Orchestration: { TaskHistoryRetentionLimit: 5 } },
    });
    expect(lab.services[0]!.spec).toEqual({
      Name: 'whoami',
      TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } },
      Mode: { Replicated: { Replicas: 3 } },
      UpdateConfig: { Parallelism: 1, Delay: 2 * SECOND, FailureAction: 'rollback', Order: 'start-first' },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] },
    });
  });

  it('an unknown template or missing file is named, with the templates there are', async () => {
    await expect(loadLab('nope', { catalog })).rejects.toThrow('no lab template or file named "nope": the templates are default, ha, large, single; a lab file\'s path ends in .yaml');
    await expect(loadLab('./missing.yaml', { catalog })).rejects.toThrow('no lab file ./missing.yaml');
  });
});

describe('a lab file', () => {
  it('may give the machines as counts, named manager1.. and worker1..', () => {
    const lab = parse('name: t\nmachines: { managers: 2, workers: 1, isolation: process }\n');
    expect(lab.machines.map((m) => `${m.name}:${m.role}`)).toEqual(['manager1:manager', 'manager2:manager', 'worker1:worker']);
  });

  it('turns every service field into the Engine API spec', () => {
    const lab = parse(`${MINIMAL}cluster: { profile: swarm, certExpiry: 48h }
services:
  - name: pinger
    image: alpine:3.19
    mode: global
    command: sh -c "ping -c 1 localhost; sleep 100"
    env: { GREETING: hello, N: 3 }
    labels: { tier: back }
    constraints: ["node.role == manager"]
    publish: [53/udp, { target: 80, published: 8081, mode: host }]
    update: { parallelism: 2, delay: 1s, failureAction: continue, order: stop-first, monitor: 2s, maxFailureRatio: 0.5 }
    restart: { condition: on-failure, delay: 500ms, maxAttempts: 3, window: 1m }
`);
    expect(lab.cluster).toEqual({ profile: 'swarm', spec: { Labels: { 'com.swarmlab.profile': 'swarm' }, CAConfig: { NodeCertExpiry: 48 * 3600 * SECOND } } });
    expect(lab.services[0]!.spec).toEqual({
      Name: 'pinger',
      Labels: { tier: 'back' },
      TaskTemplate: {
        ContainerSpec: { Image: 'alpine:3.19', Args: ['sh', '-c', 'ping -c 1 localhost; sleep 100'], Env: ['GREETING=hello', 'N=3'] },
        Placement: { Constraints: ['node.role == manager'] },
        RestartPolicy: { Condition: 'on-failure', Delay: SECOND / 2, MaxAttempts: 3, Window: 60 * SECOND },
      },
      Mode: { Global: {} },
      UpdateConfig: { Parallelism: 2, Delay: SECOND, FailureAction: 'continue', Order: 'stop-first', Monitor: 2 * SECOND, MaxFailureRatio: 0.5 },
      EndpointSpec: {
        Ports: [
          { Protocol: 'udp', TargetPort: 53, PublishMode: 'ingress' },
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8081, PublishMode: 'host' },
        ],
      },
    });
  });

  const bad: [string, string, string][] = [
    ['a YAML syntax error, with its line and column', 'name: t\nmachines: [\n  {name: m1\n', 'labs/t.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['a key given twice', 'name: t\nname: u\n', 'labs/t.yaml:2:1: Map keys must be unique'],
    ['an empty file', '', 'labs/t.yaml: expected a lab: a mapping with name, machines, cluster and services, got an empty file'],
    ['a list instead of a lab', '- a\n', 'labs/t.yaml:1:1: expected a lab: a mapping with name, machines, cluster and services, got a list'],
    ['no name', 'machines: { managers: 1 }\n', 'labs/t.yaml:1:1: name: required: the lab\'s name, such as "name: mylab"'],
    ['a name that cannot name files', 'name: my lab\nmachines: { managers: 1 }\n', 'labs/t.yaml:1:7: name: invalid lab name "my lab": names start with a letter or digit and hold only letters, digits, dots and hyphens'],
    ['no machines', 'name: t\n', 'labs/t.yaml:1:1: machines: required: a list of machines, or a mapping such as {managers: 3, workers: 2}'],
    ['an empty machine list', 'name: t\nmachines: []\n', 'labs/t.yaml:2:11: machines: a lab needs at least one machine'],
    [
      'a wrong role',
      `${MINIMAL}  - { name: m2, role: manager }\n  - { name: m3, role: manager }\n  - { name: w1, role: boss }\n`,
      'labs/t.yaml:6:23: machines[3].role: expected manager or worker, got "boss"',
    ],
    ['a missing role', 'name: t\nmachines:\n  - name: m1\n', 'labs/t.yaml:3:5: machines[0].role: required: manager or worker'],
    ['a misspelt key, with the key it resembles', 'name: t\nmachines:\n  - name: m1\n    rol: manager\n', 'labs/t.yaml:3:5: machines[0].role: required: manager or worker\nlabs/t.yaml:4:5: machines[0]: unknown key "rol" (did you mean "role"?)'],
    ['an unknown top-level key, with the known ones', `${MINIMAL}networks: []\n`, 'labs/t.yaml:4:1: unknown key "networks" (known keys: name, description, machines, cluster, services)'],
    ['a bad machine name', 'name: t\nmachines:\n  - { name: -m1, role: manager }\n', 'labs/t.yaml:3:13: machines[0].name: invalid machine name "-m1": names start with a letter or digit and hold only letters, digits, dots and hyphens'],
    ['an unknown driver', 'name: t\nmachines:\n  - { name: m1, role: manager, driver: virtualbox }\n', 'labs/t.yaml:3:40: machines[0].driver: expected local, got "virtualbox"'],
    ['an unknown isolation', 'name: t\nmachines:\n  - { name: m1, role: manager, isolation: vm }\n', 'labs/t.yaml:3:43: machines[0].isolation: expected process or netns, got "vm"'],
    ['a label that is not a value', 'name: t\nmachines:\n  - { name: m1, role: manager, labels: { zone: [a] } }\n', 'labs/t.yaml:3:48: machines[0].labels.zone: expected a string, got a list'],
    [
      'duplicate machine names',
      'name: t\nmachines:\n  - { name: m1, role: manager }\n  - { name: w1, role: worker }\n  - { name: m1, role: worker }\n',
      'labs/t.yaml:5:13: machines[2].name: duplicate machine name "m1" (machines[0] has it too)',
    ],
    [
      'machines of different isolations',
      'name: t\nmachines:\n  - { name: m1, role: manager }\n  - { name: w1, role: worker, isolation: netns }\n',
      'labs/t.yaml:4:42: machines[1].isolation: every machine of a lab needs the same isolation: machines[0] has process, this one netns (netns machines cannot reach process machines)',
    ],
    ['no manager', 'name: t\nmachines:\n  - { name: w1, role: worker }\n', 'labs/t.yaml:3:3: machines: a lab needs at least one manager (role: manager) to initialize its swarm'],
    ['no manager in counts', 'name: t\nmachines: { managers: 0, workers: 2 }\n', 'labs/t.yaml:2:23: machines.managers: expected a number of managers (1 or more), got 0'],
    ['a misspelt count', 'name: t\nmachines: { managers: 1, workrs: 2 }\n', 'labs/t.yaml:2:26: machines: unknown key "workrs" (did you mean "workers"?)'],
    ['machines as a string', 'name: t\nmachines: five\n', 'labs/t.yaml:2:11: machines: expected a list of machines, or a mapping such as {managers: 3, workers: 2}, got "five"'],
    ['an unknown profile', `${MINIMAL}cluster: { profile: fast }\n`, 'labs/t.yaml:4:21: cluster.profile: expected lab or swarm, got "fast"'],
    ['a duration without a unit', `${MINIMAL}cluster: { heartbeat: 5 }\n`, 'labs/t.yaml:4:23: cluster.heartbeat: expected a duration such as 500ms, 5s or 1h30m, got 5'],
    ['a malformed duration', `${MINIMAL}cluster: { heartbeat: 5x }\n`, 'labs/t.yaml:4:23: cluster.heartbeat: expected a duration such as 500ms, 5s or 1h30m, got "5x"'],
    ['a certificate expiry under an hour', `${MINIMAL}cluster: { certExpiry: 30m }\n`, 'labs/t.yaml:4:24: cluster.certExpiry: "30m" is too short: node certificates last 1h or more'],
    ['a task history of 0', `${MINIMAL}cluster: { taskHistoryLimit: 0 }\n`, 'labs/t.yaml:4:30: cluster.taskHistoryLimit: expected a number of tasks (1 or more), got 0'],
    ['a service without an image', `${MINIMAL}services:\n  - name: web\n`, 'labs/t.yaml:5:5: services[0].image: required: an image from the catalog, such as swarmlab/whoami:1'],
    [
      'an image not in the catalog',
      `${MINIMAL}services:\n  - { name: web, image: "nginx2:1" }\n`,
      'labs/t.yaml:5:25: services[0].image: no image "nginx2:1" in the lab\'s image catalog (it has alpine, busybox, mysql, nginx, redis, swarmlab/crash:latest, swarmlab/web:blue|green|red, swarmlab/whoami:1|2|latest, wordpress)',
    ],
    ['a tag the catalog does not have', `${MINIMAL}services:\n  - { name: web, image: "swarmlab/web:purple" }\n`, 'labs/t.yaml:5:25: services[0].image: no image "swarmlab/web:purple" in the lab\'s image catalog'],
    ['negative replicas', `${MINIMAL}services:\n  - { name: web, image: nginx, replicas: -1 }\n`, 'labs/t.yaml:5:42: services[0].replicas: expected a number of replicas (0 or more), got -1'],
    ['replicas of a global service', `${MINIMAL}services:\n  - { name: web, image: nginx, mode: global, replicas: 2 }\n`, 'labs/t.yaml:5:56: services[0].replicas: a global service runs one task on every node: remove replicas, or mode: global'],
    ['a bad constraint, as the API words it', `${MINIMAL}services:\n  - { name: web, image: nginx, constraints: ["node.role = worker"] }\n`, 'labs/t.yaml:5:46: services[0].constraints[0]: invalid constraint "node.role = worker"'],
    ['a service name the API refuses', `${MINIMAL}services:\n  - { name: "web!", image: nginx }\n`, 'labs/t.yaml:5:13: services[0].name: invalid name'],
    ['duplicate services', `${MINIMAL}services:\n  - { name: web, image: nginx }\n  - { name: web, image: redis }\n`, 'labs/t.yaml:6:13: services[1].name: duplicate service name "web" (services[0] has it too)'],
    ['a bad published port', `${MINIMAL}services:\n  - { name: web, image: nginx, publish: ["80:http"] }\n`, 'labs/t.yaml:5:42: services[0].publish[0]: expected a port such as "8080:80" (published:target) or "53:53/udp", got "80:http"'],
    ['a port out of range', `${MINIMAL}services:\n  - { name: web, image: nginx, publish: [{ target: 70000 }] }\n`, 'labs/t.yaml:5:52: services[0].publish[0].target: expected a port number (1-65535), got 70000'],
    ['an environment entry without =', `${MINIMAL}services:\n  - { name: web, image: nginx, env: [DEBUG] }\n`, 'labs/t.yaml:5:38: services[0].env[0]: expected NAME=value, got "DEBUG"'],
    ['an unterminated quote in a command', `${MINIMAL}services:\n  - { name: web, image: alpine, command: "echo 'hi" }\n`, 'labs/t.yaml:5:42: services[0].command: unterminated quote in command "echo \'hi"'],
    ['an unknown failure action', `${MINIMAL}services:\n  - { name: web, image: nginx, update: { failureAction: retry } }\n`, 'labs/t.yaml:5:57: services[0].update.failureAction: expected pause, continue or rollback, got "retry"'],
    ['a misspelt update key', `${MINIMAL}services:\n  - { name: web, image: nginx, update: { paralelism: 2 } }\n`, 'labs/t.yaml:5:42: services[0].update: unknown key "paralelism" (did you mean "parallelism"?)'],
    ['an unknown restart condition', `${MINIMAL}services:\n  - { name: web, image: nginx, restart: { condition: always } }\n`, 'labs/t.yaml:5:54: services[0].restart.condition: expected none, on-failure or any, got "always"'],
  ];
  it.each(bad)('refuses %s', (_what, text, message) => {
    expect(refusal(text)).toContain(message);
  });

  it('reports every problem of the file, in the order of its lines', () => {
    const message = refusal('name: t\nmachines:\n  - { name: m1, role: boss }\nservices:\n  - { name: web, replicas: x }\n');
    expect(message.split('\n')).toEqual([
      'labs/t.yaml:3:23: machines[0].role: expected manager or worker, got "boss"',
      'labs/t.yaml:5:5: services[0].image: required: an image from the catalog, such as swarmlab/whoami:1',
      'labs/t.yaml:5:28: services[0].replicas: expected a number of replicas (0 or more), got "x"',
    ]);
  });
});

it('shellWords splits a command as a shell would, without expanding it', () => {
  expect(shellWords('ping -c 3 localhost')).toEqual(['ping', '-c', '3', 'localhost']);
  expect(shellWords(`sh -c "echo \\"a b\\"; exit 1" 'x y' z\\ w ''`)).toEqual(['sh', '-c', 'echo "a b"; exit 1', 'x y', 'z w', '']);
  expect(shellWords('echo "open')).toBeUndefined();
});
