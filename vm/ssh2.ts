// ssh2, loaded when the first SSH connection is made or accepted: it costs a process about 90 ms of
// CPU and 13 MiB to load, and most lab machines and most swarmlab commands never use SSH.

import type * as Ssh2 from 'ssh2';

export type Ssh2Module = typeof Ssh2;

let loading: Promise<Ssh2Module> | undefined;

export function loadSsh2(): Promise<Ssh2Module> {
  // A CommonJS package: Node hands its exports over as the default export of the namespace.
  loading ??= (import('ssh2') as Promise<unknown>).then((m) => ((m as { default?: Ssh2Module }).default ?? m) as Ssh2Module);
  return loading;
}
