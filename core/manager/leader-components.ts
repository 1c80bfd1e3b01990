// The components a leader runs, in SwarmKit's set, made fresh for each term of leadership.

import { Allocator } from './allocator.ts';
import type { LeaderComponent, ManagerContext } from './component.ts';
import { ConstraintEnforcer } from './constraint-enforcer.ts';
import type { RaftMembership } from './membership.ts';
import { IngressBootstrap } from './ingress.ts';
import { GlobalOrchestrator } from './orchestrator/global.ts';
import { ReplicatedOrchestrator } from './orchestrator/replicated.ts';
import { RestartSupervisor } from './orchestrator/restart.ts';
import { UpdateSupervisor } from './orchestrator/update.ts';
import { RoleManager } from './role-manager.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { TaskReaper } from './task-reaper.ts';

export function leaderComponents(ctx: ManagerContext, membership: RaftMembership, extra: LeaderComponent[] = []): LeaderComponent[] {
  const restarts = new RestartSupervisor(ctx);
  const updates = new UpdateSupervisor(ctx);
  return [
    new IngressBootstrap(ctx),
    restarts,
    updates,
    new Allocator(ctx),
    new Scheduler(ctx),
    new ReplicatedOrchestrator(ctx, restarts, updates),
    new GlobalOrchestrator(ctx, restarts, updates),
    new ConstraintEnforcer(ctx),
    new TaskReaper(ctx),
    new RoleManager(ctx, membership),
    ...extra,
  ];
}
