// Brings a lab up: its machines made side by side, `swarm init` on the first manager as soon as it
// is up (with the file's cluster settings), every other machine joined as soon as it is up — the
// managers one at a time (Raft adds one member at a time; a second change proposed meanwhile is
// refused and retried only half a second later), the workers all at once — and labelled; then,
// once every node is ready and a leader is elected, the services, and a wait until they run. A
// failure before the nodes are ready removes every machine this `up` made; services that do not
// converge leave the lab up and are reported. Progress goes to a callback, for the CLI and for
// the app's "new lab from template".

import type { NodeObject, NodeSpec, ServiceObject } from '../../core/api/objects.ts';
import type { Machine, Machines } from '../../vm/machines.ts';
import { EngineClient, EngineError } from './engine-client.ts';
import { LabError } from './errors.ts';
import type { LabDefinition, LabMachine } from './lab-file.ts';
import { LabRecords } from './lab-records.ts';

export type UpPhase = 'create' | 'init' | 'join' | 'ready' | 'deploy' | 'converge' | 'cleanup';

export interface UpEvent {
  phase: UpPhase;
  /** The machine the line is about, if one. */
  machine?: string;
  message: string;
  /** A driver's own step ("Waiting for the Docker API..."): for a log, not for a summary of progress. */
  detail?: boolean;
}

export interface UpOptions {
  machines: Machines;
  lab: LabDefinition;
  /** Runs the lab under another name, its machines named NAME-machine (a second copy of a template). */
  name?: string;
  progress?: (e: UpEvent) => void;
  /** How long the nodes may take to be ready once joined (default 60 s). */
  readyTimeoutMs?: number;
  /** How long the services may take to run (default 60 s). */
  convergeTimeoutMs?: number;
  /** How often the cluster is asked whether it is there yet (default 50 ms). */
  pollMs?: number;
}

export interface UpMachine {
  name: string;
  role: LabMachine['role'];
  leader: boolean;
  address: string;
  url: string;
  ssh: string;
}

export interface UpService {
  name: string;
  image: string;
  running: number;
  desired: number;
}

export interface LabSummary {
  name: string;
  source: string;
  machines: UpMachine[];
  leader: string;
  services: UpService[];
  /** Services that did not run within the deadline, each with why (the lab is up all the same). */
  unconverged: string[];
  /** Milliseconds from the start of `up` to the end of each phase (they overlap: a machine joins as soon as it is up). */
  timings: Partial<Record<UpPhase, number>>;
}

const EXISTS_HINT = 'remove them first (swarmlab down, or swarmlab rm NAME), or run the lab under another name (swarmlab up --name NAME ...)';

export async function upLab(o: UpOptions): Promise<LabSummary> {
  const { machines, lab } = o;
  const name = o.name ?? lab.name;
  const prefix = o.name && o.name !== lab.name ? `${o.name}-` : '';
  const plan = lab.machines.map((m) => ({ ...m, name: prefix + m.name }));
  const say = (phase: UpPhase, message: string, machine?: string) => o.progress?.({ phase, message, ...(machine ? { machine } : {}) });
  const pollMs = o.pollMs ?? 50;
  const timings: LabSummary['timings'] = {};
  const t0 = performance.now();
  const reached = (phase: UpPhase) => {
    timings[phase] = Math.round(performance.now() - t0);
  };

  const taken = (await Promise.all(plan.map(async (m) => ((await machines.store.exists(m.name)) ? m.name : undefined)))).filter((n) => n !== undefined);
  if (taken.length > 0) {
    throw new LabError(`cannot bring up lab "${name}": ${taken.length === 1 ? `machine ${taken[0]} already exists` : `machines ${taken.join(', ')} already exist`}: ${EXISTS_HINT}`);
  }
  const records = new LabRecords(machines.store.home);
  const record = { version: 1 as const, name, source: lab.source, created: new Date().toISOString(), state: 'creating' as const, machines: plan.map((m) => m.name) };
  await records.claim(record);

  const made: Machine[] = [];
  say('create', `Creating ${plan.length} machines...`);
  // Each machine goes on to its next step as soon as it is up: booting the others (CPU-bound)
  // overlaps with init and the joins (mostly waiting on the network and on Raft).
  const creations = new Map(
    plan.map((m) => [
      m.name,
      machines
        .create(m.name, { driver: m.driver, isolation: m.isolation }, (line) =>
          o.progress?.({ phase: 'create', machine: m.name, message: line.replace(/^\([^)]*\) /, ''), detail: true }),
        )
        .then((x) => {
          made.push(x);
          say('create', `created (${x.driver.address()})`, m.name);
          return x;
        }),
    ]),
  );
  const allCreated = Promise.allSettled(creations.values()).then((results) => {
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    reached('create');
  });
  // Awaited below (the failure of any one ends the up); never an unhandled rejection meanwhile.
  for (const c of [...creations.values(), allCreated]) c.catch(() => {});
  const machine = (n: string) => creations.get(n)!;
  try {
    const api = (m: Machine) => new EngineClient(m.config.name, m.paths.socket);
    const addr = (m: Machine) => `${m.config.ip}:${m.config.swarmPort}`;

    const [firstPlan, ...otherManagers] = plan.filter((m) => m.role === 'manager');
    const first = await machine(firstPlan!.name);
    const leaderApi = api(first);
    say('init', `Initializing the swarm (${addr(first)}, ${lab.cluster.profile} profile)...`, first.config.name);
    await leaderApi.post('/swarm/init', { ListenAddr: addr(first), AdvertiseAddr: addr(first), Spec: lab.cluster.spec });
    const { JoinTokens: tokens } = await leaderApi.get<{ JoinTokens: { Worker: string; Manager: string } }>('/swarm');
    reached('init');
    await labelNode(first, leaderApi, firstPlan!.labels);

    const join = async (p: (typeof plan)[number]) => {
      const m = await machine(p.name);
      await api(m).post('/swarm/join', { ListenAddr: addr(m), AdvertiseAddr: addr(m), RemoteAddrs: [addr(first)], JoinToken: p.role === 'manager' ? tokens.Manager : tokens.Worker });
      say('join', `joined as ${p.role}`, m.config.name);
      await labelNode(m, leaderApi, p.labels);
    };
    const workers = plan.filter((m) => m.role === 'worker');
    say('join', `Joining ${otherManagers.length} manager${otherManagers.length === 1 ? '' : 's'} and ${workers.length} worker${workers.length === 1 ? '' : 's'}...`);
    await Promise.all([
      (async () => {
        // One at a time: Raft takes one membership change at a time, and a manager whose change is
        // refused meanwhile retries only after half a second.
        for (const m of otherManagers) await join(m);
      })(),
      ...workers.map(join),
      allCreated,
    ]);
    reached('join');

    say('ready', `Waiting for ${plan.length} nodes to be ready...`);
    const leader = await waitReady(leaderApi, plan, o.readyTimeoutMs ?? 60_000, pollMs);
    reached('ready');
    const byName = new Map(made.map((m) => [m.config.name, m]));

    if (lab.services.length > 0) {
      say('deploy', `Deploying ${lab.services.length} service${lab.services.length === 1 ? '' : 's'}...`);
      for (const s of lab.services) {
        await leaderApi.post('/services/create', s.spec);
        say('deploy', `service ${s.name} created (${s.spec.TaskTemplate.ContainerSpec.Image})`);
      }
      reached('deploy');
    }

    await records.save({ ...record, state: 'up' });

    let services: UpService[] = [];
    let unconverged: string[] = [];
    if (lab.services.length > 0) {
      say('converge', `Waiting for ${lab.services.length} service${lab.services.length === 1 ? '' : 's'} to run...`);
      ({ services, unconverged } = await waitServices(leaderApi, lab.services.map((s) => s.name), o.convergeTimeoutMs ?? 60_000, pollMs));
      reached('converge');
    }

    return {
      name,
      source: lab.source,
      machines: plan.map((p) => {
        const m = byName.get(p.name)!;
        const ssh = m.driver.ssh();
        return { name: p.name, role: p.role, leader: p.name === leader, address: m.driver.address(), url: m.driver.url(), ssh: `${ssh.host}:${ssh.port}` };
      }),
      leader,
      services,
      unconverged,
      timings,
    };
  } catch (err) {
    // Machines still on their way are waited for, so that none is left behind.
    await Promise.allSettled(creations.values());
    if (made.length > 0) say('cleanup', `Removing the ${made.length} machine${made.length === 1 ? '' : 's'} this up created...`);
    await Promise.all(made.map((m) => machines.remove(m.config.name, true).catch(() => {})));
    await records.remove(name);
    const why = err instanceof Error ? err.message : String(err);
    throw new LabError(`cannot bring up lab "${name}": ${why}${made.length > 0 ? `\n(the ${made.length} machine${made.length === 1 ? '' : 's'} it had created ${made.length === 1 ? 'was' : 'were'} removed)` : ''}`);
  }
}

/** Sets a machine's node labels; a node's version moves with every status change, so a stale one is retried. */
async function labelNode(m: Machine, leader: EngineClient, labels: Record<string, string>): Promise<void> {
  if (Object.keys(labels).length === 0) return;
  const info = await new EngineClient(m.config.name, m.paths.socket).get<{ Swarm?: { NodeID?: string } }>('/info');
  const id = info.Swarm?.NodeID;
  if (!id) throw new LabError(`(${m.config.name}) has no node ID after joining the swarm`);
  for (let attempt = 1; ; attempt++) {
    const node = await leader.get<NodeObject>(`/nodes/${id}`);
    const spec: NodeSpec = { ...node.Spec, Labels: { ...node.Spec.Labels, ...labels } };
    try {
      await leader.post(`/nodes/${id}/update?version=${node.Version?.Index ?? 0}`, spec);
      return;
    } catch (err) {
      if (!(err instanceof EngineError) || !/out of sequence/i.test(err.message) || attempt >= 10) throw err;
    }
  }
}

/** Until every machine's node is ready, every manager reachable and one of them leads; the leader's name. */
async function waitReady(api: EngineClient, plan: { name: string; role: LabMachine['role'] }[], timeoutMs: number, pollMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let missing: string[] = [];
  let leader: string | undefined;
  for (;;) {
    let nodes: NodeObject[] = [];
    try {
      nodes = await api.get<NodeObject[]>('/nodes', 5_000);
    } catch (err) {
      // A manager just joined can make the leader busy for a moment; the deadline decides.
      if (!(err instanceof EngineError)) throw err;
      missing = [`the node list (${err.message})`];
    }
    if (nodes.length > 0) {
      const byHost = new Map(nodes.map((n) => [n.Description?.Hostname ?? '', n]));
      leader = nodes.find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname;
      missing = plan.flatMap((m) => {
        const n = byHost.get(m.name);
        if (!n) return [`${m.name} (not in the node list)`];
        if (n.Status.State !== 'ready') return [`${m.name} (${n.Status.State})`];
        if (m.role === 'manager' && n.ManagerStatus?.Reachability !== 'reachable') return [`${m.name} (manager ${n.ManagerStatus?.Reachability ?? 'not in Raft'})`];
        return [];
      });
      if (!leader) missing.push('a leader (none elected)');
    }
    if (missing.length === 0 && leader) return leader;
    if (Date.now() > deadline) throw new LabError(`the swarm was not ready within ${timeoutMs / 1000} s: waiting for ${missing.join(', ')}`);
    await sleep(pollMs);
  }
}

interface ApiService extends ServiceObject {
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number };
}

interface ApiTask {
  ServiceID: string;
  DesiredState: string;
  Status: { State: string; Err?: string; Message?: string };
}

/** Until every service runs its desired tasks; what did not, with the tasks' own reasons. */
async function waitServices(api: EngineClient, names: string[], timeoutMs: number, pollMs: number): Promise<{ services: UpService[]; unconverged: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await api.get<ApiService[]>('/services?status=true');
    const mine = names.map((n) => all.find((s) => s.Spec.Name === n)).filter((s): s is ApiService => s !== undefined);
    const services = mine.map((s) => {
      const mode = s.Spec.Mode;
      // A replicated service wants its replicas from the start; a global one's count shows only
      // once its orchestrator has made its tasks, and a count of 0 then means "not yet".
      const replicas = 'Replicated' in mode ? (mode.Replicated.Replicas ?? 1) : undefined;
      return {
        name: s.Spec.Name!,
        image: s.Spec.TaskTemplate.ContainerSpec.Image,
        running: s.ServiceStatus?.RunningTasks ?? 0,
        desired: replicas ?? s.ServiceStatus?.DesiredTasks ?? 0,
        global: replicas === undefined,
      };
    });
    const behind = services.filter((s) => s.running < s.desired || (s.global && s.desired === 0));
    const shown = services.map(({ global: _, ...rest }) => rest);
    if (behind.length === 0 && mine.length === names.length) return { services: shown, unconverged: [] };
    if (Date.now() > deadline) {
      const tasks = await api.get<ApiTask[]>('/tasks').catch(() => [] as ApiTask[]);
      const unconverged = behind.map((s) => {
        const id = mine.find((x) => x.Spec.Name === s.name)?.ID;
        const reasons = [...new Set(tasks.filter((t) => t.ServiceID === id && t.Status.State !== 'running').map((t) => t.Status.Err || `${t.Status.State}: ${t.Status.Message ?? ''}`.trim()))];
        const what = s.global && s.desired === 0 ? 'no task: no node satisfies its constraints?' : `${s.running}/${s.desired} running`;
        return `service ${s.name}: ${what} after ${timeoutMs / 1000} s${reasons.length ? ` (${reasons.slice(0, 3).join('; ')})` : ''}`;
      });
      return { services: shown, unconverged };
    }
    await sleep(pollMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
