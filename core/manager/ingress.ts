// The leader makes sure the swarm has its ingress network: SwarmKit creates it with the swarm, and
// a swarm restored from state written before networks existed has none. It checks when it starts
// leading and when the cluster object appears (swarm init writes it after the first leader is up).
// A user who removes the ingress network (to make another with `--ingress`) keeps it removed until
// the next change of leader.

import type { LeaderComponent, ManagerContext } from './component.ts';
import { ensureIngress } from './control/networks.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

export class IngressBootstrap implements LeaderComponent {
  readonly name = 'ingress';
  private readonly loop: ReconcileLoop;
  private unwatch: (() => void) | undefined;

  constructor(private readonly ctx: ManagerContext) {
    this.loop = new ReconcileLoop(ctx.clock, () => this.pass(), (err) => ctx.logger?.(this.name, err.message), 0);
  }

  start(): void {
    this.unwatch = this.ctx.store.watch((e) => {
      if (e.restored || e.changes.some((c) => c.table === 'clusters' && c.type === 'create')) this.loop.trigger();
    });
    this.loop.trigger();
  }

  stop(): void {
    this.unwatch?.();
    this.loop.stop();
  }

  private async pass(): Promise<void> {
    if (await ensureIngress(this.ctx.store, this.ctx.random)) this.ctx.logger?.(this.name, 'created the ingress network');
  }
}
