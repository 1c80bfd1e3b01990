// A manager: its replicated store, and the leader components it runs while it leads. Components
// start only once the new leader has applied everything committed before its term (a read
// barrier through Raft), so none of them acts on a stale view; they stop when it steps down.

import type { RaftNode } from '../raft/node.ts';
import type { LeaderComponent, ManagerContext } from './component.ts';

export interface ManagerOptions {
  node: RaftNode;
  ctx: ManagerContext;
  /** Makes the components for one term of leadership (fresh instances each time). */
  components: (ctx: ManagerContext) => LeaderComponent[];
}

export class Manager {
  private running: LeaderComponent[] = [];
  private leadingTerm = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: ManagerOptions) {}

  start(): void {
    this.unsubscribe = this.opts.node.onStateChange((s) => {
      if (s.state === 'leader') void this.lead(s.term);
      else this.stepDown();
    });
    if (this.opts.node.isLeader()) void this.lead(this.opts.node.term());
  }

  stop(): void {
    this.unsubscribe?.();
    this.stepDown();
  }

  /** Whether the leader components run here now. */
  get leading(): boolean {
    return this.running.length > 0;
  }

  private async lead(term: number): Promise<void> {
    if (this.leadingTerm === term) return;
    this.leadingTerm = term;
    try {
      await this.opts.node.readBarrier();
    } catch {
      return; // lost leadership, or no quorum: a later election starts over
    }
    const node = this.opts.node;
    if (!node.isLeader() || node.term() !== term || this.running.length > 0) return;
    this.running = this.opts.components(this.opts.ctx);
    for (const c of this.running) c.start();
    this.opts.ctx.logger?.('manager', `leader components started for term ${term}`);
  }

  private stepDown(): void {
    this.leadingTerm = 0;
    const running = this.running;
    this.running = [];
    for (const c of running.reverse()) c.stop();
    if (running.length > 0) this.opts.ctx.logger?.('manager', 'leader components stopped');
  }
}
