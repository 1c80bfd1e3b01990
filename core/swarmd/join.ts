// Joining a swarm, from the joining node's side, as SwarmKit does it: reach a manager without a
// certificate, check that the root CA it presents is the one the join token names (so a man in the
// middle is refused), then send a CSR with the token and get back a certificate whose role the
// token decided. Nothing secret is sent before the root has been checked.

import tls from 'node:tls';
import { createNodeKeyAndCSR, joinClientOptions, parseJoinToken, rootFromPeer, verifyNodeCert } from '../ca/index.ts';
import type { Clock } from '../clock.ts';
import { RpcClient } from '../rpc/client.ts';
import { RpcError } from '../rpc/errors.ts';
import { splitHostPort } from '../rpc/listener.ts';
import type { Credentials } from './state-dir.ts';

export interface IssueRequest {
  csrPem: string;
  token: string;
  hostname: string;
}

export interface IssueResponse {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
  certPem: string;
  /** The managers' cluster ports. */
  managers: string[];
  profile: 'lab' | 'swarm';
}

export interface Joined extends IssueResponse {
  credentials: Credentials;
}

export class JoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

function connectOnce(addr: string, options: tls.ConnectionOptions, timeoutMs: number): Promise<tls.TLSSocket> {
  const { host, port } = splitHostPort(addr);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...options, host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new JoinError(`could not reach a manager at ${addr}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ECONNREFUSED' ? 'connection refused (is a manager listening there?)' : err.message;
      reject(new JoinError(`could not reach a manager at ${addr}: ${why}`));
    });
  });
}

export async function joinSwarm(opts: { addr: string; token: string; hostname: string; clock: Clock; timeoutMs?: number }): Promise<Joined> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  try {
    parseJoinToken(opts.token);
  } catch (err) {
    throw new JoinError((err as Error).message);
  }
  // 1. Pin the root: the first connection only looks at what the manager presents.
  const probe = await connectOnce(opts.addr, joinClientOptions(), timeoutMs);
  let rootPem: string;
  try {
    rootPem = (await rootFromPeer(probe, opts.token)).rootCertPem;
  } catch (err) {
    throw new JoinError(`${(err as Error).message}`);
  } finally {
    probe.destroy();
  }
  // 2. Ask for a certificate over a connection verified against the pinned root.
  const { keyPem, csrPem } = await createNodeKeyAndCSR();
  const { host, port } = splitHostPort(opts.addr);
  const client = new RpcClient({
    dial: () =>
      tls.connect({
        host,
        port,
        ca: rootPem,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        checkServerIdentity: () => undefined,
      }),
    readyEvent: 'secureConnect',
    clock: opts.clock,
  });
  let res: IssueResponse;
  try {
    res = await client.call<IssueResponse>('ca.issue', { csrPem, token: opts.token, hostname: opts.hostname } satisfies IssueRequest, timeoutMs);
  } catch (err) {
    if (err instanceof RpcError) throw new JoinError(`rpc error: code = ${rpcCode(err.code)} desc = ${err.message}`);
    throw err;
  } finally {
    client.close();
  }
  await verifyNodeCert(res.certPem, rootPem);
  return { ...res, credentials: { keyPem, certPem: res.certPem, rootPem } };
}

/** gRPC's names for our codes, as Docker prints them ("rpc error: code = InvalidArgument desc = ..."). */
export function rpcCode(code: string): string {
  const known: Record<string, string> = {
    'invalid-argument': 'InvalidArgument',
    unavailable: 'Unavailable',
    'permission-denied': 'PermissionDenied',
    unauthenticated: 'Unauthenticated',
    'deadline-exceeded': 'DeadlineExceeded',
    'not-found': 'NotFound',
    'failed-precondition': 'FailedPrecondition',
    unimplemented: 'Unimplemented',
    internal: 'Internal',
  };
  return known[code] ?? code;
}
