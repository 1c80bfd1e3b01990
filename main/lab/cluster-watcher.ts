// Keeps a current read of the swarm. It reads through one manager at a time, preferring the
// leader's machine (which answers from its own store, and whose event stream is the freshest);
// when that manager stops answering (socket closed, no answer in time, no leader) it tries the
// others, and while none answers it reports the last read as stale and keeps trying. Reads are
// triggered by the manager's event stream (throttled, so a burst of task events is one read) and
// by a slow poll, which catches what events do not carry (leadership, reachability) and a stream
// that went silent.

import { systemClock, type Clock, type Timer } from '../../core/clock.ts';
import type { ClusterState } from './cluster-state.ts';
import { SwarmClient } from './swarm-client.ts';

/** A machine whose Docker API the watcher may read through. */
export interface Endpoint {
  name: string;
  socket: string;
}

/** What the watcher needs of a client (SwarmClient; tests give fakes). */
export interface WatchClient {
  read(): Promise<ClusterState>;
  followEvents(onEvent: () => void, signal: AbortSignal): Promise<void>;
}

export interface WatchUpdate {
  /** The last successful read (the same one again while stale). */
  cluster?: ClusterState;
  /** The machine read through (while stale: the last one that answered). */
  via?: string;
  stale: boolean;
  /** While stale: why no manager answered. */
  error?: string;
}

export interface ClusterWatcherOptions {
  /** The machines to try, as they are now (running ones: a frozen machine would only time out). */
  endpoints: () => Promise<Endpoint[]> | Endpoint[];
  onUpdate: (u: WatchUpdate) => void;
  client?: (e: Endpoint) => WatchClient;
  clock?: Clock;
  /** Reads after an event wait this long, so that a burst of events makes one read (default 100 ms). */
  throttleMs?: number;
  /** The safety-net poll while in contact (default 2 s). */
  pollMs?: number;
  /** How soon to try again while no manager answers (default 300 ms). */
  retryMs?: number;
}

const STREAM_RESTART_MS = 1_000;

export class ClusterWatcher {
  private readonly clock: Clock;
  private readonly client: (e: Endpoint) => WatchClient;
  private readonly clients = new Map<string, { socket: string; client: WatchClient }>();
  private last: ClusterState | undefined;
  private via: string | undefined;
  private stale = true;
  private stream: { name: string; abort: AbortController } | undefined;
  /** When a machine's event stream last ended: one that keeps ending is not restarted in a loop. */
  private streamEnded = new Map<string, number>();
  private reading: Promise<void> | undefined;
  private again = false;
  private soon: Timer | undefined;
  private poll: Timer | undefined;
  private stopped = false;

  constructor(private readonly opts: ClusterWatcherOptions) {
    this.clock = opts.clock ?? systemClock;
    this.client = opts.client ?? ((e) => new SwarmClient(e.name, e.socket));
  }

  start(): void {
    this.stopped = false;
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.soon?.cancel();
    this.poll?.cancel();
    this.soon = this.poll = undefined;
    this.closeStream();
  }

  /** The machine the watcher reads through now, if one answers. */
  current(): string | undefined {
    return this.stale ? undefined : this.via;
  }

  /** The last read (possibly stale). */
  cluster(): ClusterState | undefined {
    return this.last;
  }

  /** Reads now (or right after the read under way); resolves when that read is done. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.soon?.cancel();
    this.soon = undefined;
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again && !this.stopped);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** A read a little later, coalescing the events that arrive meanwhile. */
  private poke(): void {
    if (this.stopped || this.soon) return;
    this.soon = this.clock.setTimeout(() => {
      this.soon = undefined;
      void this.refresh();
    }, this.opts.throttleMs ?? 100);
  }

  private clientFor(e: Endpoint): WatchClient {
    const known = this.clients.get(e.name);
    if (known && known.socket === e.socket) return known.client;
    const client = this.client(e);
    this.clients.set(e.name, { socket: e.socket, client });
    return client;
  }

  private async readOnce(): Promise<void> {
    const endpoints = await this.opts.endpoints();
    const tried = new Map<string, string>();
    for (const e of this.order(endpoints)) {
      if (this.stopped) return;
      let cluster: ClusterState;
      try {
        cluster = await this.clientFor(e).read();
      } catch (err) {
        tried.set(e.name, (err as Error).message);
        continue;
      }
      let chosen = e;
      // Follow the leader: its machine answers from its own store, without a hop.
      const leader = leaderHost(cluster);
      const leaderEndpoint = endpoints.find((x) => x.name === leader);
      if (leaderEndpoint && leaderEndpoint.name !== e.name && !tried.has(leaderEndpoint.name)) {
        try {
          cluster = await this.clientFor(leaderEndpoint).read();
          chosen = leaderEndpoint;
        } catch (err) {
          tried.set(leaderEndpoint.name, (err as Error).message);
        }
      }
      if (this.stopped) return;
      this.last = cluster;
      this.via = chosen.name;
      this.stale = false;
      this.follow(chosen);
      this.opts.onUpdate({ cluster, via: chosen.name, stale: false });
      this.schedulePoll(this.opts.pollMs ?? 2_000);
      return;
    }
    if (this.stopped) return;
    this.stale = true;
    this.closeStream();
    const error =
      tried.size === 0
        ? 'no machine of the lab is running'
        : `no manager answers (${[...tried].map(([name, why]) => `${name}: ${why.replace(/^\([^)]*\) /, '')}`).join('; ')})`;
    this.opts.onUpdate({ ...(this.last ? { cluster: this.last } : {}), ...(this.via ? { via: this.via } : {}), stale: true, error });
    this.schedulePoll(this.opts.retryMs ?? 300);
  }

  /** The leader's machine first, then the one read through last, then the other managers, then the rest. */
  private order(endpoints: Endpoint[]): Endpoint[] {
    const nodes = this.last?.nodes ?? [];
    const rank = (e: Endpoint): number => {
      const node = nodes.find((n) => n.Description?.Hostname === e.name && n.Status.State !== 'down') ?? nodes.find((n) => n.Description?.Hostname === e.name);
      if (node?.ManagerStatus?.Leader) return 0;
      if (e.name === this.via) return 1;
      if (node?.ManagerStatus) return 2;
      if (!node) return 3;
      return 4;
    };
    return [...endpoints].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private schedulePoll(ms: number): void {
    this.poll?.cancel();
    if (this.stopped) return;
    this.poll = this.clock.setTimeout(() => {
      this.poll = undefined;
      void this.refresh();
    }, ms);
  }

  /** Follows the events of the machine read through; a stream that ends asks for a read at once. */
  private follow(e: Endpoint): void {
    if (this.stream?.name === e.name) return;
    this.closeStream();
    const endedAt = this.streamEnded.get(e.name);
    if (endedAt !== undefined && this.clock.now() - endedAt < STREAM_RESTART_MS) return;
    const abort = new AbortController();
    const stream = { name: e.name, abort };
    this.stream = stream;
    const ended = () => {
      if (abort.signal.aborted || this.stopped) return;
      if (this.stream === stream) this.stream = undefined;
      this.streamEnded.set(e.name, this.clock.now());
      void this.refresh();
    };
    this.clientFor(e)
      .followEvents(() => this.poke(), abort.signal)
      .then(ended, ended);
    // Events between the read and the stream's start would be missed: read once more.
    this.poke();
  }

  private closeStream(): void {
    this.stream?.abort.abort();
    this.stream = undefined;
  }
}

function leaderHost(c: ClusterState): string | undefined {
  return c.nodes.find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname;
}
