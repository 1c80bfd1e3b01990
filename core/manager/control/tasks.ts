// Control operations on tasks: they are read-only to clients (the orchestrators make them).

import type { TaskObject } from '../../api/objects.ts';
import type { Store } from '../../store/store.ts';
import { ControlError } from './errors.ts';

/** A task by ID, name or unambiguous ID prefix, as Docker resolves them. */
export function resolveTask(store: Store, ref: string): TaskObject {
  return store.view((tx) => {
    const byId = tx.get('tasks', ref);
    if (byId) return byId;
    for (const matches of [tx.find('tasks', (t) => t.Name === ref), tx.find('tasks', (t) => t.ID.startsWith(ref))]) {
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new ControlError('InvalidArgument', `task ${ref} is ambiguous (${matches.length} matches found)`);
    }
    throw new ControlError('NotFound', `task ${ref} not found`);
  });
}
