// What a manager's transport serves for the dispatcher protocol: the leader's Dispatcher while it
// runs here, else an answer that sends the agent on — `not-leader` naming the leader when this
// manager knows it, `unavailable` while no leader is known (or this manager was just elected and
// its dispatcher has not started yet).

import {
  DispatcherError,
  type AssignmentsObserver,
  type AssignmentsRequest,
  type DispatcherApi,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type ManagerPeer,
  type SessionRequest,
  type SessionResponse,
  type Subscription,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from '../../dispatcher/protocol.ts';

export interface DispatcherEndpointOptions {
  /** This manager's node ID. */
  self: string;
  /** The current leader as this manager knows it, if any. */
  leader: () => ManagerPeer | undefined;
}

export class DispatcherEndpoint implements DispatcherApi {
  private active: DispatcherApi | undefined;

  constructor(private readonly opts: DispatcherEndpointOptions) {}

  /** Called by the Dispatcher when it starts. */
  serve(d: DispatcherApi): void {
    this.active = d;
  }

  /** Called by the Dispatcher when it stops. */
  unserve(d: DispatcherApi): void {
    if (this.active === d) this.active = undefined;
  }

  get serving(): boolean {
    return this.active !== undefined;
  }

  session(req: SessionRequest): Promise<SessionResponse> {
    return this.target().session(req);
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.target().heartbeat(req);
  }

  updateTaskStatus(req: UpdateTaskStatusRequest): Promise<UpdateTaskStatusResponse> {
    return this.target().updateTaskStatus(req);
  }

  assignments(req: AssignmentsRequest, observer: AssignmentsObserver): Subscription {
    if (this.active) return this.active.assignments(req, observer);
    observer.end(this.elsewhere());
    return { close() {} };
  }

  private target(): DispatcherApi {
    const d = this.active;
    if (d) return d;
    const err = this.elsewhere();
    const fail = () => Promise.reject(err);
    return { session: fail, heartbeat: fail, updateTaskStatus: fail, assignments: () => ({ close() {} }) };
  }

  private elsewhere(): DispatcherError {
    const leader = this.opts.leader();
    if (leader && leader.nodeId !== this.opts.self) {
      return new DispatcherError('not-leader', `this manager is not the leader; the leader is ${leader.nodeId} at ${leader.addr}`, leader);
    }
    if (leader) return new DispatcherError('unavailable', 'the dispatcher is starting on this manager');
    return new DispatcherError('unavailable', 'no leader is known: the managers may have lost quorum');
  }
}
