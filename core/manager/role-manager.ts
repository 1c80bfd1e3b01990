// The role manager makes a node's actual role follow the one its spec asks for. A promotion takes
// effect at once (the node then joins Raft as a new member). A demotion first takes the node out
// of Raft — a leader hands its leadership over before that, and a removal that would lose quorum
// waits — and only then makes the node a worker.

import type { LeaderComponent, ManagerContext } from './component.ts';
import { canRemoveWithoutLosingQuorum, type RaftMembership } from './membership.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

export class RoleManager implements LeaderComponent {
  readonly name = 'role-manager';
  private readonly loop: ReconcileLoop;
  private unwatch: (() => void) | undefined;
  private retry: { cancel(): void } | undefined;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly membership: RaftMembership,
    /** How often to look again at a demotion that has to wait (quorum, transfer). */
    private readonly retryMs = 1_000,
  ) {
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message));
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      if (e.restored || e.changes.some((c) => c.table === 'nodes')) this.loop.trigger();
    });
    this.loop.trigger();
  }

  stop(): void {
    this.unwatch?.();
    this.retry?.cancel();
    this.loop.stop();
  }

  private async pass(): Promise<void> {
    const pending = this.ctx.store.view((tx) => tx.find('nodes', (n) => n.Role !== n.Spec.Role));
    let waiting = false;
    for (const node of pending) {
      if (node.Spec.Role === 'manager') {
        await this.setRole(node.ID, 'manager');
        continue;
      }
      // Demotion.
      if (this.membership.voters().includes(node.ID)) {
        if (node.ID === this.membership.id) {
          const to = this.membership.reachable().find((v) => v !== node.ID);
          if (to) {
            this.ctx.logger?.(this.name, `demoting the leader: transferring leadership to ${to} first`);
            this.membership.transferLeadership(to);
          }
          waiting = true;
          continue;
        }
        if (!canRemoveWithoutLosingQuorum(this.membership, node.ID)) {
          this.ctx.logger?.(this.name, `demotion of ${node.ID} waits: removing it now would lose quorum`);
          waiting = true;
          continue;
        }
        await this.membership.proposeConfChange({ type: 'removeNode', nodeId: node.ID });
      }
      await this.setRole(node.ID, 'worker');
    }
    if (waiting) {
      this.retry?.cancel();
      this.retry = this.ctx.clock.setTimeout(() => this.loop.trigger(), this.retryMs);
    }
  }

  private async setRole(id: string, role: 'manager' | 'worker'): Promise<void> {
    await this.ctx.store.update((tx) => {
      const n = tx.get('nodes', id);
      if (n && n.Role !== role && n.Spec.Role === role) tx.update('nodes', { ...n, Role: role });
    });
  }
}
