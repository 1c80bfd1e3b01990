// Docker's cluster events (`GET /events`, `docker events`): a bounded log of recent events, replayed
// from `since` and followed live, filtered as Docker filters them.
//
// Extension: events of Type `task` (Action create|update|remove; Actor.ID the task ID; Attributes
// `name`, `service.id`, `service.name`, `node.id`, `slot`, `state.old`/`state.new`,
// `desiredstate.old`/`desiredstate.new`, `message`, `error`) report task state changes, for the lab's
// UI. Docker has no such type, so they are sent only to streams that ask for them with a
// `type=task` filter; `docker events` never sees them.

import { systemClock, type Clock, type Timer } from '../clock.ts';
import { ApiError } from './errors.ts';
import type { FilterArgs } from './filters.ts';

export type EventType = 'service' | 'node' | 'network' | 'secret' | 'config' | 'task';
export type EventAction = 'create' | 'update' | 'remove';

export interface EngineEvent {
  Type: EventType;
  Action: EventAction;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'swarm';
  /** Seconds since the epoch. */
  time: number;
  /** Nanoseconds since the epoch. */
  timeNano: number;
}

export interface EventQuery {
  /** Replay the kept events from this time on. */
  since?: Date;
  /** Stop at this time (without it, the stream follows until the client goes). */
  until?: Date;
  filters: FilterArgs;
}

/** Filter names `GET /events` accepts (Docker's, plus `task`). */
export const EVENT_FILTERS = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'task',
  'type',
  'volume',
] as const;

/** Filters naming an object by ID or name prefix (Docker's fuzzy match); they apply to every event. */
const NAME_FILTERS = ['config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

export function validateEventFilters(filters: FilterArgs): void {
  for (const name of filters.keys()) {
    if (!(EVENT_FILTERS as readonly string[]).includes(name)) throw ApiError.badRequest(`invalid filter '${name}'`);
  }
}

function exact(filters: FilterArgs, key: string, value: string): boolean {
  const v = filters.get(key);
  return !v || v.length === 0 || v.includes(value);
}

function fuzzy(filters: FilterArgs, key: string, value: string): boolean {
  const v = filters.get(key);
  return !v || v.length === 0 || v.some((p) => value.startsWith(p));
}

function labelsMatch(filters: FilterArgs, attrs: Record<string, string>): boolean {
  const v = filters.get('label');
  if (!v || v.length === 0) return true;
  return v.some((entry) => {
    const i = entry.indexOf('=');
    return i < 0 ? Object.hasOwn(attrs, entry) : attrs[entry.slice(0, i)] === entry.slice(i + 1);
  });
}

export function eventMatches(e: EngineEvent, filters: FilterArgs): boolean {
  if (e.Type === 'task' && !(filters.get('type') ?? []).includes('task')) return false;
  const name = e.Actor.Attributes.name ?? '';
  return (
    exact(filters, 'event', e.Action) &&
    exact(filters, 'type', e.Type) &&
    exact(filters, 'scope', e.scope) &&
    NAME_FILTERS.every((f) => !filters.has(f) || fuzzy(filters, f, e.Actor.ID) || (name !== '' && fuzzy(filters, f, name))) &&
    labelsMatch(filters, e.Actor.Attributes)
  );
}

export function eventAt(type: EventType, action: EventAction, id: string, attributes: Record<string, string>, ms: number): EngineEvent {
  return {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'swarm',
    time: Math.floor(ms / 1000),
    timeNano: Math.round(ms * 1e6),
  };
}

type Subscriber = (e: EngineEvent) => void;

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface EventLogOptions {
  /** Events kept for replay (Docker keeps 256). */
  capacity?: number;
  clock?: Clock;
}

export class EventLog {
  private readonly kept: EngineEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly capacity: number;
  private readonly clock: Clock;

  constructor(opts: EventLogOptions = {}) {
    this.capacity = opts.capacity ?? 1024;
    this.clock = opts.clock ?? systemClock;
  }

  publish(e: EngineEvent): void {
    this.kept.push(e);
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
    for (const s of this.subscribers) s(e);
  }

  /** The kept events from `since`, then (unless `until` has passed) the live ones until `until` or the abort. */
  async *stream(query: EventQuery, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const untilNs = query.until ? query.until.getTime() * 1e6 : Infinity;
    const sinceNs = query.since ? query.since.getTime() * 1e6 : Infinity;
    const wanted = (e: EngineEvent) => e.timeNano <= untilNs && eventMatches(e, query.filters);
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    const subscriber: Subscriber = (e) => {
      if (!wanted(e)) return;
      queue.push(e);
      wake?.();
    };
    // Subscribed before the replay is taken, in the same turn, so no event falls in between.
    this.subscribers.add(subscriber);
    const replay = query.since ? this.kept.filter((e) => e.timeNano >= sinceNs && wanted(e)) : [];
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    let timer: Timer | undefined;
    try {
      for (const e of replay) yield e;
      if (query.until) {
        const until = query.until.getTime();
        if (until <= this.clock.now()) return;
        // Timers take at most 2^31 - 1 ms: a far `until` is reached in several waits.
        const arm = () => {
          timer = this.clock.setTimeout(() => {
            if (this.clock.now() < until) return arm();
            timer = undefined;
            wake?.();
          }, Math.min(until - this.clock.now(), MAX_TIMER_MS));
        };
        arm();
      }
      while (!signal.aborted) {
        const e = queue.shift();
        if (e) {
          yield e;
          continue;
        }
        if (query.until && timer === undefined) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.subscribers.delete(subscriber);
      signal.removeEventListener('abort', onAbort);
      timer?.cancel();
    }
  }
}
