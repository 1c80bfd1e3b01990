// The dispatcher protocol over the cluster port. The serving side checks that the node named in a
// request is the node whose certificate made it, so one node cannot speak for another.

import { RpcError } from '../rpc/errors.ts';
import type { RpcClient } from '../rpc/client.ts';
import type { CallContext, RpcServer } from '../rpc/server.ts';
import {
  DispatcherError,
  type AssignmentsObserver,
  type AssignmentsRequest,
  type DispatcherApi,
  type DispatcherClient,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type SessionRequest,
  type SessionResponse,
  type Subscription,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
  type WireError,
} from './protocol.ts';

const CODES = new Set(['not-leader', 'unavailable', 'session-invalid', 'node-removed', 'invalid-argument', 'permission-denied']);

/** An RPC failure as the agent understands it. */
export function toDispatcherError(err: unknown): DispatcherError {
  if (err instanceof DispatcherError) return err;
  if (err instanceof RpcError) {
    const d = err.data as Partial<WireError> | undefined;
    if (d && typeof d.code === 'string' && CODES.has(d.code)) return DispatcherError.fromWire(d as WireError);
    if (err.code === 'permission-denied' || err.code === 'unauthenticated') {
      // A removed node's certificate is refused with the removal message.
      return new DispatcherError(/was removed from the swarm/.test(err.message) ? 'node-removed' : 'permission-denied', err.message);
    }
    if (err.code === 'invalid-argument') return new DispatcherError('invalid-argument', err.message);
  }
  return DispatcherError.from(err);
}

export function rpcDispatcherClient(addr: string, rpc: RpcClient, requestTimeoutMs = 10_000): DispatcherClient {
  const call = async <T>(m: string, p: unknown): Promise<T> => {
    try {
      return await rpc.call<T>(m, p, requestTimeoutMs);
    } catch (err) {
      throw toDispatcherError(err);
    }
  };
  return {
    addr,
    session: (req: SessionRequest) => call<SessionResponse>('dispatcher.session', req),
    heartbeat: (req: HeartbeatRequest) => call<HeartbeatResponse>('dispatcher.heartbeat', req),
    updateTaskStatus: (req: UpdateTaskStatusRequest) => call<UpdateTaskStatusResponse>('dispatcher.updateTaskStatus', req),
    assignments(req: AssignmentsRequest, observer: AssignmentsObserver): Subscription {
      return rpc.open('dispatcher.assignments', req, {
        item: (m) => observer.message(m as Parameters<AssignmentsObserver['message']>[0]),
        end: (err) => observer.end(err ? toDispatcherError(err) : undefined),
      });
    },
    close: () => rpc.close(),
  };
}

function sameNode(req: unknown, ctx: CallContext): void {
  const nodeId = (req as { nodeId?: unknown } | null)?.nodeId;
  if (typeof nodeId !== 'string' || nodeId !== ctx.peer?.nodeId) {
    throw new DispatcherError('permission-denied', `node ${ctx.peer?.nodeId} cannot speak for node ${String(nodeId)}`);
  }
}

/** Serves `api` (a manager's DispatcherEndpoint) to every node of the swarm. */
export function serveDispatcher(server: RpcServer, api: DispatcherApi): void {
  server
    .call('dispatcher.session', 'node', (p, ctx) => {
      sameNode(p, ctx);
      const req = p as SessionRequest;
      // The role a new node object gets is the one its certificate carries, not one it claims.
      return api.session({ ...req, role: ctx.peer!.role });
    })
    .call('dispatcher.heartbeat', 'node', (p, ctx) => {
      sameNode(p, ctx);
      return api.heartbeat(p as HeartbeatRequest);
    })
    .call('dispatcher.updateTaskStatus', 'node', (p, ctx) => {
      sameNode(p, ctx);
      return api.updateTaskStatus(p as UpdateTaskStatusRequest);
    })
    .stream('dispatcher.assignments', 'node', (p, ctx, sink) => {
      sameNode(p, ctx);
      return api.assignments(p as AssignmentsRequest, {
        message: (m) => sink.next(m),
        end: (err) => sink.end(err),
      });
    });
}
