// Network faults on a node's cluster links, for demonstrations: cut off from some peers (or all),
// added latency, loss. RpcClient and RpcServer consult it for every frame when the node has one (a
// lab machine whose network is emulated in its process); without one they wrap nothing.
//
// The RPC rides a reliable stream, so the faults are what TCP would show of a bad network:
// - delay: an outgoing frame leaves `delayMs` late, and never before the frame ahead of it, as
//   with netem on the node's interface (a round trip through this node is `delayMs` longer);
// - loss: a lost frame is retransmitted after a timeout, so it arrives max(200 ms, 2 × delay) late
//   and holds up the frames behind it; it is never lost for good, which would tear the stream;
// - partition: frames to and from a cut-off peer are dropped, both ways, on old connections and
//   new: calls time out, streams stall, and Raft's check-quorum makes a cut-off leader step down.
//   A connection that lost a frame is reset as soon as its peer is reachable again (a TCP
//   connection that did not outlive the cut) instead of carrying on with a hole in its stream.
// Traffic of the node with itself is never touched: a cable pulled out of a host leaves loopback.

import type { Socket } from 'node:net';
import type { Clock, Timer } from '../clock.ts';
import type { Random } from '../random.ts';

export interface LinkFaultSettings {
  /** Peers cut off, by IP address; 'all' cuts every peer. */
  partition?: readonly string[] | 'all';
  /** Added to every outgoing frame (ms). */
  delayMs?: number;
  /** The share of outgoing frames that need a retransmission (0-100). */
  lossPercent?: number;
}

/** A lost frame's retransmission comes after max(this, 2 × delay), as a TCP RTO would. */
export const MIN_RETRANSMIT_MS = 200;

/** One connection as its faults see it. */
export interface Link {
  /** An outgoing frame: `write` runs now, later, or (partitioned) never. */
  send(write: () => void): void;
  /** Whether an incoming frame gets through (false: it was dropped, or the connection was reset). */
  admit(): boolean;
  /** The connection closed: frames still waiting are dropped. */
  close(): void;
}

/** IPv4 peers of an IPv6 socket show as ::ffff:a.b.c.d. */
export function plainIp(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

export class LinkFaults {
  private current: { partition: ReadonlySet<string> | 'all'; delayMs: number; lossPercent: number } = { partition: new Set(), delayMs: 0, lossPercent: 0 };
  private readonly links = new Set<ConnectionLink>();

  constructor(private readonly opts: { clock: Clock; random: Random }) {}

  /** Replaces the faults; links that lost frames to a partition now healed are reset. */
  set(s: LinkFaultSettings): void {
    const delayMs = s.delayMs ?? 0;
    const lossPercent = s.lossPercent ?? 0;
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delay must be a number of milliseconds >= 0, got ${delayMs}`);
    if (!Number.isFinite(lossPercent) || lossPercent < 0 || lossPercent > 100) throw new RangeError(`loss must be a percentage from 0 to 100, got ${lossPercent}`);
    const partition = s.partition === 'all' ? 'all' : new Set((s.partition ?? []).map((ip) => plainIp(ip)!));
    this.current = { partition, delayMs, lossPercent };
    for (const l of [...this.links]) l.faultsChanged();
  }

  get settings(): LinkFaultSettings {
    const { partition, delayMs, lossPercent } = this.current;
    return { partition: partition === 'all' ? 'all' : [...partition], delayMs, lossPercent };
  }

  /** The faults of one connection (made when it is opened or accepted). */
  link(socket: Socket): Link {
    const l = new ConnectionLink(this, socket);
    this.links.add(l);
    return l;
  }

  /** @internal */
  forget(l: ConnectionLink): void {
    this.links.delete(l);
  }

  /** @internal Whether frames with the peer at the other end of this socket are dropped. */
  cuts(socket: Socket): boolean {
    const p = this.current.partition;
    if (p !== 'all' && p.size === 0) return false;
    const peer = plainIp(socket.remoteAddress);
    // Not connected yet: no frame moves anyway; the node with itself: loopback, never cut.
    if (peer === undefined || peer === plainIp(socket.localAddress)) return false;
    return p === 'all' || p.has(peer);
  }

  /** @internal When an outgoing frame to this socket's peer may leave (ms since the epoch). */
  departure(socket: Socket, now: number): number {
    const { delayMs, lossPercent } = this.current;
    if (delayMs === 0 && lossPercent === 0) return now;
    if (plainIp(socket.remoteAddress) === plainIp(socket.localAddress)) return now;
    const lost = lossPercent > 0 && this.opts.random.next() * 100 < lossPercent;
    return now + delayMs + (lost ? Math.max(MIN_RETRANSMIT_MS, 2 * delayMs) : 0);
  }

  /** @internal */
  get clock(): Clock {
    return this.opts.clock;
  }
}

class ConnectionLink implements Link {
  /** Frames waiting to leave, in order; their times never decrease. */
  private readonly queue: { at: number; write: () => void }[] = [];
  private lastAt = 0;
  private timer: Timer | undefined;
  /** A frame was dropped to a partition: the stream has a hole. */
  private torn = false;
  private closed = false;

  constructor(
    private readonly faults: LinkFaults,
    private readonly socket: Socket,
  ) {}

  send(write: () => void): void {
    if (!this.passes()) return;
    const now = this.faults.clock.now();
    const at = Math.max(this.faults.departure(this.socket, now), this.lastAt);
    if (at <= now && this.queue.length === 0) {
      write();
      return;
    }
    this.lastAt = at;
    this.queue.push({ at, write });
    this.schedule();
  }

  admit(): boolean {
    return this.passes();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.queue.length = 0;
    this.faults.forget(this);
  }

  faultsChanged(): void {
    if (this.torn && !this.faults.cuts(this.socket)) this.reset();
  }

  private passes(): boolean {
    if (this.closed) return false;
    if (this.faults.cuts(this.socket)) {
      this.torn = true;
      return false;
    }
    if (this.torn) {
      this.reset();
      return false;
    }
    return true;
  }

  private reset(): void {
    this.close();
    this.socket.destroy();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0]!.at - this.faults.clock.now());
    this.timer = this.faults.clock.setTimeout(() => {
      this.timer = undefined;
      const now = this.faults.clock.now();
      while (!this.closed && this.queue.length > 0 && this.queue[0]!.at <= now) this.queue.shift()!.write();
      this.schedule();
    }, wait);
  }
}
