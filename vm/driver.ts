// What every machine driver does, after docker-machine's driver interface: lifecycle, state,
// addresses. A driver object drives one machine. The local driver is the first; VirtualBox and
// Hyper-V come behind the same interface.

import type { ActiveFaults } from './faults.ts';

export type MachineState = 'Running' | 'Stopped' | 'Paused' | 'Error';

/** Told a line for each long step ("Starting swarmd...", "Waiting for the API..."). */
export type Progress = (step: string) => void;

export interface SshEndpoint {
  host: string;
  port: number;
  /** Any name works on a lab machine; `docker` as in docker-machine. */
  user: string;
  /** The lab's private key, which the machine's SSH server accepts. */
  keyPath: string;
}

export type StartResult = 'started' | 'already-running' | 'resumed';

export interface Driver {
  readonly driverName: string;
  /** Prepares the machine's resources (its config is already in the store) and starts it. */
  create(progress?: Progress): Promise<void>;
  /** Starts a stopped machine and waits until its Docker API answers; a running one is left alone. */
  start(progress?: Progress): Promise<StartResult>;
  /** Graceful: the node is asked to stop, and is killed if it does not within the deadline. */
  stop(progress?: Progress): Promise<void>;
  /** Hard: the machine and everything it runs end at once, as on a power cut. */
  kill(): Promise<void>;
  /** Freezes the machine (a node that misses its heartbeats but keeps its connections). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Ends the machine and releases what the driver holds outside the store's directory. */
  remove(): Promise<void>;
  status(): Promise<MachineState>;
  /** The machine's IP address. */
  address(): string;
  /** The Docker API endpoint, as DOCKER_HOST takes it. */
  url(): string;
  /** Where the machine's SSH server listens. */
  ssh(): SshEndpoint;

  // Faults for demonstrations (issue 5's second half): drivers implement what they can. A fault
  // set while the machine is paused or stopped applies when it runs again; faults last until healed.
  /** Cuts the machine off from these IP addresses (on top of an earlier partition), or from all. */
  partition?(from: readonly string[] | 'all'): Promise<void>;
  /** Ends the machine's partition, delay and loss. */
  heal?(): Promise<void>;
  /** Delays the machine's outgoing packets (and loses some); the partition stays. */
  delay?(ms: number, lossPercent?: number): Promise<void>;
  /** The faults in force, undefined when there are none. */
  faults?(): Promise<ActiveFaults | undefined>;
}
