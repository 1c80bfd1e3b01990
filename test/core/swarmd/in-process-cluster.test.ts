import { afterEach, describe, expect, it } from 'vitest';
import { InProcessNodes, until } from './fixture.ts';
import { createService } from '../../../core/manager/control/services.ts';
import { systemRandom } from '../../../core/random.ts';

// Several swarmd nodes in one process: real TLS on loopback, real state directories, the test
// executor for tasks. The multi-process tests (test/e2e) kill real swarmd processes.

const lab = new InProcessNodes();
const node = (name: string) => lab.node(name);
afterEach(async () => {
  await lab.cleanup();
});

describe('swarmd nodes over mutual TLS', () => {
  it('init, join a worker and a manager with the tokens, and run a service across them', async () => {
    const a = await node('a');
    await a.init({});
    const store = a.managerRole!.store;
    const tokens = store.view((tx) => tx.find('clusters')[0]!.JoinTokens!);
    expect(tokens.Worker).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);

    const b = await node('b');
    await b.join({ remoteAddrs: [a.clusterAddr!], joinToken: tokens.Worker });
    const c = await node('c');
    await c.join({ remoteAddrs: [a.clusterAddr!], joinToken: tokens.Manager });
    expect(b.state!.role).toBe('worker');
    expect(c.state!.role).toBe('manager');

    await until(() => store.view((tx) => tx.find('nodes', (n) => n.Status.State === 'ready').length) === 3, 15_000, 'three ready nodes');
    await until(() => a.managerRole!.node.voters().length === 2, 15_000, 'two voters');
    // The second manager has the replicated state.
    await until(() => c.managerRole!.store.view((tx) => tx.find('nodes').length) === 3, 15_000, 'replicated nodes');

    await createService({ store, random: systemRandom }, { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'swarmlab/whoami:1' } }, Mode: { Replicated: { Replicas: 6 } } });
    const running = () => store.view((tx) => tx.find('tasks', (t) => t.Status.State === 'running'));
    await until(() => running().length === 6, 15_000, 'six running tasks');
    expect(new Set(running().map((t) => t.NodeID)).size).toBe(3);
  });

  it('refuses a wrong token and a token of another swarm with clear messages', async () => {
    const a = await node('a');
    await a.init({});
    const other = await node('other');
    await other.init({});
    const foreign = other.managerRole!.store.view((tx) => tx.find('clusters')[0]!.JoinTokens!.Worker);
    const mine = a.managerRole!.store.view((tx) => tx.find('clusters')[0]!.JoinTokens!.Worker);
    const b = await node('b');
    await expect(b.join({ remoteAddrs: [a.clusterAddr!], joinToken: foreign })).rejects.toThrow(/fingerprint|does not match/i);
    const wrongSecret = mine.slice(0, -25) + '0'.repeat(25);
    await expect(b.join({ remoteAddrs: [a.clusterAddr!], joinToken: wrongSecret })).rejects.toThrow('A valid join token is necessary to join this cluster');
    await expect(b.join({ remoteAddrs: [a.clusterAddr!], joinToken: 'SWMTKN-1-nope' })).rejects.toThrow(/invalid join token/i);
    expect(b.nodeState).toBe('inactive');
    // The refused joins left nothing behind: the right token still works.
    await b.join({ remoteAddrs: [a.clusterAddr!], joinToken: mine });
    expect(b.nodeState).toBe('active');
  });
});
