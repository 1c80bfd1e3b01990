// Round robin over a service's running tasks, as IPVS's rr scheduler does for a virtual IP, with
// one thing IPVS lacks: a backend that just refused a connection is skipped for a while and the
// connection is tried on the next one, so a task that died is not sent traffic while the map
// catches up.

import type { Clock } from '../clock.ts';
import type { MapTask } from './map.ts';

/** How long a backend that failed is passed over (ms). */
const SUSPECT_MS = 3000;

export class Balancer {
  private readonly next = new Map<string, number>();
  private readonly suspects = new Map<string, number>();

  /** `seed` (the node's ID) staggers where each node starts, so nodes do not all pick the same first task. */
  constructor(
    private readonly clock: Clock,
    private readonly seed = '',
  ) {}

  /** The backends in the order to try them, for one connection to `key` (a service and network). */
  order(key: string, backends: readonly MapTask[]): MapTask[] {
    if (backends.length === 0) return [];
    const start = (this.next.get(key) ?? hash(`${this.seed}/${key}`)) % backends.length;
    this.next.set(key, start + 1);
    const rotated = [...backends.slice(start), ...backends.slice(0, start)];
    const now = this.clock.now();
    const healthy = rotated.filter((t) => (this.suspects.get(t.id) ?? 0) <= now);
    return [...healthy, ...rotated.filter((t) => !healthy.includes(t))];
  }

  /** Marks the backend suspect; true when it was not already (so a caller can say so once). */
  failed(taskId: string): boolean {
    const was = (this.suspects.get(taskId) ?? 0) > this.clock.now();
    this.suspects.set(taskId, this.clock.now() + SUSPECT_MS);
    return !was;
  }

  succeeded(taskId: string): void {
    this.suspects.delete(taskId);
  }
}

/** A small stable hash (FNV-1a). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
