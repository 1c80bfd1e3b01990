// The cluster watcher with fake managers and a manual clock: it reads through the leader's machine,
// falls back to another manager when that one stops answering, reports the last read as stale
// while none answers, and reads again on events (a burst of them makes one read).

import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../core/clock.ts';
import type { ClusterState } from '../../../main/lab/cluster-state.ts';
import { ClusterWatcher, type Endpoint, type WatchClient, type WatchUpdate } from '../../../main/lab/cluster-watcher.ts';
import { cluster, node } from './fixtures.ts';

class ManualClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  setInterval(): never {
    throw new Error('not used');
  }
  /** Delays of the timers waiting now. */
  pending(): number[] {
    return this.timers.filter((t) => t.live).map((t) => t.at - this.t);
  }
  /** Moves time on, running the timers that fall due. */
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
  }
}

/** A swarm of managers whose answers the test sets. */
class FakeSwarm {
  answers = new Map<string, () => Promise<ClusterState>>();
  reads: string[] = [];
  streams = new Map<string, { onEvent: () => void; end: () => void }>();

  client = (e: Endpoint): WatchClient => ({
    read: () => {
      this.reads.push(e.name);
      const a = this.answers.get(e.name);
      return a ? a() : Promise.reject(new Error(`(${e.name}) cannot list the nodes: ${e.name} does not answer`));
    },
    followEvents: (onEvent, signal) =>
      new Promise<void>((resolve) => {
        const end = () => {
          this.streams.delete(e.name);
          resolve();
        };
        this.streams.set(e.name, { onEvent, end });
        signal.addEventListener('abort', end);
      }),
  });

  /** Every manager answers with the same swarm, led by `leader`. */
  ledBy(leader: string, managers = ['manager1', 'manager2', 'manager3']): ClusterState {
    return cluster([...managers.map((m) => node(m, { role: 'manager', leader: m === leader })), node('worker1')]);
  }

  answer(names: string[], state: ClusterState): void {
    for (const n of names) this.answers.set(n, () => Promise.resolve(state));
  }
}

const endpoints = (names: string[]) => names.map((name) => ({ name, socket: `/tmp/${name}.sock` }));
const ALL = ['manager1', 'manager2', 'manager3', 'worker1'];

let watcher: ClusterWatcher | undefined;
afterEach(() => watcher?.stop());

function start(swarm: FakeSwarm, clock: ManualClock, names: () => string[] = () => ALL) {
  const updates: WatchUpdate[] = [];
  watcher = new ClusterWatcher({ endpoints: () => endpoints(names()), onUpdate: (u) => updates.push(u), client: swarm.client, clock, throttleMs: 100, pollMs: 2_000, retryMs: 300 });
  return updates;
}

describe('ClusterWatcher', () => {
  it("reads through the leader's machine and follows its events", async () => {
    const swarm = new FakeSwarm();
    const clock = new ManualClock();
    swarm.answer(ALL.slice(0, 3), swarm.ledBy('manager2'));
    const updates = start(swarm, clock);
    await watcher!.refresh();
    // manager1 first (by name, nothing known yet), then the leader it names.
    expect(swarm.reads).toEqual(['manager1', 'manager2']);
    expect(updates.at(-1)).toMatchObject({ via: 'manager2', stale: false });
    expect([...swarm.streams.keys()]).toEqual(['manager2']);
    expect(watcher!.current()).toBe('manager2');
    // Next time the leader is asked first.
    swarm.reads = [];
    await watcher!.refresh();
    expect(swarm.reads).toEqual(['manager2']);
  });

  it('falls back to another manager when the one it reads through dies, and follows the new leader', async () => {
    const swarm = new FakeSwarm();
    const clock = new ManualClock();
    swarm.answer(ALL.slice(0, 3), swarm.ledBy('manager1'));
    const updates = start(swarm, clock);
    await watcher!.refresh();
    expect(updates.at(-1)?.via).toBe('manager1');

    // manager1 is killed: its stream ends, which asks for a read at once; manager3 won the election.
    swarm.answers.delete('manager1');
    swarm.answer(['manager2', 'manager3'], swarm.ledBy('manager3'));
    swarm.reads = [];
    swarm.streams.get('manager1')!.end();
    await watcher!.refresh();
    expect(swarm.reads.slice(0, 3)).toEqual(['manager1', 'manager2', 'manager3']);
    expect(updates.at(-1)).toMatchObject({ via: 'manager3', stale: false });
    expect([...swarm.streams.keys()]).toEqual(['manager3']);
  });

  it('while no manager answers: the last read, stale, with why; retried soon; then back', async () => {
    const swarm = new FakeSwarm();
    const clock = new ManualClock();
    const state = swarm.ledBy('manager1');
    swarm.answer(['manager1'], state);
    const updates = start(swarm, clock);
    await watcher!.refresh();
    swarm.answers.clear();
    swarm.answers.set('worker1', () => Promise.reject(new Error('(worker1) cannot list the nodes: This node is not a swarm manager.')));
    await watcher!.refresh();
    const stale = updates.at(-1)!;
    expect(stale).toMatchObject({ stale: true, via: 'manager1', cluster: state });
    expect(stale.error).toBe(
      'no manager answers (manager1: cannot list the nodes: manager1 does not answer; manager2: cannot list the nodes: manager2 does not answer; manager3: cannot list the nodes: manager3 does not answer; worker1: cannot list the nodes: This node is not a swarm manager.)',
    );
    expect(watcher!.current()).toBeUndefined();
    expect(swarm.streams.size).toBe(0);
    expect(clock.pending()).toEqual([300]);

    swarm.answer(['manager2'], swarm.ledBy('manager2'));
    clock.advance(300);
    await watcher!.refresh();
    expect(updates.at(-1)).toMatchObject({ stale: false, via: 'manager2' });
  });

  it('only the lab machines given are tried; none running is said so', async () => {
    const swarm = new FakeSwarm();
    const clock = new ManualClock();
    const updates = start(swarm, clock, () => []);
    await watcher!.refresh();
    expect(updates).toEqual([{ stale: true, error: 'no machine of the lab is running' }]);
  });

  it('a burst of events makes one read, a little later; the safety-net poll comes after 2 s', async () => {
    const swarm = new FakeSwarm();
    const clock = new ManualClock();
    swarm.answer(ALL.slice(0, 3), swarm.ledBy('manager1'));
    start(swarm, clock);
    await watcher!.refresh();
    // The stream's start asks for one read (events in between would be missed).
    clock.advance(100);
    await watcher!.refresh();
    swarm.reads = [];
    expect(clock.pending()).toEqual([2_000]);
    const stream = swarm.streams.get('manager1')!;
    for (let i = 0; i < 20; i++) stream.onEvent();
    expect(clock.pending().sort((a, b) => a - b)).toEqual([100, 2_000]);
    clock.advance(100);
    await watcher!.refresh();
    // The throttled read, then the one asked for here (a read under way takes it as "again").
    expect(swarm.reads.length).toBeLessThanOrEqual(2);
    expect(swarm.reads.every((r) => r === 'manager1')).toBe(true);
  });

  it('workers are asked last', async () => {
    const swarm = new FakeSwarm();
    const clock = new ManualClock();
    const state = swarm.ledBy('manager1', ['manager1', 'manager2']);
    swarm.answer(['manager1'], state);
    start(swarm, clock, () => ['worker1', 'manager2', 'manager1']);
    await watcher!.refresh();
    swarm.answers.delete('manager1');
    swarm.reads = [];
    await watcher!.refresh();
    expect(swarm.reads).toEqual(['manager1', 'manager2', 'worker1']);
  });
});
