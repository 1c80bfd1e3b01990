// Where a task's servers listen. Until the lab has container networking, a program that would
// listen on its container port (80 for whoami) listens on the node's loopback instead, on the
// port its PORT variable names or on an ephemeral one; networking replaces this policy, not the
// programs.

import type { ListenedAddress, TaskIdentity } from './program.ts';

export interface ListenRequest {
  identity: TaskIdentity;
  env: Readonly<Record<string, string>>;
  /** The port the program would listen on inside a container. */
  containerPort: number;
}

export type ListenPolicy = (request: ListenRequest) => ListenedAddress;

export function loopbackListen(host = '127.0.0.1'): ListenPolicy {
  return ({ env }) => {
    const port = Number(env.PORT);
    return { host, port: env.PORT !== undefined && Number.isInteger(port) && port >= 0 && port < 65536 ? port : 0 };
  };
}
