// A linearizability checker in the manner of Porcupine (github.com/anishathalye/porcupine):
// Wing & Gong's search with Lowe's memoization, plus P-compositionality (Horn & Kroening), i.e.
// a history is linearizable iff each independent partition of it (e.g. each key) is. Unknown
// outcomes get more care than in Porcupine (see search()), because simulated crashes and
// timeouts leave many of them, and they are what makes an illegal history slow to refute.
//
// What the caller records:
// - every operation whose effect is known (it returned, with its output), and
// - every operation whose outcome is unknown (the client timed out, the server crashed): leave
//   `return` undefined. Such an operation may take effect at any time after its call, or never;
//   like Porcupine and Knossos we give it a return time of +infinity, and the search may also
//   leave it out entirely (equivalent to placing it after everything else, but cheaper).
// - NOT operations known to have failed before taking effect ("not leader" and the like): they
//   did nothing, so they are simply left out of the history.
//
// An operation is concurrent with another when their intervals overlap, ends included: an
// operation that returns at t and one called at t may be linearized in either order.

export interface Operation<Input, Output> {
  clientId: number;
  input: Input;
  /** When the client sent the request, in ms (virtual or real; any monotonic clock). */
  call: number;
  /** When the reply arrived; undefined (or Infinity) when the outcome is unknown. */
  return?: number;
  /** The reply; ignored when the outcome is unknown. */
  output?: Output;
}

export interface Model<State, Input, Output> {
  init(): State;
  /**
   * Applies `input` to `state`; ok is false when `output` is not what the operation would have
   * returned in `state`. `output` is undefined when the outcome is unknown: then accept and apply
   * the operation (the model is deterministic, so its effect follows from the state).
   */
  step(state: State, input: Input, output: Output | undefined): [ok: boolean, newState: State];
  /** Equal for equal states, different for different ones: the memo cache is keyed by it. */
  key(state: State): string;
  /** Splits a history into independent sub-histories (e.g. by key), each checked on its own. */
  partition?(history: Operation<Input, Output>[]): Operation<Input, Output>[][];
  /**
   * True for operations that never change the state: with an unknown outcome they constrain
   * nothing, so the checker drops them.
   */
  readOnly?(input: Input): boolean;
  /** E.g. `get(x) -> "7"`; output is undefined when unknown. */
  describeOperation?(input: Input, output: Output | undefined): string;
  describeState?(state: State): string;
}

export interface CheckOptions {
  /** Wall-clock budget for the whole check; past it the result is 'unknown'. */
  timeoutMs?: number;
  /**
   * Budget in search steps: unlike a timeout, the same history always gets the same answer,
   * which keeps a simulation seed reproducible.
   */
  maxSteps?: number;
}

export interface LinearizationFailure<State, Input, Output> {
  /** Index of the failing partition in the model's partition() order. */
  partition: number;
  /** The failing partition's operations, in the caller's order. */
  history: Operation<Input, Output>[];
  /** The longest linearizable prefix found (in known operations), in linearization order. */
  prefix: Operation<Input, Output>[];
  /** The state after the prefix. */
  state: State;
  /**
   * The operations with a known outcome that real time allows next. Mostly the model rejects
   * them in `state` (`rejected`); one it accepts leads only to dead ends.
   */
  stuck: { op: Operation<Input, Output>; rejected: boolean }[];
}

export type CheckResult<State, Input, Output> =
  | { result: 'ok'; steps: number }
  | {
      result: 'illegal';
      steps: number;
      /** Multi-line text for a person: the failing partition, prefix and stuck operations. */
      explanation: string;
      failure: LinearizationFailure<State, Input, Output>;
    }
  | { result: 'unknown'; steps: number; explanation: string };

export function checkOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<State, Input, Output> {
  for (const op of history) {
    if (op.return !== undefined && op.return < op.call) {
      throw new Error(`operation returns before its call: ${formatOperation(model, op)}`);
    }
  }
  const budget = new Budget(options);
  const partitions = model.partition ? model.partition(history) : [history];
  for (const [index, partition] of partitions.entries()) {
    const ops = [
      ...partition.filter((op) => !isUnknown(op)),
      ...partition.filter((op) => isUnknown(op) && !model.readOnly?.(op.input)),
    ];
    const outcome = search(model, ops, budget);
    if (outcome === 'exhausted') {
      return {
        result: 'unknown',
        steps: budget.steps,
        explanation:
          `gave up (${budget.why()}) on partition ${index + 1} of ${partitions.length} ` +
          `(${ops.length} operations)`,
      };
    }
    if (outcome !== 'ok') {
      const failure = explainFailure(model, ops, outcome.longest, index, partition);
      return {
        result: 'illegal',
        steps: budget.steps,
        explanation: formatFailure(model, failure, partitions.length),
        failure,
      };
    }
  }
  return { result: 'ok', steps: budget.steps };
}

export function isUnknown(op: Operation<unknown, unknown>): boolean {
  return op.return === undefined || op.return === Infinity;
}

/** `client 3: get(x) -> "7" @[120ms, 180ms]`. */
export function formatOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const output = isUnknown(op) ? undefined : op.output;
  const text = model.describeOperation
    ? model.describeOperation(op.input, output)
    : `${JSON.stringify(op.input)} -> ${output === undefined ? '?' : JSON.stringify(output)}`;
  const end = isUnknown(op) ? '?' : `${op.return}ms`;
  return `client ${op.clientId}: ${text} @[${op.call}ms, ${end}]`;
}

// --- the search ---------------------------------------------------------------------------

/** A call or return event in a doubly-linked list ordered by time. */
interface Entry {
  op: number;
  time: number;
  isCall: boolean;
  /** On calls: their return. (Unknown outcomes are not in the list, see search().) */
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

/** Links entries after a sentinel head, which it returns. */
function link(entries: Entry[]): Entry {
  const head: Entry = { op: -1, time: -Infinity, isCall: false };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

/** Calls before returns at equal times, so that touching intervals count as concurrent. */
const byTime = (a: Entry, b: Entry) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op;

/** Takes an entry out of its list; it keeps its own pointers so that restore() can undo it. */
function remove(entry: Entry): void {
  (entry.prev as Entry).next = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
}

function restore(entry: Entry): void {
  (entry.prev as Entry).next = entry;
  if (entry.next) entry.next.prev = entry;
}

/** Marks the operation linearized (removals are undone in reverse order, dancing-links style). */
function lift(call: Entry): void {
  remove(call);
  if (call.match) remove(call.match);
}

function unlift(call: Entry): void {
  if (call.match) restore(call.match);
  restore(call);
}

class Bitset {
  readonly words: Uint32Array;
  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32) || 1);
  }
  static has(words: Uint32Array, i: number): boolean {
    return ((words[i >>> 5] as number) & (1 << (i & 31))) !== 0;
  }
  static set(words: Uint32Array, i: number): void {
    words[i >>> 5]! |= 1 << (i & 31);
  }
  /** Whether `words` includes every element of `subset`. */
  static includes(words: Uint32Array, subset: Uint32Array): boolean {
    return subset.every((word, i) => (word & ~(words[i] as number)) === 0);
  }
  has(i: number): boolean {
    return Bitset.has(this.words, i);
  }
  set(i: number): void {
    Bitset.set(this.words, i);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  includes(subset: Uint32Array): boolean {
    return Bitset.includes(this.words, subset);
  }
  /** Exact and compact: one character per 16 operations. */
  key(): string {
    return String.fromCharCode(...new Uint16Array(this.words.buffer));
  }
}

class Budget {
  steps = 0;
  private readonly deadline: number;
  private readonly maxSteps: number;
  private timedOut = false;
  constructor(options: CheckOptions) {
    this.deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    this.maxSteps = options.maxSteps ?? Infinity;
  }
  /** Counts a step; true once the budget is spent. Reads the clock only every 1024 steps. */
  spend(): boolean {
    this.steps++;
    if (this.steps > this.maxSteps) return true;
    if ((this.steps & 1023) === 0 && Date.now() > this.deadline) this.timedOut = true;
    return this.timedOut;
  }
  why(): string {
    return this.timedOut ? 'timeout' : `${this.maxSteps} steps`;
  }
}

type SearchOutcome = 'ok' | 'exhausted' | { longest: number[] };

/** A configuration of the search, and where it is in trying what can come next. */
interface Frame<S> {
  /** What was linearized to get here: one known operation, or a run of unknown ones. */
  placed: number[];
  state: S;
  stateKey: string;
  /** The last known candidate tried from here (the list head before the first). */
  cursor: Entry;
  /** Runs of unknown operations to try after the known candidates; computed then. */
  runs?: Run<S>[];
  nextRun: number;
  /** False right after a run of unknown operations: it was one of all the possible runs, so
   * another run directly after it would only repeat a longer one. */
  mayRunUnknown: boolean;
}

interface Run<S> {
  ops: number[];
  /** The same, as unknown-bitset words. */
  set: Uint32Array;
  state: S;
  stateKey: string;
}

/**
 * Depth-first search for a linearization, as in Porcupine: from each configuration (which
 * operations are linearized, and the state), try every pending call that the model accepts
 * and that real time allows next (it precedes the first pending return in the event list),
 * and backtrack when none leads anywhere. A memo cache of failed configurations prunes the
 * search to (nearly) one visit per configuration.
 *
 * Operations with unknown outcomes never return, so they are candidates from their call on,
 * and left to themselves would multiply the configurations by all their subsets and orders.
 * So they are treated apart (`ops` lists the known outcomes first: op i is bit i of `known`,
 * or bit i - knownCount of `unknown`):
 * - they are tried after the known candidates, as runs computed breadth first, dropping
 *   every run that reaches a state that a subset of it already reaches (for a register,
 *   put a then put b is put b alone) - and a run is never followed directly by another;
 * - a configuration fails if one with the same known operations and state but a subset of
 *   its unknown ones failed: having more unknown operations left only gives more choices.
 */
function search<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[], budget: Budget): SearchOutcome {
  const knownCount = ops.filter((op) => !isUnknown(op)).length;
  const entries: Entry[] = [];
  const callOf: Entry[] = [];
  for (const [i, op] of ops.slice(0, knownCount).entries()) {
    const ret: Entry = { op: i, time: op.return as number, isCall: false };
    const call: Entry = { op: i, time: op.call, isCall: true, match: ret };
    callOf.push(call);
    entries.push(call, ret);
  }
  const head = link(entries.sort(byTime));

  const known = new Bitset(knownCount);
  const unknown = new Bitset(ops.length - knownCount);
  const failed = new Map<string, Uint32Array[]>();
  const hasFailed = (stateKey: string) =>
    failed.get(known.key() + stateKey)?.some((subset) => unknown.includes(subset)) ?? false;

  const initial = model.init();
  const frames: Frame<S>[] = [
    { placed: [], state: initial, stateKey: model.key(initial), cursor: head, nextRun: 0, mayRunUnknown: true },
  ];
  let depth = 0;
  let knownPlaced = 0;
  let longest: number[] = [];
  let longestKnown = 0;

  // Unknown outcomes may be left out, so we are done once every known operation is placed.
  while (knownPlaced < knownCount) {
    if (budget.spend()) return 'exhausted';
    const frame = frames[frames.length - 1] as Frame<S>;

    if (!frame.runs) {
      const entry = frame.cursor.next;
      if (entry?.isCall) {
        frame.cursor = entry;
        const op = ops[entry.op] as Operation<I, O>;
        const [ok, state] = model.step(frame.state, op.input, op.output);
        if (!ok) continue;
        const stateKey = model.key(state);
        known.set(entry.op);
        if (hasFailed(stateKey)) {
          known.clear(entry.op);
          continue;
        }
        lift(entry);
        knownPlaced++;
        depth++;
        frames.push({ placed: [entry.op], state, stateKey, cursor: head, nextRun: 0, mayRunUnknown: true });
        continue;
      }
      // A return (or the end): nothing called after it can go before its operation.
      const deadline = entry ? entry.time : Infinity;
      frame.runs = frame.mayRunUnknown ? unknownRuns(model, ops, knownCount, unknown, frame, deadline, budget) : [];
      continue;
    }

    const run = frame.runs[frame.nextRun++];
    if (run) {
      for (const i of run.ops) unknown.set(i - knownCount);
      if (hasFailed(run.stateKey)) {
        for (const i of run.ops) unknown.clear(i - knownCount);
        continue;
      }
      depth += run.ops.length;
      const { ops: placed, state, stateKey } = run;
      frames.push({ placed, state, stateKey, cursor: head, nextRun: 0, mayRunUnknown: false });
      continue;
    }

    // Nothing more to try from here: remember the failure, undo the last step.
    frames.pop();
    if (frames.length === 0) return { longest };
    // The explanation shows the failure deepest in known operations; unknown ones placed just
    // for length would only obscure the state it shows.
    if (knownPlaced > longestKnown || (knownPlaced === longestKnown && depth < longest.length)) {
      longest = [...frames, frame].flatMap((f) => f.placed);
      longestKnown = knownPlaced;
    }
    if (frame.mayRunUnknown) {
      const key = known.key() + frame.stateKey;
      const subsets = failed.get(key);
      if (subsets) subsets.push(unknown.words.slice());
      else failed.set(key, [unknown.words.slice()]);
    }
    depth -= frame.placed.length;
    for (const i of frame.placed) {
      if (i < knownCount) {
        known.clear(i);
        unlift(callOf[i] as Entry);
        knownPlaced--;
      } else {
        unknown.clear(i - knownCount);
      }
    }
  }
  return 'ok';
}

/**
 * The runs of pending unknown operations (called before `deadline`, not yet linearized) that
 * can follow `frame`, shortest first, without those that reach a state some subset of them
 * reaches (including the empty run: a run that changes nothing is useless).
 */
function unknownRuns<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  knownCount: number,
  unknown: Bitset,
  frame: Frame<S>,
  deadline: number,
  budget: Budget,
): Run<S>[] {
  const pending: number[] = [];
  for (let i = knownCount; i < ops.length; i++) {
    if (!unknown.has(i - knownCount) && (ops[i] as Operation<I, O>).call <= deadline) pending.push(i);
  }
  if (pending.length === 0) return [];
  const empty = new Bitset(ops.length - knownCount).words;
  const reached = new Map<string, Uint32Array[]>([[frame.stateKey, [empty]]]);
  const runs: Run<S>[] = [];
  let level: Run<S>[] = [{ ops: [], set: empty, state: frame.state, stateKey: frame.stateKey }];
  while (level.length > 0) {
    const nextLevel: Run<S>[] = [];
    for (const run of level) {
      for (const i of pending) {
        const bit = i - knownCount;
        if (Bitset.has(run.set, bit)) continue;
        if (budget.spend()) return runs;
        const [ok, state] = model.step(run.state, (ops[i] as Operation<I, O>).input, undefined);
        if (!ok) continue;
        const set = run.set.slice();
        Bitset.set(set, bit);
        const stateKey = model.key(state);
        const subsets = reached.get(stateKey);
        if (subsets?.some((subset) => Bitset.includes(set, subset))) continue;
        if (subsets) subsets.push(set);
        else reached.set(stateKey, [set]);
        nextLevel.push({ ops: [...run.ops, i], set, state, stateKey });
      }
    }
    runs.push(...nextLevel);
    level = nextLevel;
  }
  return runs;
}

// --- explaining a failure -----------------------------------------------------------------

function explainFailure<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  longest: number[],
  partitionIndex: number,
  partition: Operation<I, O>[],
): LinearizationFailure<S, I, O> {
  let state = model.init();
  for (const i of longest) {
    const op = ops[i] as Operation<I, O>;
    state = model.step(state, op.input, isUnknown(op) ? undefined : op.output)[1];
  }
  const placed = new Set(longest);
  const rest = ops.filter((_, i) => !placed.has(i));
  // The same rule as the search: nothing called after a pending operation returned can go next.
  const firstReturn = rest.reduce((t, op) => Math.min(t, op.return ?? Infinity), Infinity);
  const stuck = rest
    .filter((op) => !isUnknown(op) && op.call <= firstReturn)
    .map((op) => ({ op, rejected: !model.step(state, op.input, op.output)[0] }));
  return {
    partition: partitionIndex,
    history: partition,
    prefix: longest.map((i) => ops[i] as Operation<I, O>),
    state,
    stuck,
  };
}

/** The prefix is cut to its end: the operations right before the failure are the telling ones. */
const PREFIX_LINES = 20;

function formatFailure<S, I, O>(
  model: Model<S, I, O>,
  failure: LinearizationFailure<S, I, O>,
  partitionCount: number,
): string {
  const { prefix, stuck } = failure;
  const lines = [
    `not linearizable: partition ${failure.partition + 1} of ${partitionCount} ` +
      `(${failure.history.length} operations)`,
    `longest linearizable prefix (${prefix.length} operations, in linearization order):`,
  ];
  if (prefix.length === 0) lines.push('  (none)');
  if (prefix.length > PREFIX_LINES) {
    lines.push(`  ... ${prefix.length - PREFIX_LINES} earlier operations`);
  }
  for (const op of prefix.slice(-PREFIX_LINES)) lines.push(`  ${formatOperation(model, op)}`);
  const state = model.describeState
    ? model.describeState(failure.state)
    : JSON.stringify(failure.state) ?? 'undefined';
  lines.push(`state after the prefix: ${state}`);
  lines.push('none of these can be linearized next:');
  for (const { op, rejected } of stuck) {
    const why = rejected ? 'contradicts that state' : 'fits, but nothing can follow it';
    lines.push(`  ${formatOperation(model, op)}  (${why})`);
  }
  return lines.join('\n');
}
