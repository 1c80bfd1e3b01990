import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessNodes, until } from './fixture.ts';
import { HOUR } from '../../../core/api/defaults.ts';
import { parseNodeCert, tlsCredentials } from '../../../core/ca/index.ts';
import { systemClock } from '../../../core/clock.ts';
import { RpcClient } from '../../../core/rpc/client.ts';
import { splitHostPort } from '../../../core/rpc/listener.ts';
import type { Credentials } from '../../../core/swarmd/state-dir.ts';

// Who may do what on the cluster port, checked with real certificates over real TLS.

const lab = new InProcessNodes();
const node = (name: string) => lab.node(name);
const clients: RpcClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await lab.cleanup();
});

/** A client to `addr` presenting `creds` (or no certificate at all), trusting `root`. */
function client(addr: string, root: string, creds?: Credentials): RpcClient {
  const { host, port } = splitHostPort(addr);
  const opts = creds ? tlsCredentials(creds.keyPem, creds.certPem, creds.rootPem).client : { ca: root, checkServerIdentity: () => undefined };
  const c = new RpcClient({ dial: () => tls.connect({ ...opts, host, port }), readyEvent: 'secureConnect', clock: systemClock, callTimeoutMs: 5_000 });
  clients.push(c);
  return c;
}

async function swarm() {
  const a = await node('a');
  await a.init({});
  const tokens = a.managerRole!.store.view((tx) => tx.find('clusters')[0]!.JoinTokens!);
  const b = await node('b');
  await b.join({ remoteAddrs: [a.clusterAddr!], joinToken: tokens.Worker });
  await until(() => a.managerRole!.store.view((tx) => tx.get('nodes', b.state!.nodeId)?.Status.State) === 'ready');
  return { a, b, tokens, root: a.dialer.credentials!.rootPem };
}

describe('the cluster port', () => {
  it('refuses manager operations to a worker certificate, and everything but the CA to a peer without one', async () => {
    const { a, b, root } = await swarm();
    const asWorker = client(a.clusterAddr!, root, b.dialer.credentials);
    await expect(asWorker.call('control.call', { op: 'listNodes', args: [] })).rejects.toMatchObject({
      code: 'permission-denied',
      message: `control.call is for managers; node ${b.state!.nodeId} has a worker certificate`,
    });
    await expect(asWorker.call('raft.join', { addr: '127.0.0.1:1' })).rejects.toMatchObject({ code: 'permission-denied' });
    await expect(asWorker.call('ca.renew', {})).rejects.toMatchObject({ code: 'invalid-argument' }); // allowed, but needs a CSR

    const anonymous = client(a.clusterAddr!, root);
    await expect(anonymous.call('control.call', { op: 'listNodes', args: [] })).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(anonymous.call('dispatcher.session', { nodeId: 'x' })).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(anonymous.call('ca.issue', { csrPem: 'x', token: 'SWMTKN-1-wrong' })).rejects.toMatchObject({
      message: 'A valid join token is necessary to join this cluster',
    });
  });

  it('does not let one node speak for another', async () => {
    const { a, b, root } = await swarm();
    const asWorker = client(a.clusterAddr!, root, b.dialer.credentials);
    await expect(asWorker.call('dispatcher.heartbeat', { nodeId: a.state!.nodeId, sessionId: 'x' })).rejects.toMatchObject({
      message: `node ${b.state!.nodeId} cannot speak for node ${a.state!.nodeId}`,
    });
  });

  it('does not trust a certificate from another swarm', async () => {
    const { a, root } = await swarm();
    const other = await node('other');
    await other.init({});
    const foreign = client(a.clusterAddr!, root, { ...other.dialer.credentials!, rootPem: root });
    await expect(foreign.call('control.call', { op: 'listNodes', args: [] })).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses a removed node\'s certificate; the node leaves the swarm', async () => {
    const { a, b, root } = await swarm();
    const creds = b.dialer.credentials!;
    const id = b.state!.nodeId;
    await a.control()!.removeNode(id, { force: true });
    const asRemoved = client(a.clusterAddr!, root, creds);
    await expect(asRemoved.call('dispatcher.session', { nodeId: id })).rejects.toMatchObject({
      code: 'permission-denied',
      message: `node ${id} was removed from the swarm`,
    });
    await until(() => b.nodeState === 'inactive');
    expect(b.state).toBeUndefined();
  });

  it('rotated join tokens: the old one is refused, the new one admits', async () => {
    const { a, tokens } = await swarm();
    const control = a.control()!;
    const cluster = await control.getCluster();
    const updated = await control.updateCluster(cluster.Version!.Index, cluster.Spec, { workerJoinToken: true });
    expect(updated.JoinTokens!.Worker).not.toBe(tokens.Worker);
    expect(updated.JoinTokens!.Manager).toBe(tokens.Manager);
    const c = await node('c');
    await expect(c.join({ remoteAddrs: [a.clusterAddr!], joinToken: tokens.Worker })).rejects.toThrow('A valid join token is necessary to join this cluster');
    await c.join({ remoteAddrs: [a.clusterAddr!], joinToken: updated.JoinTokens!.Worker });
    expect(c.state!.role).toBe('worker');
  });

  it('renews a certificate with the cluster\'s expiry, which cannot be under an hour', async () => {
    const { a, b } = await swarm();
    const control = a.control()!;
    const cluster = await control.getCluster();
    await expect(control.updateCluster(cluster.Version!.Index, { ...cluster.Spec, CAConfig: { NodeCertExpiry: HOUR / 2 } })).rejects.toThrow(/minimum certificate expiry time is/);
    await control.updateCluster(cluster.Version!.Index, { ...cluster.Spec, CAConfig: { NodeCertExpiry: 2 * HOUR } });
    const before = parseNodeCert(b.dialer.credentials!.certPem);
    await b.renewCertificate();
    const after = parseNodeCert(b.dialer.credentials!.certPem);
    expect(after.serial).not.toBe(before.serial);
    expect(after.nodeId).toBe(before.nodeId);
    expect(after.role).toBe('worker');
    const life = after.notAfter.getTime() - Date.now();
    expect(life).toBeGreaterThan(1.9 * 3_600_000);
    expect(life).toBeLessThan(2.1 * 3_600_000);
    // The node goes on working with its new certificate.
    await until(() => a.managerRole!.store.view((tx) => tx.get('nodes', b.state!.nodeId)?.Status.State) === 'ready');
    await b.renewCertificate();
  });
});
