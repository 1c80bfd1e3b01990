// The store's tables and the one deterministic function that changes them. Every manager applies
// the same committed actions in log order and so holds the same state.

import { TABLE_NAMES, type ObjectMeta, type TableName, type Tables } from '../api/objects.ts';
import { ExistsError, NotFoundError, SequenceError, type StoreError } from './errors.ts';

export type Action =
  | { type: 'create'; table: TableName; object: ObjectMeta }
  | { type: 'update'; table: TableName; object: ObjectMeta }
  | { type: 'delete'; table: TableName; id: string; version?: number };

type ChangeOf<T extends TableName> =
  | { type: 'create'; table: T; object: Tables[T] }
  | { type: 'update'; table: T; object: Tables[T]; old: Tables[T] }
  | { type: 'delete'; table: T; object: Tables[T] };

/** One object's change; narrowing on `table` types the object. */
export type Change = { [T in TableName]: ChangeOf<T> }[TableName];

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export function actionId(a: Action): string {
  return a.type === 'delete' ? a.id : a.object.ID;
}

/**
 * Whether an action may apply to `cur` (the object as it stands, undefined if absent).
 * `touchedInTx`: an earlier action of the same transaction already changed it, so its version is
 * the transaction's own and is not compared.
 */
export function checkAction(a: Action, cur: ObjectMeta | undefined, touchedInTx: boolean): StoreError | undefined {
  const id = actionId(a);
  if (a.type === 'create') return cur ? new ExistsError(a.table, id) : undefined;
  if (!cur) return new NotFoundError(a.table, id);
  const expected = a.type === 'delete' ? a.version : a.object.Version.Index;
  if (!touchedInTx && expected !== undefined && cur.Version.Index !== expected) {
    return new SequenceError(a.table, id, expected, cur.Version.Index);
  }
  return undefined;
}

export class StoreState {
  readonly tables = new Map<TableName, Map<string, ObjectMeta>>();

  constructor() {
    for (const t of TABLE_NAMES) this.tables.set(t, new Map());
  }

  table<T extends TableName>(t: T): Map<string, Tables[T]> {
    const m = this.tables.get(t);
    if (!m) throw new Error(`store: unknown table ${String(t)}`);
    return m as Map<string, Tables[T]>;
  }

  /**
   * Applies all actions of one transaction at `index`, or none of them. Returns the changes, or
   * the reason the whole transaction was refused.
   */
  apply(actions: Action[], index: number, at: string): { changes: Change[] } | { error: StoreError } {
    // Check against the state as the transaction would leave it, so two actions of the same
    // transaction on one object are judged in order.
    const staged = new Map<string, ObjectMeta | null>();
    const lookup = (t: TableName, id: string) => {
      const k = `${t}/${id}`;
      return staged.has(k) ? (staged.get(k) ?? undefined) : this.tables.get(t)!.get(id);
    };
    for (const a of actions) {
      const id = actionId(a);
      const key = `${a.table}/${id}`;
      const error = checkAction(a, lookup(a.table, id), staged.has(key));
      if (error) return { error };
      staged.set(key, a.type === 'delete' ? null : a.object);
    }
    const changes: Change[] = [];
    for (const a of actions) {
      const table = this.tables.get(a.table)!;
      if (a.type === 'delete') {
        const old = table.get(a.id);
        if (!old) continue;
        table.delete(a.id);
        changes.push({ type: 'delete', table: a.table, object: old } as Change);
        continue;
      }
      const old = table.get(a.object.ID);
      const obj = deepFreeze({
        ...a.object,
        Version: { Index: index },
        CreatedAt: old?.CreatedAt || a.object.CreatedAt || at,
        UpdatedAt: at,
      });
      table.set(obj.ID, obj);
      changes.push((old ? { type: 'update', table: a.table, object: obj, old } : { type: 'create', table: a.table, object: obj }) as Change);
    }
    return { changes };
  }

  serialize(): Uint8Array {
    const tables: Record<string, ObjectMeta[]> = {};
    for (const [name, m] of this.tables) tables[name] = [...m.values()];
    return new TextEncoder().encode(JSON.stringify({ version: 1, tables }));
  }

  restore(data: Uint8Array): void {
    let parsed: { version?: number; tables?: Record<string, ObjectMeta[]> };
    try {
      parsed = JSON.parse(new TextDecoder().decode(data));
    } catch (err) {
      throw new Error(`store: snapshot is not valid JSON (${(err as Error).message})`);
    }
    if (parsed.version !== 1 || typeof parsed.tables !== 'object' || parsed.tables === null) {
      throw new Error(`store: unsupported snapshot format (version ${String(parsed.version)})`);
    }
    for (const t of TABLE_NAMES) {
      const m = new Map<string, ObjectMeta>();
      for (const o of parsed.tables[t] ?? []) m.set(o.ID, deepFreeze(o));
      this.tables.set(t, m);
    }
  }
}
