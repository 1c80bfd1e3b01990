// Network faults of a machine, for demonstrations: cut off from some machines (or all), slowed
// down, lossy. What a driver does to make them differs (the local driver's process machines
// emulate them in their cluster transport; network namespaces will use the kernel's), so drivers
// pick a MachineFaults by how the machine is isolated.

export interface NetworkFaults {
  /** The IP addresses the machine is cut off from, or all of them. */
  partition?: readonly string[] | 'all';
  /** Added to every packet the machine sends (ms). */
  delayMs?: number;
  /** The share of the machine's packets lost on the way (0-100). */
  lossPercent?: number;
}

export interface ActiveFaults extends NetworkFaults {
  /** False while the machine has not applied them yet (it is paused or stopped). */
  applied: boolean;
}

export interface MachineFaults {
  /** Cuts the machine off from these addresses too (on top of an earlier partition), or from all. */
  partition(from: readonly string[] | 'all'): Promise<void>;
  /** Sets the delay (and loss) of the machine's packets; the partition stays as it is. */
  delay(ms: number, lossPercent?: number): Promise<void>;
  /** Ends every partition, delay and loss. */
  heal(): Promise<void>;
  /** The faults in force, or undefined when there are none. */
  active(): Promise<ActiveFaults | undefined>;
}

/** Whether any fault is set. */
export function hasFaults(f: NetworkFaults): boolean {
  return f.partition === 'all' || (f.partition?.length ?? 0) > 0 || (f.delayMs ?? 0) > 0 || (f.lossPercent ?? 0) > 0;
}

/** One partition on top of another: every address of both, or all. */
export function addPartition(had: NetworkFaults['partition'], more: readonly string[] | 'all'): readonly string[] | 'all' {
  if (had === 'all' || more === 'all') return 'all';
  return [...new Set([...(had ?? []), ...more])];
}
