// The control API on any manager, as SwarmKit's raft proxy serves it: the leader answers from its
// own store; another manager forwards the call to the leader over the cluster port and hands back
// its answer or its ControlError unchanged. Reads go to the leader too, so every manager shows
// the same, current state (and Raft's view of who is reachable is the leader's).

import type { ControlApi } from '../manager/control/api.ts';
import { ControlError, type ControlCode } from '../manager/control/errors.ts';
import { toControlError } from '../manager/control/control-error.ts';
import { RpcError } from '../rpc/errors.ts';
import type { RpcServer } from '../rpc/server.ts';
import type { Clock } from '../clock.ts';
import type { Dialer } from './dialer.ts';
import type { ManagerRole } from './manager-role.ts';

const OPS = [
  'listNodes',
  'getNode',
  'updateNode',
  'removeNode',
  'listServices',
  'getService',
  'createService',
  'updateService',
  'removeService',
  'listTasks',
  'getTask',
  'getCluster',
  'updateCluster',
  'listNetworks',
  'getNetwork',
  'createNetwork',
  'removeNetwork',
  'listSecrets',
  'getSecret',
  'createSecret',
  'updateSecret',
  'removeSecret',
  'listConfigs',
  'getConfig',
  'createConfig',
  'updateConfig',
  'removeConfig',
] as const satisfies readonly (keyof ControlApi)[];
type Op = (typeof OPS)[number];

/** Reads are safe to ask the new leader again; a write may or may not have been applied. */
const READS = new Set<Op>([
  'listNodes',
  'getNode',
  'listServices',
  'getService',
  'listTasks',
  'getTask',
  'getCluster',
  'listNetworks',
  'getNetwork',
  'listSecrets',
  'getSecret',
  'listConfigs',
  'getConfig',
]);

/** How often a forwarded call checks that the leader it went to still leads. */
const LEADER_CHECK_MS = 100;

const CODES = new Set<string>(['InvalidArgument', 'NotFound', 'AlreadyExists', 'FailedPrecondition', 'Unavailable', 'Aborted', 'Internal']);

const NO_LEADER =
  'The swarm does not have a leader. It\'s possible that too few managers are online. Make sure more than half of the managers are online.';

function fromRpc(err: unknown): ControlError {
  if (err instanceof RpcError) {
    if (CODES.has(err.code)) return new ControlError(err.code as ControlCode, err.message);
    if (err.code === 'unavailable' || err.code === 'deadline-exceeded') return new ControlError('Unavailable', `the leader could not be reached: ${err.message}`);
  }
  return toControlError(err);
}

export interface ControlProxyOptions {
  manager: ManagerRole;
  /** The control API over this manager's own store (used while it leads). */
  local: ControlApi;
  dialer: Dialer;
  clock: Clock;
}

export function controlProxy(o: ControlProxyOptions): ControlApi {
  const call = async (op: Op, args: unknown[]): Promise<unknown> => {
    if (o.manager.node.isLeader()) return (o.local[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    const leader = o.manager.leaderPeer();
    if (!leader) throw new ControlError('Unavailable', NO_LEADER);
    // A leader cut off from the others cannot answer; once another is elected, waiting out the
    // call's timeout helps no one.
    const changed = leaderChange(leader.nodeId);
    try {
      const outcome = await Promise.race([o.dialer.shared(leader.addr).call('control.call', { op, args }).then((v) => ({ v })), changed.promise]);
      if (outcome === 'changed') {
        if (READS.has(op)) return await call(op, args);
        throw new ControlError('Unavailable', `the leader changed while the request was in flight, so it may or may not have been applied: check, then retry`);
      }
      return outcome.v;
    } catch (err) {
      throw err instanceof ControlError ? err : fromRpc(err);
    } finally {
      changed.cancel();
    }
  };
  const leaderChange = (from: string): { promise: Promise<'changed'>; cancel(): void } => {
    let timer: { cancel(): void } | undefined;
    const promise = new Promise<'changed'>((resolve) => {
      timer = o.clock.setInterval(() => {
        const now = o.manager.leaderPeer()?.nodeId;
        if (now !== undefined && now !== from) resolve('changed');
      }, LEADER_CHECK_MS);
    });
    return { promise, cancel: () => timer?.cancel() };
  };
  const api = {} as Record<Op, (...args: unknown[]) => Promise<unknown>>;
  for (const op of OPS) api[op] = (...args: unknown[]) => call(op, args);
  return api as unknown as ControlApi;
}

/** Serves forwarded control calls to other managers, on the leader. */
export function serveControl(server: RpcServer, local: () => ControlApi | undefined, isLeader: () => boolean): void {
  server.call('control.call', 'manager', async (p) => {
    const req = p as { op?: unknown; args?: unknown };
    const api = local();
    if (!api) throw new RpcError('Unavailable', 'this node is not a swarm manager');
    if (!isLeader()) throw new RpcError('Unavailable', NO_LEADER);
    if (typeof req?.op !== 'string' || !(OPS as readonly string[]).includes(req.op) || !Array.isArray(req.args)) {
      throw new RpcError('InvalidArgument', `unknown control operation ${String(req?.op)}`);
    }
    try {
      return await (api[req.op as Op] as (...a: unknown[]) => Promise<unknown>)(...req.args);
    } catch (err) {
      const c = toControlError(err);
      throw new RpcError(c.code, c.message);
    }
  });
}
