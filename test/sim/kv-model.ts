// The replicated key-value store as a sequential specification, for checkOperations().
// Keys are independent, so the model partitions by key and its state is one key's value.

import type { Model, Operation } from './linearizability.ts';

export type KvInput =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: string }
  /** Sets `value` if the current value is `expected` (undefined: the key is absent). */
  | { op: 'cas'; key: string; expected: string | undefined; value: string }
  /** Appends `value` to the current value (absent counts as ''). */
  | { op: 'append'; key: string; value: string };

/** get: `value` is undefined when the key is absent. ok:false only for a cas that did not match. */
export type KvOutput = { ok: true; value?: string } | { ok: false };

/** One key's value; undefined while the key is absent. */
export type KvState = string | undefined;

export type KvOperation = Operation<KvInput, KvOutput>;

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => undefined,

  step(state, input, output) {
    // Unknown outcome: the operation is deterministic, so apply whatever it would have done.
    switch (input.op) {
      case 'get':
        return [output === undefined || (output.ok && output.value === state), state];
      case 'put':
        // A put cannot fail once it may have taken effect; rejected puts are not recorded.
        return [output === undefined || output.ok, input.value];
      case 'append':
        return [output === undefined || output.ok, (state ?? '') + input.value];
      case 'cas': {
        const matches = state === input.expected;
        const ok = output === undefined || output.ok === matches;
        return [ok, matches ? input.value : state];
      }
    }
  },

  key: (state) => (state === undefined ? '' : `=${state}`),

  partition(history) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of history) {
      const ops = byKey.get(op.input.key);
      if (ops) ops.push(op);
      else byKey.set(op.input.key, [op]);
    }
    return [...byKey.values()];
  },

  readOnly: (input) => input.op === 'get',

  describeOperation(input, output) {
    const q = (v: string | undefined) => (v === undefined ? 'nil' : JSON.stringify(v));
    let call: string;
    switch (input.op) {
      case 'get':
        call = `get(${input.key})`;
        break;
      case 'put':
      case 'append':
        call = `${input.op}(${input.key}, ${q(input.value)})`;
        break;
      case 'cas':
        call = `cas(${input.key}, ${q(input.expected)}, ${q(input.value)})`;
        break;
    }
    let result: string;
    if (output === undefined) result = '?';
    else if (!output.ok) result = 'failed';
    else if (input.op === 'get') result = q(output.value);
    else result = 'ok';
    return `${call} -> ${result}`;
  },

  describeState: (state) => (state === undefined ? 'nil (absent)' : JSON.stringify(state)),
};
