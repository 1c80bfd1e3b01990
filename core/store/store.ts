// The cluster store: tables of objects changed only by transactions that commit through Raft and
// apply in log order on every manager. Transactions are optimistic: they are checked when written
// (for a quick, clear error) and checked again when applied (where the decision is deterministic
// and the same on every manager).

import { TABLE_NAMES, type ObjectMeta, type TableName, type Tables } from '../api/objects.ts';
import type { Clock } from '../clock.ts';
import type { Random } from '../random.ts';
import type { Entry } from '../raft/types.ts';
import type { StateMachine } from '../raft/node.ts';
import { StoreError } from './errors.ts';
import { StoreState, checkAction, type Action, type Change } from './state.ts';

/** How transactions reach the log: a RaftNode, or LocalProposer without replication. */
export interface Proposer {
  propose(data: Uint8Array): Promise<number>;
  /** Resolves when the local state reflects everything committed before the call. */
  readBarrier(): Promise<void>;
}

export interface ReadTx {
  get<T extends TableName>(table: T, id: string): Tables[T] | undefined;
  find<T extends TableName>(table: T, pred?: (o: Tables[T]) => boolean): Tables[T][];
  /** By Spec.Name, as Docker resolves names. */
  byName<T extends TableName>(table: T, name: string): Tables[T] | undefined;
}

type NewObject<T extends TableName> = Omit<Tables[T], 'Version' | 'CreatedAt' | 'UpdatedAt'> &
  Partial<Pick<ObjectMeta, 'Version' | 'CreatedAt' | 'UpdatedAt'>>;

export interface Tx extends ReadTx {
  create<T extends TableName>(table: T, object: NewObject<T>): void;
  /** `object.Version` must be the version that was read: a concurrent change fails the transaction. */
  update<T extends TableName>(table: T, object: Tables[T]): void;
  delete(table: TableName, id: string): void;
}

export interface StoreEvent {
  /** The Raft index of the transaction. */
  index: number;
  changes: Change[];
  /** The whole state was replaced by a snapshot: watchers must re-read. */
  restored?: boolean;
}

interface Envelope {
  tx: string;
  at: string;
  actions: Action[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface StoreOptions {
  clock: Clock;
  random: Random;
}

export class Store implements StateMachine {
  private readonly state = new StoreState();
  private proposer: Proposer | undefined;
  private readonly nonce: string;
  private seq = 0;
  /** Outcomes of this store's own transactions, recorded as they apply. */
  private waiting = new Map<string, { error?: StoreError }>();
  private watchers = new Set<(e: StoreEvent) => void>();
  private lastIndex = 0;

  constructor(private readonly opts: StoreOptions) {
    this.nonce = opts.random.int(0x7fffffff).toString(36);
  }

  setProposer(p: Proposer): void {
    this.proposer = p;
  }

  /** The index of the last applied transaction. */
  get index(): number {
    return this.lastIndex;
  }

  // ---- reads --------------------------------------------------------------------------------------

  /** Reads the local state: may be stale on a follower or a deposed leader. */
  view<R>(fn: (tx: ReadTx) => R): R {
    return fn(this.reader(() => undefined));
  }

  /** A linearizable read: confirms with a quorum that nothing newer was committed elsewhere. */
  async consistentView<R>(fn: (tx: ReadTx) => R): Promise<R> {
    if (!this.proposer) throw new Error('store: no proposer attached');
    await this.proposer.readBarrier();
    return this.view(fn);
  }

  // ---- writes -------------------------------------------------------------------------------------

  /**
   * Runs fn against the current state and commits what it wrote as one transaction. Resolves with
   * fn's result once applied here; rejects if fn throws (nothing is proposed), if a concurrent
   * transaction changed what it read, or with the proposer's error (not the leader, no quorum).
   */
  async update<R>(fn: (tx: Tx) => R): Promise<R> {
    if (!this.proposer) throw new Error('store: no proposer attached');
    const actions: Action[] = [];
    const staged = new Map<string, ObjectMeta | null>();
    const reader = this.reader((t, id) => staged.get(`${t}/${id}`), staged);
    const stage = (a: Action, id: string) => {
      const key = `${a.table}/${id}`;
      const cur = staged.has(key) ? (staged.get(key) ?? undefined) : this.state.tables.get(a.table)!.get(id);
      const err = checkAction(a, cur, staged.has(key));
      if (err) throw err;
      actions.push(a);
      staged.set(key, a.type === 'delete' ? null : a.object);
    };
    const tx: Tx = {
      ...reader,
      create: (table, object) => {
        const o = { Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', ...object } as ObjectMeta;
        if (!o.ID) throw new StoreError(`cannot create in ${table}: the object has no ID`);
        stage({ type: 'create', table, object: o }, o.ID);
      },
      update: (table, object) => stage({ type: 'update', table, object }, object.ID),
      delete: (table, id) => {
        const cur = reader.get(table, id);
        stage({ type: 'delete', table, id, version: cur?.Version.Index }, id);
      },
    };
    const result = fn(tx);
    if (actions.length === 0) return result;
    const id = `${this.nonce}.${++this.seq}`;
    const env: Envelope = { tx: id, at: new Date(this.opts.clock.now()).toISOString(), actions };
    this.waiting.set(id, {});
    try {
      await this.proposer.propose(encoder.encode(JSON.stringify(env)));
      const outcome = this.waiting.get(id);
      if (outcome?.error) throw outcome.error;
      return result;
    } finally {
      this.waiting.delete(id);
    }
  }

  // ---- watch --------------------------------------------------------------------------------------

  /** Calls fn with the changes of every applied transaction, in log order. */
  watch(fn: (e: StoreEvent) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  // ---- StateMachine -------------------------------------------------------------------------------

  apply(entry: Entry): void {
    let env: Envelope;
    try {
      env = decodeEnvelope(entry.data);
    } catch {
      // Every manager reaches the same verdict on the same bytes, so skipping keeps them equal.
      this.lastIndex = entry.index;
      return;
    }
    const res = this.state.apply(env.actions, entry.index, env.at);
    this.lastIndex = entry.index;
    const mine = this.waiting.get(env.tx);
    if ('error' in res) {
      if (mine) mine.error = res.error;
      return;
    }
    this.emit({ index: entry.index, changes: res.changes });
  }

  snapshot(): Uint8Array {
    return this.state.serialize();
  }

  restore(data: Uint8Array, index: number): void {
    this.state.restore(data);
    this.lastIndex = index;
    this.emit({ index, changes: [], restored: true });
  }

  // ---- internals ----------------------------------------------------------------------------------

  private emit(e: StoreEvent): void {
    for (const fn of this.watchers) fn(e);
  }

  private reader(
    overlay: (t: TableName, id: string) => ObjectMeta | null | undefined,
    staged?: Map<string, ObjectMeta | null>,
  ): ReadTx {
    const state = this.state;
    const get = <T extends TableName>(table: T, id: string): Tables[T] | undefined => {
      const o = overlay(table, id);
      if (o === null) return undefined;
      return (o ?? state.table(table).get(id)) as Tables[T] | undefined;
    };
    const find = <T extends TableName>(table: T, pred?: (o: Tables[T]) => boolean): Tables[T][] => {
      const out: Tables[T][] = [];
      for (const [id, o] of state.table(table)) {
        const cur = staged ? get(table, id) : o;
        if (cur && (!pred || pred(cur))) out.push(cur);
      }
      if (staged) {
        for (const [key, o] of staged) {
          if (!o || !key.startsWith(`${table}/`) || state.table(table).has(o.ID)) continue;
          const obj = o as Tables[T];
          if (!pred || pred(obj)) out.push(obj);
        }
      }
      return out;
    };
    return {
      get,
      find,
      byName: (table, name) =>
        find(table, (o) => (o as { Spec?: { Name?: string } }).Spec?.Name === name)[0],
    };
  }
}

function decodeEnvelope(data: Uint8Array): Envelope {
  const env = JSON.parse(decoder.decode(data)) as Envelope;
  if (typeof env !== 'object' || env === null || typeof env.tx !== 'string' || !Array.isArray(env.actions)) {
    throw new Error('store: malformed transaction entry');
  }
  for (const a of env.actions) {
    if (!TABLE_NAMES.includes(a.table)) throw new Error(`store: unknown table ${String(a.table)}`);
    if (a.type === 'delete' ? typeof a.id !== 'string' : typeof a.object?.ID !== 'string') {
      throw new Error('store: malformed action');
    }
  }
  return env;
}

/**
 * A proposer without replication, for a store that stands alone (tests of the components that
 * live on the store, and single-process tools).
 */
export class LocalProposer implements Proposer {
  private index = 0;
  constructor(private readonly sm: StateMachine) {}

  async propose(data: Uint8Array): Promise<number> {
    // Apply on a later microtask, as a real log would: a watcher that writes while it is being
    // told of a change must not re-enter the store in the middle of that change.
    await Promise.resolve();
    const index = ++this.index;
    this.sm.apply({ term: 1, index, type: 'normal', data });
    return index;
  }

  async readBarrier(): Promise<void> {}
}
