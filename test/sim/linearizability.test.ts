import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom } from '../../core/random.ts';
import { checkOperations, isUnknown, type LinearizationFailure, type Model } from './linearizability.ts';
import { kvModel, type KvInput, type KvOperation, type KvOutput, type KvState } from './kv-model.ts';

// [call, return]; a one-element interval means the outcome is unknown.
type Interval = [number, number] | [number];

function op(clientId: number, input: KvInput, [call, ret]: Interval, output: KvOutput): KvOperation {
  return ret === undefined ? { clientId, input, call } : { clientId, input, call, return: ret, output };
}
const get = (c: number, key: string, value: string | undefined, at: Interval) =>
  op(c, { op: 'get', key }, at, value === undefined ? { ok: true } : { ok: true, value });
const put = (c: number, key: string, value: string, at: Interval) =>
  op(c, { op: 'put', key, value }, at, { ok: true });
const cas = (c: number, key: string, expected: string | undefined, value: string, at: Interval, ok = true) =>
  op(c, { op: 'cas', key, expected, value }, at, ok ? { ok: true } : { ok: false });
const append = (c: number, key: string, value: string, at: Interval) =>
  op(c, { op: 'append', key, value }, at, { ok: true });

const check = (history: KvOperation[]) => checkOperations(kvModel, history);

describe('checkOperations with the KV model', () => {
  it('accepts a sequential history', () => {
    const history = [
      get(1, 'x', undefined, [0, 10]),
      put(1, 'x', '1', [20, 30]),
      get(2, 'x', '1', [40, 50]),
      put(2, 'x', '2', [60, 70]),
      append(1, 'x', '3', [80, 90]),
      get(1, 'x', '23', [100, 110]),
    ];
    expect(check(history).result).toBe('ok');
    expect(check([]).result).toBe('ok');
  });

  it('accepts concurrent operations that fit in exactly one order', () => {
    // Both puts overlap both reads, which saw 1 then 2: the only order is put 1, get, put 2, get.
    const history = [
      put(1, 'x', '1', [0, 100]),
      put(2, 'x', '2', [0, 100]),
      get(3, 'x', '1', [10, 20]),
      get(3, 'x', '2', [30, 40]),
    ];
    expect(check(history).result).toBe('ok');
    // ... and a third read of 1 can fit nowhere.
    expect(check([...history, get(3, 'x', '1', [50, 60])]).result).toBe('illegal');
  });

  it('treats intervals that touch as concurrent', () => {
    expect(check([put(1, 'x', '1', [0, 10]), get(2, 'x', undefined, [10, 20])]).result).toBe('ok');
    expect(check([put(1, 'x', '1', [0, 10]), get(2, 'x', undefined, [11, 20])]).result).toBe('illegal');
  });

  it('rejects a stale read and explains it', () => {
    const history = [
      put(1, 'x', '7', [0, 10]),
      get(2, 'x', '7', [12, 15]),
      put(1, 'x', '1', [20, 30]),
      get(3, 'x', '1', [40, 50]),
      get(2, 'x', '7', [120, 180]),
    ];
    const result = check(history);
    expect(result.result).toBe('illegal');
    if (result.result !== 'illegal') return;
    expect(result.failure.stuck).toEqual([{ op: history[4], rejected: true }]);
    expect(result.failure.state).toBe('1');
    expect(result.failure.prefix).toHaveLength(4);
    expect(result.explanation).toBe(
      [
        'not linearizable: partition 1 of 1 (5 operations)',
        'longest linearizable prefix (4 operations, in linearization order):',
        '  client 1: put(x, "7") -> ok @[0ms, 10ms]',
        '  client 2: get(x) -> "7" @[12ms, 15ms]',
        '  client 1: put(x, "1") -> ok @[20ms, 30ms]',
        '  client 3: get(x) -> "1" @[40ms, 50ms]',
        'state after the prefix: "1"',
        'none of these can be linearized next:',
        '  client 2: get(x) -> "7" @[120ms, 180ms]  (contradicts that state)',
      ].join('\n'),
    );
  });

  it('explains a failure at the very first operation', () => {
    const result = check([get(4, 'k', 'ghost', [0, 10])]);
    expect(result.result).toBe('illegal');
    if (result.result !== 'illegal') return;
    expect(result.failure.prefix).toEqual([]);
    expect(result.explanation).toContain('(none)');
    expect(result.explanation).toContain('client 4: get(k) -> "ghost" @[0ms, 10ms]');
  });

  describe('unknown outcomes', () => {
    it('accepts an unknown put whose effect is observed later', () => {
      const history = [put(1, 'x', '1', [0]), get(2, 'x', undefined, [10, 20]), get(2, 'x', '1', [500, 510])];
      expect(check(history).result).toBe('ok');
    });

    it('accepts an unknown put that is never observed', () => {
      const history = [
        put(1, 'x', '1', [0]),
        get(2, 'x', undefined, [10, 20]),
        put(2, 'x', '2', [30, 40]),
        get(2, 'x', '2', [500, 510]),
      ];
      expect(check(history).result).toBe('ok');
    });

    it('treats a return time of Infinity as unknown', () => {
      const history: KvOperation[] = [
        { clientId: 1, input: { op: 'put', key: 'x', value: '1' }, call: 0, return: Infinity },
        get(2, 'x', '1', [10, 20]),
      ];
      expect(check(history).result).toBe('ok');
    });

    it('rejects an unknown put observed before its call', () => {
      const result = check([get(2, 'x', '1', [0, 10]), put(1, 'x', '1', [20])]);
      expect(result.result).toBe('illegal');
      if (result.result !== 'illegal') return;
      expect(result.explanation).toContain('client 2: get(x) -> "1" @[0ms, 10ms]');
    });

    it('rejects an unknown put observed and then un-observed', () => {
      const history = [put(1, 'x', '1', [0]), get(2, 'x', '1', [10, 20]), get(2, 'x', undefined, [30, 40])];
      expect(check(history).result).toBe('illegal');
    });

    it('shows unknown outcomes with a question mark', () => {
      const result = check([put(1, 'x', '1', [0]), get(2, 'x', '1', [10, 20]), get(2, 'x', '2', [30, 40])]);
      expect(result.result).toBe('illegal');
      if (result.result !== 'illegal') return;
      expect(result.explanation).toContain('client 1: put(x, "1") -> ? @[0ms, ?]');
    });

    it('combines unknown operations when one alone cannot explain a read', () => {
      const appends = [append(1, 'x', 'a', [0]), append(2, 'x', 'b', [0])];
      expect(check([...appends, get(3, 'x', 'ab', [10, 20])]).result).toBe('ok');
      expect(check([...appends, get(3, 'x', 'ba', [10, 20])]).result).toBe('ok');
      expect(check([...appends, get(3, 'x', 'ab', [10, 20]), get(3, 'x', 'ba', [30, 40])]).result).toBe('illegal');
      const cases = [cas(1, 'x', 'a', 'b', [0]), cas(2, 'x', undefined, 'a', [5])];
      expect(check([...cases, get(3, 'x', 'b', [10, 20])]).result).toBe('ok');
      expect(check([...cases, get(3, 'x', 'b', [10, 20]), get(3, 'x', 'a', [30, 40])]).result).toBe('illegal');
    });

    it('refutes a stale read quickly despite many pending unknown writes', () => {
      // Each subset of the 30 unknown puts could be in effect anywhere: 2^30 configurations for
      // a search that does not see that only the last one placed matters.
      const history = Array.from({ length: 30 }, (_, i) => put(i, 'x', `u${i}`, [i]));
      for (let j = 0; j < 20; j++) {
        history.push(put(100, 'x', `k${j}`, [1000 + 20 * j, 1005 + 20 * j]));
        history.push(get(101, 'x', `k${j}`, [1010 + 20 * j, 1015 + 20 * j]));
      }
      expect(checkOperations(kvModel, history, { maxSteps: 100_000 }).result).toBe('ok');
      history.push(get(102, 'x', 'k3', [2000, 2010]));
      const result = checkOperations(kvModel, history, { maxSteps: 100_000 });
      expect(result.result).toBe('illegal');
      if (result.result !== 'illegal') return;
      expect(result.explanation).toContain('client 102: get(x) -> "k3" @[2000ms, 2010ms]  (contradicts that state)');
    });

    it('drops unknown reads, which constrain nothing', () => {
      const history = [get(1, 'x', 'never', [0]), put(2, 'x', '1', [10, 20])];
      const result = check(history);
      expect(result.result).toBe('ok');
    });

    it('applies an unknown cas only where it would have matched', () => {
      const history = [
        put(1, 'x', 'a', [0, 10]),
        cas(2, 'x', 'a', 'b', [20]),
        get(3, 'x', 'b', [30, 40]),
        get(3, 'x', 'b', [50, 60]),
      ];
      expect(check(history).result).toBe('ok');
      // Had the value not been "a", the cas could not have written "b".
      const mismatched = [put(1, 'x', 'z', [0, 10]), cas(2, 'x', 'a', 'b', [20]), get(3, 'x', 'b', [30, 40])];
      expect(check(mismatched).result).toBe('illegal');
    });
  });

  describe('cas', () => {
    it('succeeds exactly when the value matches, absent included', () => {
      const history = [
        cas(1, 'x', undefined, 'a', [0, 10], true),
        cas(1, 'x', undefined, 'b', [20, 30], false),
        cas(2, 'x', 'b', 'c', [40, 50], false),
        cas(2, 'x', 'a', 'c', [60, 70], true),
        get(1, 'x', 'c', [80, 90]),
      ];
      expect(check(history).result).toBe('ok');
    });

    it('rejects two successful concurrent cas from the same value', () => {
      const history = [cas(1, 'x', undefined, 'a', [0, 10], true), cas(2, 'x', undefined, 'b', [0, 10], true)];
      expect(check(history).result).toBe('illegal');
    });

    it('rejects a failed cas that should have matched', () => {
      const history = [put(1, 'x', 'a', [0, 10]), cas(2, 'x', 'a', 'b', [20, 30], false)];
      expect(check(history).result).toBe('illegal');
    });

    it('orders a concurrent failed cas after the write that made it fail', () => {
      const history = [put(1, 'x', 'a', [0, 100]), cas(2, 'x', undefined, 'b', [10, 20], false)];
      expect(check(history).result).toBe('ok');
    });
  });

  describe('partitions', () => {
    const unpartitioned: Model<Map<string, KvState>, KvInput, KvOutput> = {
      init: () => new Map(),
      step(state, input, output) {
        const [ok, value] = kvModel.step(state.get(input.key), input, output);
        return [ok, new Map(state).set(input.key, value)];
      },
      key: (state) => JSON.stringify([...state].sort()),
    };

    it('checks each key on its own', () => {
      const history = [
        put(1, 'x', '1', [0, 10]),
        put(2, 'y', '1', [0, 10]),
        get(1, 'y', '1', [20, 30]),
        get(2, 'x', '1', [20, 30]),
        put(1, 'y', '2', [40, 50]),
        get(2, 'x', '1', [60, 70]),
      ];
      expect(check(history).result).toBe('ok');
      expect(checkOperations(unpartitioned, history).result).toBe('ok');
    });

    it('names the key that failed', () => {
      const history = [
        put(1, 'x', '1', [0, 10]),
        put(2, 'y', '1', [0, 10]),
        put(1, 'x', '2', [20, 30]),
        put(3, 'z', '1', [20, 30]),
        get(2, 'y', '0', [40, 50]),
        get(3, 'x', '2', [40, 50]),
      ];
      const result = check(history);
      expect(result.result).toBe('illegal');
      if (result.result !== 'illegal') return;
      expect(result.failure.partition).toBe(1);
      expect(result.failure.history.every((o) => o.input.key === 'y')).toBe(true);
      expect(result.explanation).toContain('partition 2 of 3 (2 operations)');
      expect(result.explanation).toContain('client 2: get(y) -> "0" @[40ms, 50ms]');
      expect(checkOperations(unpartitioned, history).result).toBe('illegal');
    });
  });

  describe('budget', () => {
    // Every put overlaps every other and a read of a value nobody wrote: a search without
    // the memo cache would try 12! orders, with it 12 * 2^12 (subset, value) pairs.
    const pathological = [
      ...Array.from({ length: 12 }, (_, i) => put(i, 'x', String(i), [0, 1000])),
      get(99, 'x', 'nobody', [0, 1000]),
    ];

    it('returns unknown when the step budget runs out', () => {
      const result = checkOperations(kvModel, pathological, { maxSteps: 1000 });
      expect(result.result).toBe('unknown');
      if (result.result !== 'unknown') return;
      expect(result.explanation).toContain('1000 steps');
    });

    it('returns unknown on timeout instead of hanging', () => {
      const wide = [
        ...Array.from({ length: 40 }, (_, i) => put(i, 'x', String(i), [0, 1000])),
        get(99, 'x', 'nobody', [0, 1000]),
      ];
      const started = Date.now();
      const result = checkOperations(kvModel, wide, { timeoutMs: 50 });
      expect(result.result).toBe('unknown');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('is still exact for the same history given enough budget', () => {
      expect(checkOperations(kvModel, pathological).result).toBe('illegal');
    });
  });

  it('refuses an operation that returns before its call', () => {
    expect(() => check([get(1, 'x', undefined, [10, 5])])).toThrow(/returns before its call/);
  });

  it('describes operations without describeOperation', () => {
    const plain: Model<number, string, number> = {
      init: () => 0,
      step: (state, input, output) => (input === 'inc' ? [output === undefined || output === state + 1, state + 1] : [false, state]),
      key: String,
    };
    const result = checkOperations(plain, [
      { clientId: 1, input: 'inc', call: 0, return: 5, output: 1 },
      { clientId: 2, input: 'inc', call: 10, return: 15, output: 1 },
    ]);
    expect(result.result).toBe('illegal');
    if (result.result !== 'illegal') return;
    expect(result.explanation).toContain('client 2: "inc" -> 1 @[10ms, 15ms]');
    expect(result.explanation).toContain('state after the prefix: 1');
  });
});

// --- generated histories ------------------------------------------------------------------

interface PlannedOp {
  kind: 'get' | 'put' | 'cas';
  key: number;
  value: number;
  before: number;
  after: number;
  /** Unknown outcome: did it take effect (at its point) or not at all? */
  unknown: 'no' | 'happened' | 'lost';
}

const plannedOp = fc.record<PlannedOp>({
  kind: fc.constantFrom('get', 'put', 'cas'),
  key: fc.nat(2),
  value: fc.nat(3),
  before: fc.nat(60),
  after: fc.nat(60),
  unknown: fc.constantFrom('no', 'no', 'no', 'no', 'happened', 'lost'),
});

/**
 * Runs the plan against an atomic register: operation i takes effect at time 10 * i, inside
 * an interval that may reach several operations either side. Linearizable by construction.
 */
function registerHistory(plan: PlannedOp[]): KvOperation[] {
  const store = new Map<string, string>();
  return plan.map((p, i) => {
    const key = `k${p.key}`;
    const value = `v${p.value}`;
    const at = 10 * i;
    let input: KvInput;
    let output: KvOutput;
    const current = store.get(key);
    if (p.kind === 'get') {
      input = { op: 'get', key };
      output = current === undefined ? { ok: true } : { ok: true, value: current };
    } else if (p.kind === 'put') {
      input = { op: 'put', key, value };
      output = { ok: true };
    } else {
      // Half the time expect what is there, so that some cas succeed.
      const expected = p.value % 2 === 0 ? current : `v${p.value + 1}`;
      input = { op: 'cas', key, expected, value };
      output = { ok: current === expected };
    }
    const effective = output.ok && p.kind !== 'get' && p.unknown !== 'lost';
    if (effective) store.set(key, value);
    const call = Math.max(0, at - p.before);
    return p.unknown === 'no'
      ? { clientId: i % 5, input, call, return: at + p.after, output }
      : { clientId: i % 5, input, call };
  });
}

/** Tries every order that respects real time, leaving out unknown outcomes as it likes. */
function bruteForce(history: KvOperation[]): boolean {
  const placed = history.map(() => false);
  const knownCount = history.filter((o) => !isUnknown(o)).length;
  const go = (state: Map<string, KvState>, known: number): boolean => {
    if (known === knownCount) return true;
    return history.some((o, i) => {
      if (placed[i]) return false;
      const blocked = history.some((p, j) => !placed[j] && j !== i && (p.return ?? Infinity) < o.call);
      if (blocked) return false;
      const [ok, value] = kvModel.step(state.get(o.input.key), o.input, isUnknown(o) ? undefined : o.output);
      if (!ok) return false;
      placed[i] = true;
      const found = go(new Map(state).set(o.input.key, value), known + (isUnknown(o) ? 0 : 1));
      placed[i] = false;
      return found;
    });
  };
  return go(new Map(), 0);
}

/** Any operation with any output: small enough for bruteForce(), often not linearizable. */
const randomOp = (() => {
  const key = fc.constantFrom('x', 'y');
  const written = fc.constantFrom('a', 'b');
  // Appends make runs of unknown operations matter: "a" then "b" is neither alone.
  const read = fc.constantFrom(undefined, 'a', 'b', 'ab', 'ba');
  const input: fc.Arbitrary<KvInput> = fc.oneof(
    fc.record({ op: fc.constant('get' as const), key }),
    fc.record({ op: fc.constant('put' as const), key, value: written }),
    fc.record({ op: fc.constant('append' as const), key, value: written }),
    fc.record({ op: fc.constant('cas' as const), key, expected: read, value: written }),
  );
  return fc
    .record({ clientId: fc.nat(3), input, call: fc.nat(20), length: fc.nat(10), unknown: fc.boolean(), ok: fc.boolean(), read })
    .map(({ clientId, input, call, length, unknown, ok, read }): KvOperation => {
      const output: KvOutput =
        input.op === 'get' ? (read === undefined ? { ok: true } : { ok: true, value: read }) : { ok: ok || input.op !== 'cas' };
      return unknown ? { clientId, input, call } : { clientId, input, call, return: call + length, output };
    });
})();

/** The prefix is a linearization of what it holds, and something is stuck after it. */
function expectSoundExplanation(failure: LinearizationFailure<KvState, KvInput, KvOutput>) {
  let state: KvState = undefined;
  for (const o of failure.prefix) {
    const [ok, next] = kvModel.step(state, o.input, isUnknown(o) ? undefined : o.output);
    expect(ok).toBe(true);
    state = next;
  }
  expect(failure.state).toBe(state);
  // Real time: nothing left out of the prefix returned before an operation in it was called.
  const rest = failure.history.filter((o) => !failure.prefix.includes(o));
  for (const o of failure.prefix) for (const r of rest) expect(r.return ?? Infinity).toBeGreaterThanOrEqual(o.call);
  expect(failure.stuck.length).toBeGreaterThan(0);
  for (const { op } of failure.stuck) expect(rest).toContain(op);
}

describe('checkOperations on generated histories', () => {
  it('accepts every history of an atomic register', () => {
    fc.assert(
      fc.property(fc.array(plannedOp, { maxLength: 60 }), (plan) => {
        const result = check(registerHistory(plan));
        expect(result.result, result.result === 'illegal' ? result.explanation : '').toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('rejects the same histories once a read returns a value nobody wrote', () => {
    fc.assert(
      fc.property(fc.array(plannedOp, { minLength: 1, maxLength: 60 }), fc.nat(), (plan, pick) => {
        const history = registerHistory(plan);
        const reads = history.filter((o) => o.input.op === 'get' && !isUnknown(o));
        fc.pre(reads.length > 0);
        const read = reads[pick % reads.length] as KvOperation;
        read.output = { ok: true, value: 'never written' };
        const result = check(history);
        expect(result.result).toBe('illegal');
        if (result.result !== 'illegal') return;
        expect(result.failure.history).toContain(read);
        expectSoundExplanation(result.failure);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a brute-force search on small random histories', () => {
    let illegal = 0;
    fc.assert(
      fc.property(fc.array(randomOp, { maxLength: 7 }), (history) => {
        const expected = bruteForce(history);
        if (!expected) illegal++;
        const result = check(history);
        expect(result.result).toBe(expected ? 'ok' : 'illegal');
        if (result.result === 'illegal') expectSoundExplanation(result.failure);
      }),
      { numRuns: 2000 },
    );
    // Both answers should have been exercised.
    expect(illegal).toBeGreaterThan(100);
    expect(illegal).toBeLessThan(1900);
  });

  it('agrees with a brute-force search on small histories with one read changed', () => {
    // Unlike random outputs, these are mostly linearizable, or nearly: the search goes deep.
    fc.assert(
      fc.property(fc.array(plannedOp, { maxLength: 8 }), fc.nat(), fc.nat(4), (plan, pick, value) => {
        const history = registerHistory(plan);
        const reads = history.filter((o) => o.input.op === 'get' && !isUnknown(o));
        const read = reads[pick % Math.max(1, reads.length)];
        if (read) read.output = value === 4 ? { ok: true } : { ok: true, value: `v${value}` };
        const result = check(history);
        expect(result.result).toBe(bruteForce(history) ? 'ok' : 'illegal');
        if (result.result === 'illegal') expectSoundExplanation(result.failure);
      }),
      { numRuns: 2000 },
    );
  });
});

// --- a simulator-sized history ------------------------------------------------------------

/**
 * Five clients, each doing one operation at a time against an atomic store of ten keys; an
 * operation takes effect at a random point of its interval. Some time out: those may or may
 * not have taken effect, and their client moves on.
 */
function clientsHistory(seed: number, count: number): KvOperation[] {
  const random = seededRandom(seed);
  const clients = 5;
  const free = Array.from({ length: clients }, () => 0);
  const planned: { op: KvOperation; at: number; lost: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = random.int(clients);
    const call = (free[clientId] ?? 0) + random.int(5);
    const unknown = random.next() < 0.03;
    const ret = call + 1 + random.int(20);
    const key = `k${random.int(10)}`;
    const roll = random.int(10);
    const input: KvInput =
      roll < 5
        ? { op: 'get', key }
        : roll < 8
          ? { op: 'put', key, value: `v${i}` }
          : { op: 'cas', key, expected: `v${i - 1 - random.int(30)}`, value: `v${i}` };
    planned.push({
      op: unknown ? { clientId, input, call } : { clientId, input, call, return: ret },
      at: call + random.next() * (unknown ? 100 : ret - call),
      lost: unknown && random.next() < 0.5,
    });
    free[clientId] = unknown ? call + 30 : ret;
  }
  const store = new Map<string, string>();
  for (const { op, lost } of [...planned].sort((a, b) => a.at - b.at)) {
    if (lost) continue;
    const current = store.get(op.input.key);
    const input = op.input;
    if (input.op === 'get') {
      op.output = current === undefined ? { ok: true } : { ok: true, value: current };
    } else if (input.op === 'cas' && input.expected !== current) {
      op.output = { ok: false };
    } else {
      store.set(input.key, input.value);
      op.output = { ok: true };
    }
  }
  return planned.map((p) => (isUnknown(p.op) ? { ...p.op, output: undefined } : p.op));
}

describe('checkOperations performance', () => {
  it('checks 2,000 operations over 10 keys from 5 clients quickly', { timeout: 10_000 }, () => {
    for (const seed of [1, 2, 3]) {
      const history = clientsHistory(seed, 2000);
      expect(history.filter((o) => isUnknown(o)).length).toBeGreaterThan(20);
      const result = checkOperations(kvModel, history, { timeoutMs: 5000 });
      expect(result.result, result.result === 'illegal' ? result.explanation : '').toBe('ok');

      const read = history.find((o, i) => i > 1000 && o.input.op === 'get' && !isUnknown(o)) as KvOperation;
      read.output = { ok: true, value: 'never written' };
      const broken = checkOperations(kvModel, history, { timeoutMs: 5000 });
      expect(broken.result).toBe('illegal');
    }
  });
});
