// Runs the filters that apply to a task over nodes. A node is refused by the first filter that
// fails; the pipeline counts refusals per filter so it can explain, as Docker does, why a task
// found no node: "no suitable node (2 nodes not available for new tasks; insufficient memory on
// 1 node)", the most frequent reason first.

import type { TaskObject } from '../../api/objects.ts';
import type { Filter } from './filters.ts';
import type { NodeInfo } from './node-info.ts';

interface Entry {
  filter: Filter;
  failures: number;
}

export class Pipeline {
  private readonly entries: Entry[];
  /** The entries whose filter applies to the current task, in order. */
  private active: Entry[] = [];

  constructor(filters: readonly Filter[]) {
    this.entries = filters.map((filter) => ({ filter, failures: 0 }));
  }

  /** Prepares every filter for this task and clears the counts. */
  setTask(task: TaskObject): void {
    this.active = [];
    for (const e of this.entries) {
      e.failures = 0;
      if (e.filter.setTask(task)) this.active.push(e);
    }
  }

  /** Whether the node passes every filter; a refusal is counted against the first that fails. */
  process(node: NodeInfo): boolean {
    for (const e of this.active) {
      if (!e.filter.check(node)) {
        e.failures++;
        e.filter.noteFailure?.(node);
        return false;
      }
    }
    return true;
  }

  /** Whether the node passes every filter, without counting. */
  check(node: NodeInfo): boolean {
    for (const e of this.active) if (!e.filter.check(node)) return false;
    return true;
  }

  /** Refusal counts per filter name (filters that refused nothing are left out). */
  failures(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries) if (e.failures > 0) out[e.filter.name] = e.failures;
    return out;
  }

  /** The reasons for the refusals counted since setTask, most frequent first; '' when none. */
  explain(): string {
    return this.entries
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.failures > 0)
      .sort((a, b) => b.e.failures - a.e.failures || a.i - b.i)
      .map(({ e }) => e.filter.explain(e.failures))
      .join('; ');
  }
}

/** The task's Status.Err when it cannot be placed: SwarmKit's "no suitable node (...)". */
export function noSuitableNode(explanation: string): string {
  return explanation ? `no suitable node (${explanation})` : 'no suitable node';
}
