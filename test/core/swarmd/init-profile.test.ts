// A `swarm init` spec may choose the timing profile by the cluster label (a lab file's
// `cluster.profile`): the first manager then runs it, and managers joining later follow the label.

import { afterEach, expect, it } from 'vitest';
import { SECOND } from '../../../core/api/defaults.ts';
import { PROFILE_LABEL } from '../../../core/swarmd/cluster-defaults.ts';
import { InProcessNodes } from './fixture.ts';

const lab = new InProcessNodes();
afterEach(() => lab.cleanup());

it('the profile label of the init spec overrides the node\'s --profile, and joining managers take it', async () => {
  const a = await lab.node('a'); // started with the lab profile
  await a.init({ spec: { Labels: { [PROFILE_LABEL]: 'swarm', team: 'blue' } } });
  expect(a.state!.profile).toBe('swarm');
  const cluster = a.managerRole!.store.view((tx) => tx.find('clusters')[0]!);
  expect(cluster.Spec.Dispatcher?.HeartbeatPeriod).toBe(5 * SECOND);
  expect(cluster.Spec.Raft?.ElectionTick).toBe(10);
  expect(cluster.Spec.Labels).toEqual({ [PROFILE_LABEL]: 'swarm', team: 'blue' });

  const b = await lab.node('b');
  await b.join({ remoteAddrs: [a.clusterAddr!], joinToken: cluster.JoinTokens!.Manager });
  expect(b.state!.profile).toBe('swarm');
});

it('labels without the profile keep the node\'s own profile, and its label', async () => {
  const a = await lab.node('a');
  await a.init({ spec: { Labels: { team: 'blue' } } });
  expect(a.state!.profile).toBe('lab');
  expect(a.managerRole!.store.view((tx) => tx.find('clusters')[0]!.Spec.Labels)).toEqual({ team: 'blue', [PROFILE_LABEL]: 'lab' });
});

it('refuses an unknown profile before the node changes', async () => {
  const a = await lab.node('a');
  await expect(a.init({ spec: { Labels: { [PROFILE_LABEL]: 'fast' } } })).rejects.toThrow(`invalid label ${PROFILE_LABEL}="fast": expected lab or swarm`);
  expect(a.nodeState).toBe('inactive');
});
