// Networks in the view: the swarm's networks with their subnets and the services on them, each
// service's VIPs, stack and networks (by ID, whether its spec names them by ID or by name), each
// task's overlay addresses; and the delta carries them (property, with networks changing too).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApiNetwork, ApiService, ApiTask } from '../../../main/lab/cluster-state.ts';
import type { LabView } from '../../../main/lab/protocol.ts';
import { assignColors, buildView } from '../../../main/lab/view.ts';
import { applyDelta, diffView } from '../../../main/lab/view-diff.ts';
import { cluster, fiveNodes, machine, node, service, task } from './fixtures.ts';

const ingress: ApiNetwork = { Id: 'net-ingress', Name: 'ingress', Driver: 'overlay', Scope: 'swarm', Ingress: true, IPAM: { Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] } };
const front: ApiNetwork = { Id: 'net-front', Name: 'app_front', Driver: 'overlay', Scope: 'swarm', Attachable: true, Labels: { 'com.docker.stack.namespace': 'app' }, IPAM: { Config: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] } };
const bridge: ApiNetwork = { Id: 'net-bridge', Name: 'bridge', Driver: 'bridge', Scope: 'local' };

function onNetworks(s: ApiService, targets: string[], vips: { NetworkID: string; Addr: string }[] = [], stack?: string): ApiService {
  return {
    ...s,
    Spec: { ...s.Spec, ...(stack ? { Labels: { 'com.docker.stack.namespace': stack } } : {}), TaskTemplate: { ...s.Spec.TaskTemplate, Networks: targets.map((Target) => ({ Target })) } },
    Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }], VirtualIPs: vips },
  };
}

function attached(t: ApiTask, nets: { net: ApiNetwork; addr: string }[]): ApiTask {
  return {
    ...t,
    NetworksAttachments: nets.map(({ net, addr }) => ({ Network: { ID: net.Id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: net.Name } }, Addresses: [addr] })),
  };
}

const view = (c: ReturnType<typeof cluster>) => buildView({ phase: 'running', stale: false, machines: fiveNodes().machines, cluster: c, colors: assignColors(new Map(), c.services) });

describe('networks in the view', () => {
  it('lists swarm networks with subnet, flags, stack and attached services; services carry VIPs, networks and stack; tasks their addresses', () => {
    const web = onNetworks(service('app_web', { replicas: 1 }), ['app_front'], [{ NetworkID: 'net-ingress', Addr: '10.0.0.5/24' }, { NetworkID: 'net-front', Addr: '10.0.1.2/24' }], 'app');
    const db = onNetworks(service('db'), ['net-front']);
    const t = attached(task(web, 1, { node: 'worker1' }), [{ net: ingress, addr: '10.0.0.6/24' }, { net: front, addr: '10.0.1.3/24' }]);
    const c = { ...cluster(fiveNodes().nodes, [web, db], [t]), networks: [front, bridge, ingress] };
    const v = view(c);
    expect(v.networks).toEqual([
      { id: 'net-front', name: 'app_front', driver: 'overlay', subnet: '10.0.1.0/24', gateway: '10.0.1.1', ingress: false, attachable: true, stack: 'app', services: ['svc-app_web', 'svc-db'] },
      { id: 'net-ingress', name: 'ingress', driver: 'overlay', subnet: '10.0.0.0/24', gateway: '10.0.0.1', ingress: true, attachable: false, services: ['svc-app_web'] },
    ]);
    const w = v.services.find((s) => s.name === 'app_web')!;
    expect(w.networks).toEqual(['net-front', 'net-ingress']);
    expect(w.vips).toEqual([{ networkId: 'net-ingress', addr: '10.0.0.5/24' }, { networkId: 'net-front', addr: '10.0.1.2/24' }]);
    expect(w.stack).toBe('app');
    expect(w.ports).toEqual([{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }]);
    expect(v.services.find((s) => s.name === 'db')).toMatchObject({ networks: ['net-front'] });
    expect(v.services.find((s) => s.name === 'db')!.stack).toBeUndefined();
    expect(v.tasks[0]!.addresses).toEqual([{ networkId: 'net-ingress', addr: '10.0.0.6/24' }, { networkId: 'net-front', addr: '10.0.1.3/24' }]);
  });

  it('a read without networks gives none; a service on no network has no networks field', () => {
    const v = view(cluster(fiveNodes().nodes, [service('plain')]));
    expect(v.networks).toEqual([]);
    expect(v.services[0]!.networks).toBeUndefined();
    expect(v.services[0]!.vips).toBeUndefined();
  });

  it('a network created, a service attached, a network removed: the delta says so and applies (property)', () => {
    const nets = [ingress, front, { ...front, Id: 'net-back', Name: 'back', Labels: {} }];
    const svcs = [service('a', { replicas: 2 }), service('b')];
    const arb = fc
      .record({
        nets: fc.subarray(nets),
        attach: fc.array(fc.tuple(fc.nat(1), fc.nat(2)), { maxLength: 4 }),
        addrs: fc.array(fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 2 }), fc.nat(2), fc.integer({ min: 2, max: 250 })), { maxLength: 4 }),
        hosts: fc.subarray(['manager1', 'worker1']),
      })
      .map((r): LabView => {
        const services = svcs.map((s, i) => {
          const targets = r.attach.filter(([si]) => si === i).map(([, ni]) => nets[ni]!.Id);
          return targets.length ? onNetworks(s, [...new Set(targets)], targets.map((id, k) => ({ NetworkID: id, Addr: `10.0.9.${k + 2}/24` }))) : s;
        });
        const tasks = svcs.flatMap((s, i) =>
          [1, 2].map((slot) => {
            const own = r.addrs.filter(([si, sl]) => si === i && sl === slot).map(([, , ni, a]) => ({ net: nets[ni]!, addr: `10.0.${ni}.${a}/24` }));
            const t = task(services[i]!, slot, { node: 'worker1' });
            return own.length ? attached(t, own) : t;
          }),
        );
        return buildView({ phase: 'running', stale: false, machines: r.hosts.map((h) => machine(h)), cluster: { ...cluster([node('manager1', { role: 'manager', leader: true }), node('worker1')], services, tasks), networks: r.nets }, colors: assignColors(new Map(), services) });
      });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const d = diffView(a, b);
        expect(d ? applyDelta(a, d) : a).toEqual(b);
        if (JSON.stringify(a.networks) !== JSON.stringify(b.networks)) expect(d?.networks).toBeDefined();
      }),
      { numRuns: 200 },
    );
  });
});
