// The Docker Engine API of a swarmd node, on its control socket.

import { EngineApiServer } from '../dockerapi/server.ts';
import type { Swarmd } from './daemon.ts';
import type { SwarmdEngine } from './engine.ts';

export interface DockerApi {
  tcp: string | undefined;
  close(): Promise<void>;
}

export async function startDockerApi(
  engine: SwarmdEngine,
  socketPath: string,
  tcp: string | undefined,
  d: Swarmd,
  log: (level: 'debug' | 'info' | 'warn' | 'error', component: string, line: string) => void,
): Promise<DockerApi> {
  if (tcp) throw new Error('--listen-docker-api (TCP with TLS) is not available yet: use the control socket');
  void d;
  const server = new EngineApiServer({ backend: engine, socketPath, logger: (line) => log('warn', 'dockerapi', line) });
  await server.listen();
  return { tcp: undefined, close: () => server.close() };
}
