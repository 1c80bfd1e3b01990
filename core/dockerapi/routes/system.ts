// /_ping, /version, /info and /events.

import os from 'node:os';
import type { NodeObject } from '../../api/objects.ts';
import { MAX_API_VERSION, MIN_API_VERSION } from '../api-version.ts';
import type { EngineInfo } from '../backend.ts';
import { sendJson, type RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { validateEventFilters } from '../events.ts';
import { parseFilters } from '../filters.ts';
import { clusterInfo } from '../views.ts';

/** The Swarm header of /_ping: the state, and for an active node its role (what the CLI reads). */
async function swarmHeader(ctx: RequestContext): Promise<string> {
  const { Swarm } = await ctx.backend.info();
  if (Swarm.LocalNodeState !== 'active') return Swarm.LocalNodeState;
  return `active/${Swarm.ControlAvailable ? 'manager' : 'worker'}`;
}

export async function ping(ctx: RequestContext): Promise<void> {
  const headers = {
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    Swarm: await swarmHeader(ctx),
    'Content-Type': 'text/plain; charset=utf-8',
  };
  if (ctx.req.method === 'HEAD') {
    ctx.res.writeHead(200, { ...headers, 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(200, { ...headers, 'Content-Length': 2 });
  ctx.res.end('OK');
}

export async function version(ctx: RequestContext): Promise<void> {
  const v = ctx.backend.version();
  const details = {
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: v.GitCommit ?? '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: v.BuildTime ?? '',
    Experimental: 'false',
  };
  sendJson(ctx, 200, {
    Platform: { Name: 'swarmlab' },
    Components: [{ Name: 'Engine', Version: v.Version, Details: details }],
    Version: v.Version,
    ...details,
    Experimental: undefined,
  });
}

/** Node's architecture names in Go's words, which the docker CLI prints. */
function goArch(): string {
  const arch = os.arch();
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

/** Docker's warning for the one manager count that looks redundant and is not. */
const TWO_MANAGERS_WARNING = `WARNING: Running Swarm in a two-manager configuration. This configuration provides
         no fault tolerance, and poses a high risk to lose control over the cluster.
         Refer to https://docs.docker.com/engine/swarm/admin_guide/ to configure the
         Swarm for fault-tolerance.`;

async function swarmSection(ctx: RequestContext, info: EngineInfo): Promise<{ swarm: Record<string, unknown>; warnings: string[] }> {
  const swarm: Record<string, unknown> = { ...info.Swarm, RemoteManagers: info.Swarm.RemoteManagers.length ? info.Swarm.RemoteManagers : null, Nodes: 0, Managers: 0 };
  const warnings: string[] = [];
  const control = info.Swarm.ControlAvailable ? ctx.backend.control() : undefined;
  if (!control) return { swarm, warnings };
  // The CLI reads the cluster's spec whenever ControlAvailable is true: never leave it out.
  swarm.Cluster = { ID: '', Version: { Index: 0 }, Spec: {} };
  try {
    swarm.Cluster = clusterInfo(await control.getCluster());
    const nodes: NodeObject[] = await control.listNodes();
    swarm.Nodes = nodes.length;
    swarm.Managers = nodes.filter((n) => n.ManagerStatus).length;
    if (swarm.Managers === 2) warnings.push(TWO_MANAGERS_WARNING);
  } catch (err) {
    swarm.Error = (err as Error).message;
  }
  return { swarm, warnings };
}

export async function info(ctx: RequestContext): Promise<void> {
  const i = await ctx.backend.info();
  const { swarm, warnings } = await swarmSection(ctx, i);
  sendJson(ctx, 200, {
    ID: i.ID,
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: 0,
    Driver: 'swarmlab',
    DriverStatus: [],
    Plugins: { Volume: [], Network: ['overlay'], Authorization: null, Log: [] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'none',
    CgroupVersion: '2',
    NEventsListener: 0,
    KernelVersion: i.KernelVersion ?? os.release(),
    OperatingSystem: i.OperatingSystem ?? 'swarmlab',
    OSVersion: '',
    OSType: 'linux',
    Architecture: i.Architecture ?? os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: null,
    NCPU: i.NCPU ?? os.availableParallelism(),
    MemTotal: i.MemTotal ?? os.totalmem(),
    GenericResources: null,
    DockerRootDir: i.DockerRootDir ?? '',
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: i.Name,
    Labels: i.Labels ?? [],
    ExperimentalBuild: false,
    ServerVersion: i.ServerVersion,
    Runtimes: {},
    DefaultRuntime: 'swarmlab',
    Swarm: swarm,
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: [],
    Warnings: warnings,
  });
}

/** Docker's timestamps for since/until: Unix seconds with an optional fraction (what the CLI sends), or RFC 3339. */
function timeParam(ctx: RequestContext, name: string): Date | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return undefined;
  if (/^-?\d+(\.\d{1,9})?$/.test(raw)) return new Date(Number(raw) * 1000);
  const ms = Date.parse(raw);
  if (Number.isFinite(ms)) return new Date(ms);
  throw ApiError.badRequest(`invalid value for ${name}: ${JSON.stringify(raw)} (expected Unix seconds such as 1700000000.5, or an RFC 3339 time)`);
}

export async function events(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  validateEventFilters(filters);
  const since = timeParam(ctx, 'since');
  const until = timeParam(ctx, 'until');
  if (since && until && until < since) throw ApiError.badRequest('`since` time must be before `until`');
  const stream = ctx.backend.events({ since, until, filters }, ctx.signal);
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  for await (const e of stream) {
    if (ctx.signal.aborted) break;
    ctx.res.write(`${JSON.stringify(e)}\n`);
  }
  ctx.res.end();
}

