// A simulated network on the virtual clock: every fault (loss, duplication, delay, reordering,
// partitions) is drawn from the injected Random, so the same seed gives the same deliveries.
// It knows nothing about what it carries.

import type { Random } from '../../core/random.ts';
import type { Scheduler } from './virtual-clock.ts';

/** [min, max] in ms, both inclusive; delays are whole milliseconds. */
export type Range = readonly [min: number, max: number];

export interface LinkFaults {
  /** Every message's delay is drawn from this range, which alone already reorders messages. */
  latencyMs: Range;
  dropRate: number;
  duplicateRate: number;
  /** Probability that a message is held back by an extra delay, landing behind later ones. */
  delayRate: number;
  extraDelayMs: Range;
}

export const DEFAULT_FAULTS: LinkFaults = {
  latencyMs: [1, 10],
  dropRate: 0,
  duplicateRate: 0,
  delayRate: 0,
  extraDelayMs: [10, 200],
};

export type DropReason = 'random' | 'partition' | 'detached';

/** Counts copies: sent + duplicated === delivered + dropped + inFlight at all times. */
export interface NetStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  inFlight: number;
  droppedBy: Record<DropReason, number>;
}

/** Receives a message. The object is shared with the sender (see `clone`): do not mutate it. */
export type Handler<M> = (from: string, msg: M) => void;

export interface SimNetworkOptions<M> {
  clock: Scheduler;
  random: Random;
  /** The faults of every link without an override (defaults: DEFAULT_FAULTS). */
  faults?: Partial<LinkFaults>;
  /** Copies each message on delivery, for receivers that mutate what they get. */
  clone?: (msg: M) => M;
  onSend?: (from: string, to: string, msg: M) => void;
  onDeliver?: (from: string, to: string, msg: M) => void;
  onDrop?: (from: string, to: string, msg: M, reason: DropReason) => void;
  /**
   * Messages that travel as over TCP: never dropped, duplicated or reordered at random (only a
   * partition or a crash loses them), delivered in order per link.
   */
  reliable?: (msg: M) => boolean;
}

interface Endpoint<M> {
  handler: Handler<M>;
  /** A new number on every attach: messages sent to an earlier incarnation are lost. */
  incarnation: number;
}

/** Groups for nodes not named in partition(): together they form one more group. */
const REST = -1;

export class SimNetwork<M> {
  onSend: ((from: string, to: string, msg: M) => void) | undefined;
  onDeliver: ((from: string, to: string, msg: M) => void) | undefined;
  onDrop: ((from: string, to: string, msg: M, reason: DropReason) => void) | undefined;
  readonly stats: NetStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    inFlight: 0,
    droppedBy: { random: 0, partition: 0, detached: 0 },
  };

  private readonly clock: Scheduler;
  private readonly random: Random;
  private readonly clone: ((msg: M) => M) | undefined;
  private readonly endpoints = new Map<string, Endpoint<M>>();
  private incarnations = 0;
  private faults: LinkFaults;
  private readonly linkOverrides = new Map<string, Partial<LinkFaults>>();
  /** linkOverrides merged over `faults`, so the send path does one lookup. */
  private readonly linkFaults = new Map<string, LinkFaults>();
  private readonly groups = new Map<string, number>();
  private readonly isolated = new Set<string>();
  private readonly cut = new Set<string>();
  /** False when no partition, isolation or cut exists: the common case skips those checks. */
  private disrupted = false;

  private readonly reliable: ((msg: M) => boolean) | undefined;
  /** Per link, when the last reliable message arrives: the next one may not overtake it. */
  private readonly lastReliable = new Map<string, number>();

  constructor(options: SimNetworkOptions<M>) {
    this.clock = options.clock;
    this.random = options.random;
    this.clone = options.clone;
    this.onSend = options.onSend;
    this.onDeliver = options.onDeliver;
    this.onDrop = options.onDrop;
    this.faults = { ...DEFAULT_FAULTS, ...options.faults };
    this.reliable = options.reliable;
  }

  // --- nodes ---

  attach(id: string, handler: Handler<M>): void {
    if (this.endpoints.has(id)) throw new Error(`SimNetwork: ${id} is already attached`);
    this.endpoints.set(id, { handler, incarnation: ++this.incarnations });
  }

  /** The node is gone (crashed): messages to it, including those in flight, are dropped. */
  detach(id: string): void {
    this.endpoints.delete(id);
  }

  isAttached(id: string): boolean {
    return this.endpoints.has(id);
  }

  // --- faults ---

  /** Changes the faults of every link without an override. */
  setFaults(faults: Partial<LinkFaults>): void {
    this.faults = { ...this.faults, ...faults };
    this.rebuildLinkFaults();
  }

  /** Overrides some faults on the link a→b (and b→a unless oneWay); undefined removes the override. */
  setLinkFaults(a: string, b: string, faults: Partial<LinkFaults> | undefined, opts: { oneWay?: boolean } = {}): void {
    for (const key of opts.oneWay ? [link(a, b)] : [link(a, b), link(b, a)]) {
      if (faults === undefined) this.linkOverrides.delete(key);
      else this.linkOverrides.set(key, faults);
    }
    this.rebuildLinkFaults();
  }

  faultsOf(from: string, to: string): LinkFaults {
    return this.linkFaults.get(link(from, to)) ?? this.faults;
  }

  // --- partitions: a message needs its link up both when sent and when it arrives ---

  /**
   * Nodes in different groups cannot talk. Nodes named in no group form one more group together,
   * so partition([['a']]) cuts a off from everyone else. Replaces the previous partition; leaves
   * isolate() and cutLink() in place.
   */
  partition(groups: string[][]): void {
    this.groups.clear();
    groups.forEach((group, i) => {
      for (const id of group) this.groups.set(id, i);
    });
    this.updateDisrupted();
  }

  isolate(id: string): void {
    this.isolated.add(id);
    this.updateDisrupted();
  }

  cutLink(a: string, b: string, opts: { oneWay?: boolean } = {}): void {
    this.cut.add(link(a, b));
    if (!opts.oneWay) this.cut.add(link(b, a));
    this.updateDisrupted();
  }

  /** Removes every partition, isolation and cut link (but not the fault settings). */
  heal(): void {
    this.groups.clear();
    this.isolated.clear();
    this.cut.clear();
    this.disrupted = false;
  }

  /** Whether a message from→to would get through the partitions now (ignoring random faults). */
  canReach(from: string, to: string): boolean {
    if (!this.disrupted || from === to) return true;
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    if ((this.groups.get(from) ?? REST) !== (this.groups.get(to) ?? REST)) return false;
    return !this.cut.has(link(from, to));
  }

  // --- traffic ---

  send(from: string, to: string, msg: M): void {
    const stats = this.stats;
    stats.sent++;
    this.onSend?.(from, to, msg);
    const dest = this.endpoints.get(to);
    if (dest === undefined) return this.drop(from, to, msg, 'detached');
    if (!this.canReach(from, to)) return this.drop(from, to, msg, 'partition');
    const f = this.faultsOf(from, to);
    if (this.reliable?.(msg)) {
      const key = `${from}>${to}`;
      const at = Math.max(this.clock.now() + this.draw(f.latencyMs), this.lastReliable.get(key) ?? 0);
      this.lastReliable.set(key, at);
      this.stats.inFlight++;
      const incarnation = dest.incarnation;
      this.clock.schedule(at, () => this.arrive(from, to, msg, incarnation), `net ${from}->${to}`);
      return;
    }
    const random = this.random;
    if (f.dropRate > 0 && random.next() < f.dropRate) return this.drop(from, to, msg, 'random');
    this.deliverLater(from, to, msg, dest.incarnation, f);
    if (f.duplicateRate > 0 && random.next() < f.duplicateRate) {
      stats.duplicated++;
      this.deliverLater(from, to, msg, dest.incarnation, f);
    }
  }

  private deliverLater(from: string, to: string, msg: M, incarnation: number, f: LinkFaults): void {
    let delay = this.draw(f.latencyMs);
    if (f.delayRate > 0 && this.random.next() < f.delayRate) delay += this.draw(f.extraDelayMs);
    this.stats.inFlight++;
    this.clock.schedule(this.clock.now() + delay, () => this.arrive(from, to, msg, incarnation), `net ${from}->${to}`);
  }

  private arrive(from: string, to: string, msg: M, incarnation: number): void {
    this.stats.inFlight--;
    const dest = this.endpoints.get(to);
    if (dest === undefined || dest.incarnation !== incarnation) return this.drop(from, to, msg, 'detached');
    if (!this.canReach(from, to)) return this.drop(from, to, msg, 'partition');
    this.stats.delivered++;
    this.onDeliver?.(from, to, msg);
    dest.handler(from, this.clone ? this.clone(msg) : msg);
  }

  private drop(from: string, to: string, msg: M, reason: DropReason): void {
    this.stats.dropped++;
    this.stats.droppedBy[reason]++;
    this.onDrop?.(from, to, msg, reason);
  }

  private draw(range: Range): number {
    const min = range[0];
    const max = range[1];
    return max > min ? min + this.random.int(max - min + 1) : min;
  }

  private rebuildLinkFaults(): void {
    this.linkFaults.clear();
    for (const [key, override] of this.linkOverrides) this.linkFaults.set(key, { ...this.faults, ...override });
  }

  private updateDisrupted(): void {
    this.disrupted = this.groups.size > 0 || this.isolated.size > 0 || this.cut.size > 0;
  }
}

function link(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
