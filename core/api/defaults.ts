// SwarmKit's defaults, and the two timing profiles. Durations are nanoseconds, as in the API.

import type { RestartPolicy, UpdateConfig } from './objects.ts';

export const SECOND = 1_000_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const nsToMs = (ns: number) => ns / 1_000_000;
export const msToNs = (ms: number) => Math.round(ms * 1_000_000);

export const DEFAULT_RESTART_POLICY: Required<RestartPolicy> = {
  Condition: 'any',
  Delay: 5 * SECOND,
  MaxAttempts: 0,
  Window: 0,
};

export const DEFAULT_UPDATE_CONFIG: Required<UpdateConfig> = {
  Parallelism: 1,
  Delay: 0,
  FailureAction: 'pause',
  Monitor: 5 * SECOND,
  MaxFailureRatio: 0,
  Order: 'stop-first',
};

export const DEFAULT_TASK_HISTORY = 5;
export const DEFAULT_NODE_CERT_EXPIRY = 90 * 24 * HOUR;
export const MIN_NODE_CERT_EXPIRY = HOUR;

export type ProfileName = 'swarm' | 'lab';

export interface TimingProfile {
  /** Raft tick length in ms. */
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  /** Agent heartbeat period (ns); a node is down after missing it (with grace) this many times. */
  dispatcherHeartbeat: number;
  heartbeatGraceMultiplier: number;
  /** Restart delay (ns) for services that set none (SwarmKit: 5 s). */
  restartDelay: number;
}

/**
 * `swarm`: SwarmKit's own (1 s Raft tick, election after 10 ticks, heartbeat 5 s x 3).
 * `lab`: tuned for demonstrations: a killed leader is replaced within about 2 s, a killed worker's
 * tasks within about 3 s.
 */
export const TIMING_PROFILES: Record<ProfileName, TimingProfile> = {
  swarm: { tickMs: 1000, electionTick: 10, heartbeatTick: 1, dispatcherHeartbeat: 5 * SECOND, heartbeatGraceMultiplier: 3, restartDelay: 5 * SECOND },
  lab: { tickMs: 100, electionTick: 6, heartbeatTick: 1, dispatcherHeartbeat: 500 * 1_000_000, heartbeatGraceMultiplier: 3, restartDelay: 500 * 1_000_000 },
};
