import type { NodeId } from './types.ts';

interface ReadRequest {
  /** The commit index when the read arrived: the read may be served once this is applied. */
  index: number;
  /** Who asked: this node, or a follower that forwarded the read. */
  from: NodeId;
  acks: Set<NodeId>;
}

/**
 * Pending ReadIndex requests on the leader. A read is safe once a quorum has acknowledged a
 * heartbeat sent after it arrived: then no other leader can have committed anything newer.
 */
export class ReadOnlyQueue {
  private pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  add(ctx: string, index: number, from: NodeId): void {
    if (this.pending.has(ctx)) return;
    this.pending.set(ctx, { index, from, acks: new Set() });
    this.queue.push(ctx);
  }

  /** Records an acknowledgement; returns who has acknowledged ctx so far. */
  ack(ctx: string, from: NodeId): Set<NodeId> | undefined {
    const req = this.pending.get(ctx);
    if (!req) return undefined;
    req.acks.add(from);
    return req.acks;
  }

  /**
   * Releases ctx and every request queued before it: a quorum acknowledging a later heartbeat
   * confirms the leadership for the earlier reads too.
   */
  release(ctx: string): { ctx: string; index: number; from: NodeId }[] {
    const pos = this.queue.indexOf(ctx);
    if (pos < 0) return [];
    const out = this.queue.splice(0, pos + 1).map((c) => {
      const req = this.pending.get(c)!;
      this.pending.delete(c);
      return { ctx: c, index: req.index, from: req.from };
    });
    return out;
  }

  lastPending(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
