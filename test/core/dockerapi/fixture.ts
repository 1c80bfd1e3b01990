// A Docker API server on a unix socket in a temporary directory, over the test engine, with a
// docker CLI pointed at it. `close` ends everything the test started: CLI processes, the server,
// the swarm, the directory.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineApiServer } from '../../../core/dockerapi/server.ts';
import type { EngineBackend } from '../../../core/dockerapi/backend.ts';
import { DockerCli } from './docker-cli.ts';
import { TestEngine, type TestEngineOptions } from './test-engine.ts';

export interface TestServer<B extends EngineBackend = TestEngine> {
  backend: B;
  server: EngineApiServer;
  socketPath: string;
  cli: DockerCli;
  /** Lines the server logged (bugs); a test can assert there were none. */
  logged: string[];
  close(): Promise<void>;
}

export async function startServer<B extends EngineBackend>(backend: B, opts: { tcp?: boolean } = {}): Promise<TestServer<B>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'swarmlab-dockerapi-sock-'));
  const socketPath = path.join(dir, 'docker.sock');
  const logged: string[] = [];
  const server = new EngineApiServer({ backend, socketPath, tcp: opts.tcp ? { port: 0 } : undefined, logger: (l) => logged.push(l) });
  await server.listen();
  const cli = new DockerCli(`unix://${socketPath}`);
  return {
    backend,
    server,
    socketPath,
    cli,
    logged,
    close: async () => {
      await cli.close();
      await server.close();
      if (backend instanceof TestEngine) await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function startTestEngine(opts: TestEngineOptions & { tcp?: boolean } = {}): Promise<TestServer> {
  return startServer(new TestEngine(opts), { tcp: opts.tcp });
}
