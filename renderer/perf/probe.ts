// Frame and latency figures for the UI benchmark (and anyone curious, on window.__swarmlabPerf):
// frames counted by requestAnimationFrame, and for each batch of task events, the time from the
// event's timestamp to the frame after the one that drew it — by then its pixels are on screen.

export interface PerfProbe {
  frames: number;
  /** Event-to-pixels latencies, ms. */
  latencies: number[];
  /** Time spent in each part of the topology's frame, ms, summed. */
  phases: Record<string, number>;
  reset(): void;
}

let awaitingDraw: number[] = [];
let awaitingFrame: number[] = [];

export const probe: PerfProbe = {
  frames: 0,
  latencies: [],
  phases: {},
  reset() {
    this.frames = 0;
    this.latencies = [];
    this.phases = {};
    awaitingDraw = [];
    awaitingFrame = [];
  },
};

(globalThis as { __swarmlabPerf?: PerfProbe }).__swarmlabPerf = probe;

/** A batch of events stamped `at` (epoch ms) reached the renderer's model. */
export function eventReceived(at: number): void {
  if (Number.isFinite(at)) awaitingDraw.push(at);
}

/** The current frame drew everything received so far. */
export function drew(): void {
  if (awaitingDraw.length === 0) return;
  awaitingFrame.push(...awaitingDraw);
  awaitingDraw = [];
}

/** A new frame starts: the previous one is on screen. */
export function frameStarted(): void {
  probe.frames++;
  if (awaitingFrame.length === 0) return;
  const now = Date.now();
  for (const at of awaitingFrame) probe.latencies.push(now - at);
  awaitingFrame = [];
  if (probe.latencies.length > 100_000) probe.latencies.splice(0, 50_000);
}

/** Adds the time since `start` (performance.now()) to a phase; returns now, for the next phase. */
export function phase(name: string, start: number): number {
  const now = performance.now();
  probe.phases[name] = (probe.phases[name] ?? 0) + (now - start);
  return now;
}
