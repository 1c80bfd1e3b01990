// Raft's safety properties (Raft paper, Figure 3), checked as the simulation runs:
// - election safety: at most one leader per term;
// - log matching: entries with the same index and term are identical, and so are their prefixes;
// - leader completeness: a leader's log holds every entry committed before its term;
// - state machine safety: every node applies the same entry at a given index.

import type { Raft } from '../../core/raft/raft.ts';
import type { Entry, NodeId } from '../../core/raft/types.ts';

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

const decoder = new TextDecoder();
const content = (e: Entry) => `${e.type}:${decoder.decode(e.data)}`;

export class RaftInvariants {
  private leaderOfTerm = new Map<number, NodeId>();
  /** (index, term) -> the entry's content and the term of the entry before it. */
  private seen = new Map<string, { content: string; prevTerm: number }>();
  private committed = new Map<number, { term: number; content: string }>();
  private appliedAt = new Map<number, string>();
  private commitSeen = new Map<NodeId, number>();
  private wasLeader = new Map<NodeId, number>();
  checks = 0;

  /** Watches a node's log: every append is checked against everything ever appended anywhere. */
  watchLog(id: NodeId, raft: Raft): void {
    const log = raft.log;
    const append = log.append.bind(log);
    log.append = (ents: Entry[]) => {
      if (ents.length > 0) this.checkAppend(id, ents, log.term(ents[0]!.index - 1));
      return append(ents);
    };
    this.commitSeen.set(id, log.snapshotIndex);
    this.wasLeader.delete(id);
  }

  private checkAppend(id: NodeId, ents: Entry[], prevTerm: number | undefined): void {
    let prev = prevTerm;
    for (const e of ents) {
      const key = `${e.index}/${e.term}`;
      const c = content(e);
      const known = this.seen.get(key);
      if (known) {
        if (known.content !== c) {
          throw new InvariantViolation(
            `log matching: ${id} appends entry ${e.index} of term ${e.term} with content ${c.slice(0, 80)}, but another log has ${known.content.slice(0, 80)}`,
          );
        }
        if (prev !== undefined && known.prevTerm !== prev) {
          throw new InvariantViolation(
            `log matching: ${id} has entry ${e.index - 1} of term ${prev} before entry ${e.index}/${e.term}; another log has term ${known.prevTerm} there`,
          );
        }
      } else if (prev !== undefined) {
        this.seen.set(key, { content: c, prevTerm: prev });
      }
      prev = e.term;
    }
  }

  /** Checks election safety, commitment and leader completeness after an event. */
  afterEvent(nodes: Iterable<[NodeId, Raft]>): void {
    this.checks++;
    for (const [id, r] of nodes) {
      if (r.state === 'leader') {
        const other = this.leaderOfTerm.get(r.term);
        if (other !== undefined && other !== id) {
          throw new InvariantViolation(`election safety: ${other} and ${id} are both leaders of term ${r.term}`);
        }
        this.leaderOfTerm.set(r.term, id);
        if (this.wasLeader.get(id) !== r.term) {
          this.wasLeader.set(id, r.term);
          this.checkLeaderCompleteness(id, r);
        }
      }
      this.recordCommits(id, r);
    }
  }

  private recordCommits(id: NodeId, r: Raft): void {
    const log = r.log;
    const from = (this.commitSeen.get(id) ?? 0) + 1;
    for (let i = Math.max(from, log.firstIndex()); i <= log.committed; i++) {
      const t = log.term(i);
      const e = log.slice(i, Infinity, i + 1)?.[0];
      if (t === undefined || !e) continue;
      const c = content(e);
      const known = this.committed.get(i);
      if (known && (known.term !== t || known.content !== c)) {
        throw new InvariantViolation(
          `state machine safety: ${id} committed entry ${i} of term ${t}, but entry ${i} of term ${known.term} was committed before`,
        );
      }
      if (!known) this.committed.set(i, { term: t, content: c });
    }
    this.commitSeen.set(id, log.committed);
  }

  private checkLeaderCompleteness(id: NodeId, r: Raft): void {
    const log = r.log;
    for (const [i, c] of this.committed) {
      if (i <= log.snapshotIndex) continue;
      const t = log.term(i);
      if (t !== c.term) {
        throw new InvariantViolation(
          `leader completeness: ${id} became leader of term ${r.term} without committed entry ${i} (term ${c.term}); its log has ${t === undefined ? 'nothing' : `term ${t}`} there`,
        );
      }
    }
  }

  /** Every node must apply the same entry at the same index. */
  onApply(id: NodeId, e: Entry): void {
    const c = content(e);
    const known = this.appliedAt.get(e.index);
    if (known === undefined) this.appliedAt.set(e.index, c);
    else if (known !== c) {
      throw new InvariantViolation(
        `state machine safety: ${id} applied ${c.slice(0, 80)} at ${e.index}, another node applied ${known.slice(0, 80)}`,
      );
    }
  }

  stats(): { terms: number; committed: number } {
    return { terms: this.leaderOfTerm.size, committed: this.committed.size };
  }
}
