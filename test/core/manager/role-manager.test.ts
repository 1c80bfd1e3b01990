// Promote and demote, after SwarmKit's role manager and control API node tests.
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfChange } from '../../../core/raft/types.ts';
import { removeNode, updateNode } from '../../../core/manager/control/nodes.ts';
import type { RaftMembership } from '../../../core/manager/membership.ts';
import { RoleManager } from '../../../core/manager/role-manager.ts';
import { ManagerHarness } from './harness.ts';

class FakeMembership implements RaftMembership {
  voterSet: Set<string>;
  reachableSet: Set<string>;
  transfers: string[] = [];
  changes: ConfChange[] = [];
  constructor(
    readonly id: string,
    voters: string[],
    reachable = voters,
  ) {
    this.voterSet = new Set(voters);
    this.reachableSet = new Set(reachable);
  }
  voters = () => [...this.voterSet];
  isLeader = () => true;
  reachable = () => this.voters().filter((v) => this.reachableSet.has(v));
  async proposeConfChange(cc: ConfChange): Promise<number> {
    this.changes.push(cc);
    if (cc.type === 'removeNode') this.voterSet.delete(cc.nodeId);
    else this.voterSet.add(cc.nodeId);
    return this.changes.length;
  }
  transferLeadership(to: string): void {
    this.transfers.push(to);
  }
}

let h: ManagerHarness;
afterEach(() => h?.stop());

async function cluster(managers: number, workers: number) {
  h = new ManagerHarness();
  h.autoPlace = false;
  h.autoRun = false;
  const ids: string[] = [];
  for (let i = 0; i < managers; i++) {
    const id = await h.addNode({ Role: 'manager' });
    await h.updateNode(id, (n) => ({ ...n, Role: 'manager' }));
    ids.push(id);
  }
  for (let i = 0; i < workers; i++) {
    const id = await h.addNode({ Role: 'worker' });
    await h.updateNode(id, (n) => ({ ...n, Role: 'worker' }));
    ids.push(id);
  }
  return ids;
}

const node = (id: string) => h.store.view((tx) => tx.get('nodes', id))!;
const setSpecRole = (id: string, role: 'manager' | 'worker') => h.updateNode(id, (n) => ({ ...n, Spec: { ...n.Spec, Role: role } }));

describe('role manager', () => {
  it('promotes a worker', async () => {
    const [m1, , , w1] = await cluster(3, 1);
    const m = new FakeMembership(m1!, [m1!, 'node2', 'node3']);
    h.use(new RoleManager(h.ctx, m));
    await setSpecRole(w1!, 'manager');
    expect(await h.until(() => node(w1!).Role === 'manager')).toBe(true);
  });

  it('demotes a follower: it leaves Raft first, then becomes a worker', async () => {
    const [m1, m2] = await cluster(3, 0);
    const m = new FakeMembership(m1!, [m1!, m2!, 'node3']);
    h.use(new RoleManager(h.ctx, m));
    await setSpecRole(m2!, 'worker');
    expect(await h.until(() => node(m2!).Role === 'worker')).toBe(true);
    expect(m.changes).toEqual([{ type: 'removeNode', nodeId: m2 }]);
    expect(m.voters()).not.toContain(m2);
  });

  it('demoting the leader transfers leadership first', async () => {
    const [m1, m2, m3] = await cluster(3, 0);
    const m = new FakeMembership(m1!, [m1!, m2!, m3!]);
    h.use(new RoleManager(h.ctx, m));
    await setSpecRole(m1!, 'worker');
    await h.run(500);
    expect(m.transfers).toEqual([m2]);
    expect(node(m1!).Role).toBe('manager');
    expect(m.changes).toEqual([]);
  });

  it('a demotion that would lose quorum waits until it would not', async () => {
    const [m1, m2, m3] = await cluster(3, 0);
    const m = new FakeMembership(m1!, [m1!, m2!, m3!], [m1!, m2!]);
    h.use(new RoleManager(h.ctx, m, 1_000));
    await setSpecRole(m2!, 'worker');
    await h.run(3_000);
    expect(node(m2!).Role).toBe('manager');
    m.reachableSet.add(m3!);
    expect(await h.until(() => node(m2!).Role === 'worker', 5_000)).toBe(true);
  });
});

describe('node control operations', () => {
  it('refuses to demote the last manager', async () => {
    const [m1] = await cluster(1, 1);
    const c = { store: h.store, membership: new FakeMembership(m1!, [m1!]) };
    const n = node(m1!);
    await expect(updateNode(c, m1!, n.Version.Index, { ...n.Spec, Role: 'worker' })).rejects.toThrow(
      'attempting to demote the last manager of the swarm',
    );
  });

  it('refuses a demotion that would lose quorum, with the reason', async () => {
    const [m1, m2, m3] = await cluster(3, 0);
    const c = { store: h.store, membership: new FakeMembership(m1!, [m1!, m2!, m3!], [m1!, m2!]) };
    const n = node(m2!);
    const err = await updateNode(c, m2!, n.Version.Index, { ...n.Spec, Role: 'worker' }).catch((e) => e);
    expect(err.message).toBe("can't remove member from the raft: this would result in a loss of quorum");
    expect(err.rpcMessage).toBe("rpc error: code = FailedPrecondition desc = can't remove member from the raft: this would result in a loss of quorum");
  });

  it('refuses to remove a manager, and a ready node without force', async () => {
    const [m1, , , w1] = await cluster(3, 1);
    const c = { store: h.store, membership: new FakeMembership(m1!, [m1!, 'node2', 'node3']) };
    await expect(removeNode(c, m1!, true)).rejects.toThrow(
      `node ${m1} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
    );
    await expect(removeNode(c, w1!, false)).rejects.toThrow(`node ${w1} is not down and can't be removed`);
    await h.store.update((tx) => tx.create('clusters', { ID: 'c1', Spec: { Name: 'default' } }));
    await removeNode(c, w1!, true);
    expect(h.store.view((tx) => tx.get('nodes', w1!))).toBeUndefined();
    expect(h.store.view((tx) => tx.get('clusters', 'c1')?.BlacklistedCertificates)).toEqual({ [w1!]: {} });
    await expect(removeNode(c, 'nope', false)).rejects.toThrow('node nope not found');
  });
});
