// The Docker Engine API of a swarmd node: on its control socket, and optionally on TCP with TLS
// (certificates made on first use in STATE_DIR/docker-tls, where DOCKER_CERT_PATH can point).

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDockerTlsBundle } from '../ca/index.ts';
import { EngineApiServer } from '../dockerapi/server.ts';
import type { SwarmdEngine } from './engine.ts';

export interface DockerApi {
  /** tcp://HOST:PORT when the API is on TCP too. */
  tcp: string | undefined;
  close(): Promise<void>;
}

/** Reads (or makes, once) the TLS files for the TCP endpoint: ca.pem, cert.pem, key.pem for clients. */
async function tlsFiles(dir: string, host: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (n: string) => join(dir, n);
  if (!existsSync(file('server-cert.pem'))) {
    const b = await createDockerTlsBundle(host === '0.0.0.0' ? [] : [host]);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(file('ca.pem'), b.caPem);
    await writeFile(file('server-cert.pem'), b.serverCertPem);
    await writeFile(file('server-key.pem'), b.serverKeyPem, { mode: 0o600 });
    await writeFile(file('cert.pem'), b.clientCertPem);
    await writeFile(file('key.pem'), b.clientKeyPem, { mode: 0o600 });
  }
  return { ca: await readFile(file('ca.pem'), 'utf8'), cert: await readFile(file('server-cert.pem'), 'utf8'), key: await readFile(file('server-key.pem'), 'utf8') };
}

export async function startDockerApi(
  engine: SwarmdEngine,
  socketPath: string,
  tcp: string | undefined,
  stateDir: string,
  log: (level: 'debug' | 'info' | 'warn' | 'error', component: string, line: string) => void,
): Promise<DockerApi> {
  let tcpOpt: { host: string; port: number; tls: object } | undefined;
  if (tcp) {
    const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(tcp)!;
    const host = m[1]!;
    const t = await tlsFiles(join(stateDir, 'docker-tls'), host);
    tcpOpt = { host, port: Number(m[2]), tls: { ...t, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' } };
  }
  const server = new EngineApiServer({ backend: engine, socketPath, tcp: tcpOpt, logger: (line) => log('warn', 'dockerapi', line) });
  await server.listen();
  return { tcp: tcpOpt ? `tcp://${tcpOpt.host}:${server.tcpPort}` : undefined, close: () => server.close() };
}
